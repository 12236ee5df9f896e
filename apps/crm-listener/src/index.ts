export { startCrmListener } from './start-crm-listener.ts';
export type { RunningCrmListener, StartCrmListenerOptions } from './start-crm-listener.ts';
