export * from './retry-after.ts';
export * from './failure.ts';
export * from './bounded.ts';
export * from './secrets.ts';
