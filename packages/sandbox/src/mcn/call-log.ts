import type { GeneratedCall } from './generate-call.ts';

/**
 * The stand-in's call log: records filed by zone-local day, each day kept in a stable order
 * (start instant, then sequence), so limit/offset paging is reproducible. A call that is
 * logged later with an earlier start is inserted in place, as a real log sorted by date does.
 */
export interface CallLog {
  add(call: GeneratedCall): void;
  /** Records whose day is in from..to (inclusive), in log order, `limit` from `offset`. */
  page(from: string, to: string, limit: number, offset: number): GeneratedCall[];
  /** How many records from..to holds. */
  count(from: string, to: string): number;
  all(): GeneratedCall[];
  /** The record with this callid, while its day is kept. */
  get(callid: string): GeneratedCall | undefined;
  size(): number;
  /** Forgets days before `day` (keeps memory flat in a long-running demo). */
  pruneBefore(day: string): number;
}

const before = (a: GeneratedCall, b: GeneratedCall) =>
  a.startMs < b.startMs || (a.startMs === b.startMs && a.seq < b.seq);

export function createCallLog(): CallLog {
  const days = new Map<string, GeneratedCall[]>();
  const byId = new Map<string, GeneratedCall>();
  let total = 0;

  const daysIn = (from: string, to: string) =>
    [...days.keys()]
      .filter((day) => day >= from && day <= to)
      .sort()
      .map((day) => days.get(day) ?? []);

  return {
    add(call) {
      let list = days.get(call.day);
      if (!list) {
        list = [];
        days.set(call.day, list);
      }
      // Binary search for the first record that comes after the new one.
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const item = list[mid];
        if (item && before(item, call)) lo = mid + 1;
        else hi = mid;
      }
      list.splice(lo, 0, call);
      total += 1;
      const callid = call.record.callid as unknown;
      if (typeof callid === 'string') byId.set(callid, call);
    },
    page(from, to, limit, offset) {
      const out: GeneratedCall[] = [];
      let skip = offset;
      for (const list of daysIn(from, to)) {
        if (skip >= list.length) {
          skip -= list.length;
          continue;
        }
        out.push(...list.slice(skip, skip + (limit - out.length)));
        skip = 0;
        if (out.length >= limit) break;
      }
      return out;
    },
    count: (from, to) => daysIn(from, to).reduce((sum, list) => sum + list.length, 0),
    all: () => daysIn('', '\uffff').flat(),
    get: (callid) => byId.get(callid),
    size: () => total,
    pruneBefore(day) {
      let removed = 0;
      for (const [key, list] of days) {
        if (key < day) {
          removed += list.length;
          for (const call of list) byId.delete(call.record.callid);
          days.delete(key);
        }
      }
      total -= removed;
      return removed;
    },
  };
}
