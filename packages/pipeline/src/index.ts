export * from './queues.ts';
export * from './add-atomically.ts';
export * from './outcome.ts';
export * from './bisect.ts';
export * from './inflight.ts';
export * from './batch-consumer.ts';
export * from './calltouch-gate.ts';
export * from './send-batch.ts';
