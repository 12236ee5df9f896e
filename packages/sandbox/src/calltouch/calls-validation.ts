import { z } from 'zod';
import {
  checkEnvelope,
  duplicateIds,
  idOf,
  toIssues,
  type Checked,
  type ItemIssue,
} from './validation.ts';

/**
 * The call import's documented rules (PBX import document, `calls.*`), written independently
 * of the client package so the stand-in is a real check of it. Unknown fields are ignored.
 */
const CALL_TIME = /^(\d{4})-(\d{2})-(\d{2}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;
const realDay = (y: number, m: number, d: number) => {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};
const callTime = z.string().refine((text) => {
  const m = CALL_TIME.exec(text);
  return m !== null && realDay(Number(m[1]), Number(m[2]), Number(m[3]));
}, 'expected yyyy-mm-dd hh:mm:ss');
const digits = z.string().regex(/^\d+$/, 'expected digits only (0123456789)');
const seconds = z.int('expected an integer number of seconds').min(0);

export const sandboxCallSchema = z.looseObject({
  referenceId: z.string().min(1).max(100),
  sipCallId: z.string().max(45).optional(),
  clientPhoneNumber: digits,
  callCenterPhoneNumber: digits,
  callStartTime: callTime,
  duration: seconds,
  waitingTime: seconds,
  status: z.string().min(1),
  /** "URL link to the call recording in mp3 format". */
  recordUrl: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }).optional(),
  comment: z.strictObject({ text: z.string().max(1000) }).optional(),
  addTags: z
    .array(z.strictObject({ tag: z.string().min(1).max(100) }))
    .max(100)
    .optional(),
  manager: z.string().max(50).optional(),
  customSources: z
    .looseObject({
      source: z.string().min(1),
      medium: z.string().min(1),
      campaign: z.string().min(1),
      content: z.string().optional(),
      term: z.string().optional(),
    })
    .optional(),
  sessionId: z.string().max(100).optional(),
  customFields: z
    .array(z.looseObject({ field: z.string(), value: z.unknown() }))
    .max(20)
    .optional(),
});
export type SandboxCall = z.output<typeof sandboxCallSchema>;

/** Checks a `{calls: [...]}` body; any bad call refuses the whole request. */
export function checkCalls(body: unknown): Checked<SandboxCall> {
  const envelope = checkEnvelope(body, 'calls');
  if (!envelope.ok) return envelope;
  const issues: ItemIssue[] = [];
  const calls: SandboxCall[] = [];
  envelope.items.forEach((item, index) => {
    const result = sandboxCallSchema.safeParse(item);
    if (result.success) calls.push(result.data);
    else issues.push(...toIssues(result.error, index, idOf(item, 'referenceId')));
  });
  issues.push(
    ...duplicateIds(
      envelope.items.map((i) => idOf(i, 'referenceId')['referenceId']),
      'referenceId',
    ),
  );
  if (issues.length > 0)
    return { ok: false, message: `${issues.length} invalid call item(s)`, issues };
  return { ok: true, items: calls };
}

/**
 * The single-call `model=telemirfact` GET: query parameters to one call (PBX import document,
 * "Creating a Call by Client Phone Number and Call Date/Time").
 */
export function checkTelemirfact(query: Record<string, string | undefined>): Checked<SandboxCall> {
  if (query['model'] !== 'telemirfact') {
    return {
      ok: false,
      message: 'only model=telemirfact is supported for a GET without a calls body',
      issues: [{ field: 'model', reason: 'expected telemirfact' }],
    };
  }
  const int = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : v);
  const candidate = {
    referenceId: query['callid'],
    clientPhoneNumber: query['callerid'],
    callCenterPhoneNumber: query['phonenumber'] ?? query['destphonenumber'],
    callStartTime: query['date'],
    duration: int(query['duration']),
    waitingTime: int(query['waitingtime']),
    status: query['status'],
    ...(query['callrecordurl'] === undefined ? {} : { recordUrl: query['callrecordurl'] }),
  };
  const result = sandboxCallSchema.safeParse(candidate);
  if (!result.success) {
    const issues = toIssues(result.error, 0, idOf(candidate, 'referenceId'));
    return { ok: false, message: 'invalid call parameters', issues };
  }
  return { ok: true, items: [result.data] };
}
