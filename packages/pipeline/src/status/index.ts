export * from './flow-status.ts';
export * from './limiter-rate.ts';
export * from './collect-status.ts';
export * from './format-status.ts';
