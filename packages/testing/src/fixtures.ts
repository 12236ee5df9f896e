import { readFileSync } from 'node:fs';

/**
 * A real MCN call log answer (`{"items": [...]}`) with the looseness of real data: `type` in
 * any case, `NO ANSWER` with a space, `did` as a number or `""`, empty `answer_date`.
 */
export function mcnCallLogSample(): { items: unknown[] } {
  return JSON.parse(
    readFileSync(new URL('../fixtures/mcn-call-log-sample.json', import.meta.url), 'utf8'),
  ) as { items: unknown[] };
}
