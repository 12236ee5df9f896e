export * from './worker.ts';
export * from './calltouch.ts';
