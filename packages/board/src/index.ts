export * from './board-server.ts';
export * from './basic-auth.ts';
export * from './guard.ts';
export * from './redact-value.ts';
export * from './mask-personal.ts';
