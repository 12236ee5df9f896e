import { DateTime } from 'luxon';
import type { Random } from './random.ts';

const DAY_MS = 86_400_000;
/** Longer than any generated call (wait ≤ 70 s + talk ≤ 908 s). */
const LONGEST_CALL_MS = 1_000_000;

/** Relative call volume by local hour: busy office hours, a quiet night. */
const HOUR_WEIGHT = [
  0.05, 0.03, 0.02, 0.02, 0.02, 0.03, 0.08, 0.2, 0.6, 1, 1, 1, 0.9, 0.95, 1, 1, 1, 0.9, 0.7, 0.45,
  0.3, 0.2, 0.12, 0.08,
];

/**
 * Start instants of `days × perDay` calls in the `days` before `nowMs`, shaped like a working
 * day in `zone`, ascending. Rejection sampling keeps it simple and seed-stable.
 */
export function historyStarts(
  random: Random,
  options: { nowMs: number; days: number; perDay: number; zone: string },
): number[] {
  const count = Math.round(options.days * options.perDay);
  // Ends a little before now: the log only holds finished calls, and none lasts this long.
  const to = options.nowMs - LONGEST_CALL_MS;
  const from = options.nowMs - options.days * DAY_MS;
  const span = Math.max(0, to - from);
  const starts: number[] = [];
  while (starts.length < count) {
    const ms = from + Math.floor(random.next() * span);
    const hour = DateTime.fromMillis(ms, { zone: options.zone }).hour;
    if (random.next() < (HOUR_WEIGHT[hour] ?? 1)) starts.push(ms);
  }
  return starts.sort((a, b) => a - b);
}
