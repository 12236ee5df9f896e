export * from './component.ts';
export * from './ops-server.ts';
export * from './run-role.ts';
export * from './role-context.ts';
export * from './heartbeat.ts';
export * from './startup-error.ts';
