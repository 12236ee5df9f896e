export { createCrmListenerParts, startCrmListener } from './start-crm-listener.ts';
export type {
  CrmListenerParts,
  RunningCrmListener,
  StartCrmListenerOptions,
} from './start-crm-listener.ts';
