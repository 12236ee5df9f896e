export * from './calltouch/index.ts';
