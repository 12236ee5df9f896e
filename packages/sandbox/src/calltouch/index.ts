export { createCalltouchStandIn } from './stand-in.ts';
export type { CalltouchStandIn } from './stand-in.ts';
export { calltouchStandInOptionsSchema } from './options.ts';
export type { CalltouchStandInOptions } from './options.ts';
export { faultUpdateSchema, NO_FAULTS } from './faults.ts';
export type { FaultSettings, FaultState, FaultUpdate } from './faults.ts';
export type { StandInCredentials } from './context.ts';
export type { JournalRecord } from './journal.ts';
export type { PlayerStats, RecordingFetch } from './player.ts';
export type { ItemIssue } from './validation.ts';
export type {
  CallsVia,
  OrderHistoryEntry,
  ReceivedCall,
  StandInEndpoint,
  StandInStats,
  StoredOrder,
} from './state.ts';
export { createSlidingWindow } from './sliding-window.ts';
export { createArrivalDelay } from './arrival.ts';
export type { SlidingWindow } from './sliding-window.ts';
export type { LeadEventStats, LeadEventsSettings } from './lead-events.ts';
