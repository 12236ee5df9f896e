import { DateTime } from 'luxon';
import { z } from 'zod';

/** Most deals in one webhook body (docs/crm-orders.md). */
export const MAX_DEALS_PER_BODY = 1_000;

/**
 * ISO 8601 date or date-time, with or without an offset. A space between date and time is
 * tolerated (CRMs send `2024-05-01 10:00:00`).
 */
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * Years a deal date may have. Below 1900 a date is a typo or a two-digit year (`0050-01-01`
 * was read by `Date.UTC` as 1950 and stored so); four digits is what ISO 8601's basic form and
 * Calltouch's `dd-mm-yyyy` hold.
 */
export const MIN_DEAL_YEAR = 1900;
export const MAX_DEAL_YEAR = 9999;
const ISO_EXPECTED = `expected an ISO 8601 date-time, YYYY-MM-DD with a year from ${MIN_DEAL_YEAR} to ${MAX_DEAL_YEAR} (time and offset optional)`;

/** Why `text` is no deal date, or undefined when it is one. */
export function isoDateProblem(text: string): string | undefined {
  const year = ISO.exec(text)?.[1];
  if (year === undefined) return ISO_EXPECTED;
  if (Number(year) < MIN_DEAL_YEAR) return `year ${Number(year)} is before ${MIN_DEAL_YEAR}`;
  return parseIsoInstant(text, 'UTC') === undefined ? 'no such date or time' : undefined;
}

/**
 * Reads an ISO 8601 text as an instant; undefined when it is not one, names no real date
 * (Date.parse accepts 30 February) or has a year before {@link MIN_DEAL_YEAR} (which
 * `Date.UTC` would move by 1900 years). Texts without an offset are wall-clock times of `timeZone`
 * (the Calltouch account's zone): a CRM that sends local times means local times. Texts with an
 * offset are computed directly — this runs for every deal the listener takes, and luxon's zone
 * machinery was its largest cost.
 */
export function parseIsoInstant(text: string, timeZone: string): number | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
    Number(m[i] ?? 0),
  ) as [number, number, number, number, number, number];
  if (year < MIN_DEAL_YEAR) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millisecond = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const offset = m[8];
  if (offset === undefined) {
    const local = DateTime.fromObject(
      { year, month, day, hour, minute, second, millisecond },
      { zone: timeZone },
    );
    return local.isValid ? local.toMillis() : undefined;
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  if (offset === 'Z') return utc;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || 0);
  if (minutes > 18 * 60) return undefined;
  return utc - (offset.startsWith('-') ? -minutes : minutes) * 60_000;
}

const ISO_EXAMPLE = 'an ISO 8601 date-time string such as 2024-05-01T10:00:00+03:00';
const kindOf = (input: unknown): string =>
  input === null ? 'null' : Array.isArray(input) ? 'an array' : `a ${typeof input}`;

const isoDate = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? `required: ${ISO_EXAMPLE}`
        : `expected ${ISO_EXAMPLE}, got ${kindOf(issue.input)}`,
  })
  .superRefine((text, ctx) => {
    const problem = isoDateProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const DECIMAL = /^-?\d{1,15}(?:\.\d{1,6})?$/;
const revenue = z.union(
  [
    z
      .number()
      .refine((n) => Number.isFinite(n) && Math.abs(n) < 1e15, 'expected a finite amount')
      .transform((n) => String(n)),
    z
      .string()
      .transform((s) => s.trim())
      .refine((s) => DECIMAL.test(s), 'expected a decimal amount like 1000.50'),
  ],
  { error: 'expected a number or a decimal string' },
);

/**
 * A string, or a number kept as its string. A number is only taken when JSON can carry it
 * exactly: `1e21`, `1.5` or anything past 2^53 has already lost or changed digits by the time
 * it is parsed, and its string form (`1e+21`, `0.30000000000000004`) is no order number.
 */
const orderNumber = z
  .union([z.string(), z.number()], { error: 'required: a string or a number' })
  .transform((value, ctx) => {
    if (typeof value === 'number') {
      if (Number.isSafeInteger(value) && value >= 0) return String(value);
      ctx.addIssue({
        code: 'custom',
        message: `a number orderNumber must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}; send large or fractional ids as strings (got ${value})`,
      });
      return z.NEVER;
    }
    const text = value.trim();
    if (text.length === 0 || text.length > 255) {
      ctx.addIssue({
        code: 'custom',
        message: text.length === 0 ? 'must not be empty' : 'at most 255 characters',
      });
      return z.NEVER;
    }
    return text;
  });

const phone = z.union([z.string().max(64), z.number()], { error: 'expected a string or a number' });

/** An optional field; `null` is read as "not sent" (CRMs send nulls for empty fields). */
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/**
 * One deal as the CRM sends it. Unknown fields are ignored (CRMs send more than we use);
 * every field we use is checked, so a 400 can name each problem.
 */
export const crmDealSchema = z.object({
  orderNumber,
  status: z
    .string({ error: 'required: a string' })
    .min(1, 'must not be empty')
    .max(255, 'at most 255 characters'),
  orderDate: isoDate,
  statusDate: opt(isoDate),
  revenue: opt(revenue),
  phones: opt(
    z
      .array(phone)
      .max(20, 'at most 20 phones')
      .transform((a) => a.map(String)),
  ),
  emails: opt(z.array(z.email('expected an email address')).max(20, 'at most 20 emails')),
  tags: opt(
    z
      .array(z.string().min(1, 'must not be empty').max(100, 'at most 100 characters'))
      .max(100, 'at most 100 tags'),
  ),
  comment: opt(z.string().max(1000, 'at most 1000 characters')),
  manager: opt(z.string().max(255, 'at most 255 characters')),
  crm: opt(z.string().min(1, 'must not be empty').max(100, 'at most 100 characters')),
});

export type CrmDeal = z.output<typeof crmDealSchema>;

const envelopeSchema = z.object({
  orders: z
    .array(z.unknown(), { error: 'expected an array of deals' })
    .min(1, 'expected at least one deal')
    .max(MAX_DEALS_PER_BODY, `at most ${MAX_DEALS_PER_BODY} deals per request`),
});

export interface BodyIssue {
  /** Dotted path into the body, e.g. `orders.3.orderDate`. */
  readonly path: string;
  readonly message: string;
}

export type ParsedBody =
  | { readonly ok: true; readonly deals: CrmDeal[] }
  | { readonly ok: false; readonly issues: BodyIssue[]; readonly dealCount: number };

const toIssues = (error: z.ZodError, base: (string | number)[]): BodyIssue[] =>
  error.issues.map((issue) => ({
    path: [...base, ...issue.path].map(String).join('.') || '(body)',
    message: issue.message,
  }));

/**
 * Validates a webhook body: one deal object, or `{ "orders": [...] }` with 1..1,000 deals.
 * Reports every problem of every deal, so the CRM side can fix them in one go.
 */
export function parseDealsBody(body: unknown): ParsedBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return {
      ok: false,
      dealCount: 1,
      issues: [{ path: '(body)', message: 'expected a deal object or {"orders": [...]}' }],
    };
  }
  if (!('orders' in body)) {
    const result = crmDealSchema.safeParse(body);
    return result.success
      ? { ok: true, deals: [result.data] }
      : { ok: false, dealCount: 1, issues: toIssues(result.error, []) };
  }
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) {
    const orders = (body as { orders?: unknown }).orders;
    return {
      ok: false,
      dealCount: Array.isArray(orders) ? Math.max(orders.length, 1) : 1,
      issues: toIssues(envelope.error, []),
    };
  }
  const issues: BodyIssue[] = [];
  const deals: CrmDeal[] = [];
  envelope.data.orders.forEach((item, index) => {
    const result = crmDealSchema.safeParse(item);
    if (!result.success) issues.push(...toIssues(result.error, ['orders', index]));
    else deals.push(result.data);
  });
  return issues.length > 0
    ? { ok: false, issues, dealCount: envelope.data.orders.length }
    : { ok: true, deals };
}
