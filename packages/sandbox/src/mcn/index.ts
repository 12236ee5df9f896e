export { createMcnStandIn, type McnStandIn, type McnStandInStats } from './stand-in.ts';
export type { McnStandInOptions } from './options.ts';
export type { MalformedKind } from './generate-call.ts';
export type { McnEventStats, McnEventsSettings } from './events.ts';
