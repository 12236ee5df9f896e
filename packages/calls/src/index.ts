export * from './mapping/index.ts';
export * from './flow-spec.ts';
export * from './flow.ts';
export * from './enqueue-calls.ts';
export * from './delivery.ts';
export * from './poller.ts';
export * from './events.ts';
