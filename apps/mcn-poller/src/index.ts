export * from './mcn-poller.ts';
