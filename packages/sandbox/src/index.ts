export * from './calltouch/index.ts';
export * from './mcn/index.ts';
export { createSandbox, toSandboxEnv } from './sandbox.ts';
export type { Sandbox, SandboxOptions } from './sandbox.ts';
