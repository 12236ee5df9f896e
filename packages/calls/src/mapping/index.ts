export {
  toCalltouchCall,
  MAX_REFERENCE_ID_LENGTH,
  type CallMapping,
  type ToCalltouchCallOptions,
} from './to-calltouch-call.ts';
export {
  assertTimeZone,
  callEndedAt,
  parseMcnTime,
  toWallClock,
  WALL_CLOCK_FORMAT,
} from './call-time.ts';
