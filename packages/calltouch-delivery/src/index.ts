export * from './points.ts';
export * from './gate.ts';
export * from './send-batch.ts';
export * from './stack.ts';
export * from './in-batch-retry.ts';
