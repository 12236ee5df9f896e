export * from './retry-after.ts';
export * from './failure.ts';
