import type { McnCall } from '@touchline/mcn';
import type { DateTime } from 'luxon';
import type { CalltouchCall } from '@touchline/calltouch';
import { assertTimeZone, parseMcnTime, toWallClock } from './call-time.ts';
import { normalizePhone } from '@touchline/calltouch';

export interface ToCalltouchCallOptions {
  /** Zone of MCN's zone-less times (`MCN_TIMEZONE`). */
  mcnTimeZone: string;
  /** Zone of the Calltouch account (`CALLTOUCH_TIMEZONE`). */
  calltouchTimeZone: string;
  /** MCN `type` values to import, any case (default `['inb']`). */
  importTypes?: readonly string[];
  /** Country for numbers without a country code (default `RU`). */
  defaultCountry?: string;
  /**
   * Links recordings (`createRecordingLinker` of packages/recordings): an answered call with
   * `has_record` gets `recordUrl = urlFor(callid)`. Absent (RECORDINGS_PUBLIC_URL unset): no
   * call carries a recordUrl.
   */
  recordings?: { urlFor(callid: string): string | undefined };
}

/**
 * What became of one MCN call: a Calltouch call, skipped on purpose (an outbound call; the
 * reason, e.g. `type:out`, is a low-cardinality label), or rejected because it cannot be
 * mapped (the reason is stable; `detail` shows the offending value to an operator).
 */
export type CallMapping =
  | { kind: 'call'; call: CalltouchCall }
  | { kind: 'skipped'; reason: string }
  | { kind: 'rejected'; reason: string; detail?: string };

/** Calltouch refuses a referenceId longer than this. */
export const MAX_REFERENCE_ID_LENGTH = 100;

/**
 * Maps one MCN call-log record to a Calltouch call (docs/calls.md, mapping). Pure: same input, same
 * output. Throws only for bad options (an unknown zone), never for bad data.
 */
export function toCalltouchCall(call: McnCall, options: ToCalltouchCallOptions): CallMapping {
  assertTimeZone(options.mcnTimeZone);
  assertTimeZone(options.calltouchTimeZone);
  const importTypes = (options.importTypes ?? ['inb']).map(normalizeWord);
  const country = options.defaultCountry ?? 'RU';

  const type = normalizeWord(call.type);
  if (!importTypes.includes(type)) return { kind: 'skipped', reason: `type:${type || 'none'}` };

  if (call.callid.length > MAX_REFERENCE_ID_LENGTH) {
    return reject('callid too long', `${call.callid.length} characters`);
  }
  const client = normalizePhone(call.src_num, country);
  if (!client) return reject('no caller number', describe('src_num', call.src_num));
  const called = normalizePhone(call.did, country) ?? normalizePhone(call.did_num, country);
  if (!called) {
    return reject(
      'no called number',
      `${describe('did', call.did)}, ${describe('did_num', call.did_num)}`,
    );
  }
  const start = parseMcnTime(call.date, options.mcnTimeZone);
  if (!start) return reject('bad date', describe('date', call.date));

  const answered = normalizeWord(call.status) === 'answered';
  const waitingTime =
    seconds(call.waittime) ??
    secondsBetween(start, answerOrEnd(call, answered, options.mcnTimeZone)) ??
    0;
  const talkTime =
    seconds(call.talktime) ??
    seconds(call.billsec) ??
    (answered
      ? secondsBetween(
          parseMcnTime(call.answer_date, options.mcnTimeZone),
          parseMcnTime(call.end_date, options.mcnTimeZone),
        )
      : 0) ??
    0;
  const manager = answered ? call.dst_name?.trim() : undefined;

  const draft: CalltouchCall = {
    referenceId: call.callid,
    clientPhoneNumber: client,
    callCenterPhoneNumber: called,
    callStartTime: toWallClock(start, options.calltouchTimeZone),
    waitingTime,
    duration: waitingTime + talkTime,
    status: answered ? 'successful' : 'missed',
  };
  if (manager) draft.manager = manager;
  // Only an answered call has something to listen to; MCN's flag says whether it was kept.
  const recordUrl =
    answered && (call.has_record ?? 0) > 0 ? options.recordings?.urlFor(call.callid) : undefined;
  if (recordUrl) draft.recordUrl = recordUrl;
  return { kind: 'call', call: draft };
}

/** `NO ANSWER`, `no_answer`, ` Inb ` → `noanswer`, `inb`: MCN spells its words many ways. */
function normalizeWord(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase().replace(/[\s_-]+/g, '') : '';
}

function reject(reason: string, detail: string): CallMapping {
  return { kind: 'rejected', reason, detail };
}

function describe(field: string, value: unknown): string {
  return `${field}=${value === undefined ? 'absent' : JSON.stringify(value)}`;
}

/** A whole, non-negative number of seconds, or undefined when the log did not say. */
function seconds(value: number | undefined): number | undefined {
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return Math.max(0, Math.round(value));
}

function secondsBetween(from: DateTime | undefined, to: DateTime | undefined): number | undefined {
  if (!from || !to) return undefined;
  return seconds(to.diff(from, 'seconds').seconds);
}

/** When waiting stopped: at the answer for an answered call, at the end for one that was not. */
function answerOrEnd(call: McnCall, answered: boolean, zone: string): DateTime | undefined {
  return parseMcnTime(answered ? call.answer_date : call.end_date, zone);
}
