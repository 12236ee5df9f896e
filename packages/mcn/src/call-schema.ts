import { z } from 'zod';

/*
 * The MCN call log as it really arrives, not as the documentation promises: `type` in any
 * letter case, `did` a number or "", numbers sometimes strings, `answer_date` "" when nobody
 * answered, `dst_name` null. The schema accepts all of that and only types it; deciding what a
 * value means (is "" a called number? is "NO ANSWER" missed?) is the mapping's job, so nothing
 * here drops information. Only `callid` is required: without it a call cannot be de-duplicated.
 */

/** Absent, null → undefined. */
const absent = z.union([z.null(), z.undefined()]).transform(() => undefined);

/** A string, or a number that stands for one (phone numbers, DIDs arrive as JSON numbers). */
const text = z.union(
  [
    z.string(),
    z
      .number()
      .refine(Number.isFinite, 'must be a finite number')
      .transform((n) => (Number.isInteger(n) ? n.toFixed(0) : String(n))),
    absent,
  ],
  { error: 'must be a string or a number' },
);

/** A count of seconds or a flag: a number, or a numeric string; "" and null mean absent. */
const count = z.union(
  [
    z.number().refine(Number.isFinite, 'must be a finite number'),
    z
      .string()
      .trim()
      .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
      .transform(Number),
    z.literal('').transform(() => undefined),
    absent,
  ],
  { error: 'must be a number or a numeric string' },
);

/**
 * A yes/no flag such as `has_record`: documented as 0/1, seen as "0"/"1", and booleans are
 * accepted too. The output stays a number (1 or 0) because call jobs keep the parsed record:
 * a worker of the previous release must still read what this one enqueues.
 */
const flag = z.union(
  [
    z.boolean().transform((b) => (b ? 1 : 0)),
    z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^(true|false)$/, 'must be 0, 1, true or false')
      .transform((s) => (s === 'true' ? 1 : 0)),
    count,
  ],
  { error: 'must be 0, 1, true or false' },
);

const callid = z.union(
  [
    z.string().refine((s) => s.trim() !== '', 'must not be empty'),
    z
      .number()
      .refine(Number.isFinite)
      .transform((n) => String(n)),
  ],
  {
    error: (issue) =>
      issue.input === undefined || issue.input === null
        ? 'is required'
        : 'must be a non-empty string or a number',
  },
);

/** One record of `GET /account/{account_id}/vpbx/{vpbx_id}/call_log`. Unknown fields pass through. */
export const mcnCallSchema = z.looseObject({
  callid,
  type: text.optional(),
  status: text.optional(),
  hangup_reason: text.optional(),
  /** Call start, `YYYY-MM-DD HH:MM:SS` in the account's time zone, no offset. */
  date: text.optional(),
  /** "" when the call was not answered. */
  answer_date: text.optional(),
  end_date: text.optional(),
  waittime: count.optional(),
  talktime: count.optional(),
  billsec: count.optional(),
  src_num: text.optional(),
  src_name: text.optional(),
  src_type: text.optional(),
  dst_num: text.optional(),
  dst_name: text.optional(),
  dst_type: text.optional(),
  /** The external number the call came through: a number, a string, or "". */
  did: text.optional(),
  did_num: text.optional(),
  /** 1 when MCN holds a recording of the call (0/1, "0"/"1" or a boolean in the wild). */
  has_record: flag.optional(),
  events_count: count.optional(),
  // `events` (a list of legs) passes through untyped: nothing downstream reads it yet, and a
  // malformed list must not cost us the call.
});

/** A call-log record after tolerant parsing: numbers as strings where they are identifiers. */
export type McnCall = z.output<typeof mcnCallSchema>;

/** A record the schema refused, kept whole so an operator can see it. */
export interface InvalidMcnRecord {
  record: unknown;
  reason: string;
}

/** The body of a call-log page: `{"items": [...]}`. Items are checked one by one, later. */
export const callLogPageSchema = z.object({ items: z.array(z.unknown()) });

/** Splits raw page items into parsed calls and refused records, never throwing for one bad item. */
export function parseCallLogItems(items: readonly unknown[]): {
  calls: McnCall[];
  invalid: InvalidMcnRecord[];
} {
  const calls: McnCall[] = [];
  const invalid: InvalidMcnRecord[] = [];
  for (const record of items) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      invalid.push({ record, reason: 'not an object' });
      continue;
    }
    const parsed = mcnCallSchema.safeParse(record);
    if (parsed.success) calls.push(parsed.data);
    else invalid.push({ record, reason: describeIssues(parsed.error) });
  }
  return { calls, invalid };
}

/** `callid: must not be empty; waittime: must be a number` — one line, every problem. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
