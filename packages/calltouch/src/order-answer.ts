import { z } from 'zod';

/**
 * What a Calltouch orders answer says about the orders of its request. Calltouch's error
 * bodies are not documented (docs/crm-orders.md): peers read `data.validationErrorData`, our
 * stand-in answers `{errors: [{index, orderNumber, reason}]}`, and a 2xx may still carry
 * errors. So the body is read defensively — zod on every piece, nothing assumed about where
 * the errors are — and only what names an order of the request is attributed to it.
 */

/** One order an answer names as failed. */
export interface OrderIssue {
  /** The order's position in the request (0-based). */
  readonly index: number;
  /**
   * How the answer named it: `orderNumber` (unambiguous), `only` (the request had one order),
   * or `index` alone — a position that could be counted from 1, so a sender confirms it.
   */
  readonly by: 'orderNumber' | 'only' | 'index';
  /** Calltouch's words about it (cut to a few hundred characters). */
  readonly reason: string;
  /** The words read as temporary: try again, unavailable, timeout, overload… */
  readonly transient: boolean;
}

export interface OrdersAnswerReport {
  /** The answer carries errors: a success flag set false, a non-empty error list, an error text. */
  readonly hasErrors: boolean;
  /** The orders it names as failed, by position in the request. */
  readonly failed: ReadonlyMap<number, OrderIssue>;
  /** Errors that name no order of the request, as short texts (for logs and reasons). */
  readonly unattributed: readonly string[];
}

/** Entries read from one answer at most; a real answer names at most the 100 orders sent. */
const MAX_ENTRIES = 1_000;
const MAX_REASON = 300;
/** How deep the body is searched for error lists. */
const MAX_DEPTH = 4;

/** Keys whose non-empty value is a list (or map, or text) of errors. */
const ERROR_KEYS = new Set([
  'errors',
  'error',
  'failed',
  'failedorders',
  'failures',
  'validationerrors',
  'validationerrordata',
]);
/** Keys of per-order result lists, whose entries may each say they failed. */
const RESULT_KEYS = new Set(['orders', 'results', 'items']);
/** Flags that say the request as a whole did not succeed when false. */
const SUCCESS_FLAGS = ['success', 'ok', 'isSuccess', 'succeeded'] as const;

const TRANSIENT =
  /temporar|try (again|later)|retry|timed? ?out|unavailable|overload|too many|rate.?limit|internal (server )?error|later/i;
const ERROR_TEXT = /\b(errors?|fail(ed|ure)?|exception|invalid)\b/i;

const indexLike = z.union([
  z.int().nonnegative(),
  z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number),
]);
const idLike = z.union([z.string().min(1), z.number()]).transform(String);
const text = z.union([z.string(), z.number()]).transform(String);

/** One error entry, whatever it calls its parts. */
const entrySchema = z.looseObject({
  index: indexLike.optional(),
  orderIndex: indexLike.optional(),
  position: indexLike.optional(),
  orderNumber: idLike.optional(),
  order_number: idLike.optional(),
  field: z.string().optional(),
  path: z.string().optional(),
  property: z.string().optional(),
  reason: text.optional(),
  message: text.optional(),
  description: text.optional(),
  error: text.optional(),
  errorMessage: text.optional(),
  detail: text.optional(),
  code: text.optional(),
});

/** A per-order result that says it failed. */
const failedResultSchema = z.looseObject({
  success: z.literal(false).optional(),
  status: z.string().optional(),
  error: z.unknown().optional(),
  errors: z.unknown().optional(),
});

interface RawIssue {
  readonly index?: number;
  readonly orderNumber?: string;
  readonly reason: string;
}

const cut = (s: string) => (s.length > MAX_REASON ? `${s.slice(0, MAX_REASON)}…` : s);
const asText = (value: unknown) =>
  typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** The position a field path names: `orders[3].orderDate`, `orders.3.status`. */
function indexInPath(path: string | undefined): number | undefined {
  const m = path ? /orders?(?:\[(\d+)\]|\.(\d+))/i.exec(path) : null;
  return m ? Number(m[1] ?? m[2]) : undefined;
}

/** One error entry as an issue: its index, orderNumber and words, wherever it keeps them. */
function toRawIssue(value: unknown): RawIssue {
  if (!isObject(value)) return { reason: cut(asText(value)) };
  const parsed = entrySchema.safeParse(value);
  if (!parsed.success) return { reason: cut(asText(value)) };
  const e = parsed.data;
  const where = e.field ?? e.path ?? e.property;
  const index = e.index ?? e.orderIndex ?? e.position ?? indexInPath(where);
  const orderNumber = e.orderNumber ?? e.order_number;
  const nested = 'errors' in value ? collectEntries(value['errors'], 1).map((i) => i.reason) : [];
  const words = e.reason ?? e.message ?? e.description ?? e.errorMessage ?? e.error ?? e.detail;
  const reason = [where, words ?? (nested.length ? nested.join('; ') : undefined) ?? e.code]
    .filter((p): p is string => p !== undefined && p !== '')
    .join(': ');
  return {
    ...(index === undefined ? {} : { index }),
    ...(orderNumber === undefined ? {} : { orderNumber }),
    reason: cut(reason || asText(value)),
  };
}

/** The entries of an error value: a list, a single entry, a map of field path → words, a text. */
function collectEntries(value: unknown, depth: number): RawIssue[] {
  if (value === undefined || value === null || value === '' || value === false) return [];
  if (Array.isArray(value)) return value.slice(0, MAX_ENTRIES).map(toRawIssue);
  if (isObject(value)) {
    if (Object.keys(value).length === 0) return [];
    // A map of field path → words, as a validation summary may be.
    const looksLikeEntry = entrySchema.safeParse(value).success && hasEntryKey(value);
    if (!looksLikeEntry && depth > 0) {
      return Object.entries(value)
        .slice(0, MAX_ENTRIES)
        .map(([key, words]) => {
          const index = indexInPath(key);
          return {
            ...(index === undefined ? {} : { index }),
            reason: cut(`${key}: ${asText(words)}`),
          };
        });
    }
    return [toRawIssue(value)];
  }
  return [{ reason: cut(asText(value)) }];
}

const ENTRY_KEYS = [
  'index',
  'orderIndex',
  'position',
  'orderNumber',
  'order_number',
  'field',
  'path',
  'property',
  'reason',
  'message',
  'description',
  'error',
  'errorMessage',
  'code',
];
const hasEntryKey = (value: Record<string, unknown>) => ENTRY_KEYS.some((k) => k in value);

/** Per-order results (`data.orders: [{orderNumber, success: false, error}]`) that say they failed. */
function failedResults(value: unknown): RawIssue[] {
  if (!Array.isArray(value)) return [];
  return value.slice(0, MAX_ENTRIES).flatMap((entry, position) => {
    const parsed = failedResultSchema.safeParse(entry);
    if (!parsed.success) return [];
    const r = parsed.data;
    const failed =
      r.success === false ||
      (r.status !== undefined && /^(error|fail(ed|ure)?|rejected)$/i.test(r.status)) ||
      collectEntries(r.error, 1).length > 0 ||
      collectEntries(r.errors, 1).length > 0;
    if (!failed) return [];
    const issue = toRawIssue(entry);
    return [{ ...issue, index: issue.index ?? position }];
  });
}

interface Walk {
  readonly entries: RawIssue[];
  /** Texts of flags and messages that say the whole request failed. */
  readonly flags: string[];
}

/** Searches a JSON body for error lists, failed per-order results and failure flags. */
function walk(value: unknown, depth: number, found: Walk): void {
  if (depth > MAX_DEPTH || found.entries.length >= MAX_ENTRIES) return;
  if (Array.isArray(value)) {
    // A bare list answer: per-order results.
    found.entries.push(...failedResults(value));
    return;
  }
  if (!isObject(value)) return;
  for (const flag of SUCCESS_FLAGS) {
    if (value[flag] === false) {
      const message = typeof value['message'] === 'string' ? `: ${value['message']}` : '';
      found.flags.push(cut(`${flag}: false${message}`));
    }
  }
  if (typeof value['status'] === 'string' && /^(error|fail(ed|ure)?)$/i.test(value['status']))
    found.flags.push(cut(`status: ${value['status']}`));
  for (const [key, child] of Object.entries(value)) {
    const lower = key.toLowerCase();
    if (ERROR_KEYS.has(lower)) found.entries.push(...collectEntries(child, 1));
    else if (RESULT_KEYS.has(lower)) found.entries.push(...failedResults(child));
    else if (isObject(child) || Array.isArray(child)) walk(child, depth + 1, found);
  }
}

/**
 * Reads an orders answer (2xx or 4xx body, already JSON-parsed where it was JSON) against the
 * order numbers of its request, in request order. Pure. An order is named by its orderNumber,
 * by an index, or by a field path such as `orders[3].orderDate`; when an entry carries both and
 * they disagree, no index of the answer is trusted. When the request had one order, every
 * error is about it.
 */
export function readOrdersAnswer(
  body: unknown,
  orderNumbers: readonly string[],
): OrdersAnswerReport {
  const found: Walk = { entries: [], flags: [] };
  if (typeof body === 'string') {
    if (ERROR_TEXT.test(body)) found.flags.push(cut(body.trim()));
  } else walk(body, 0, found);
  const hasErrors = found.flags.length > 0 || found.entries.length > 0;
  if (!hasErrors) return { hasErrors, failed: new Map(), unattributed: [] };

  const position = new Map(orderNumbers.map((n, i) => [n, i]));
  const inRange = (i: number | undefined): i is number =>
    i !== undefined && i >= 0 && i < orderNumbers.length;
  // An index that contradicts its own orderNumber means the answer counts differently.
  const indicesTrusted = found.entries.every(
    (e) =>
      e.orderNumber === undefined || !inRange(e.index) || orderNumbers[e.index] === e.orderNumber,
  );
  const failed = new Map<number, OrderIssue>();
  const unattributed: string[] = [];
  const add = (index: number, by: OrderIssue['by'], reason: string) => {
    const known = failed.get(index);
    const words = known ? cut(`${known.reason}; ${reason}`) : reason;
    const strongest = known && known.by !== 'index' ? known.by : by;
    failed.set(index, { index, by: strongest, reason: words, transient: TRANSIENT.test(words) });
  };
  for (const entry of found.entries) {
    const byNumber = entry.orderNumber === undefined ? undefined : position.get(entry.orderNumber);
    if (byNumber !== undefined) add(byNumber, 'orderNumber', entry.reason);
    else if (entry.orderNumber === undefined && indicesTrusted && inRange(entry.index))
      add(entry.index, 'index', entry.reason);
    else unattributed.push(entry.reason);
  }
  if (found.entries.length === 0) unattributed.push(...found.flags);
  if (orderNumbers.length === 1 && unattributed.length > 0) {
    add(0, 'only', unattributed.join('; '));
    unattributed.length = 0;
  }
  return { hasErrors, failed, unattributed };
}

/** Longest piece of an answer kept with one delivered order (the job's return value). */
export const MAX_KEPT_ANSWER = 500;

/**
 * The part of a 2xx answer that concerns one order, to keep with its job: its entry in a
 * per-order result list when the answer has one, otherwise the answer itself, cut to
 * {@link MAX_KEPT_ANSWER} characters (100 orders share one answer: each keeps a bounded copy).
 */
export function orderAnswerOf(body: unknown, orderNumber: string): unknown {
  const own = findResult(body, orderNumber, 0);
  const kept = own ?? body;
  const json = JSON.stringify(kept) ?? '';
  return json.length <= MAX_KEPT_ANSWER ? kept : { truncated: json.slice(0, MAX_KEPT_ANSWER) };
}

function findResult(value: unknown, orderNumber: string, depth: number): unknown {
  if (depth > MAX_DEPTH || !isObject(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (RESULT_KEYS.has(key.toLowerCase()) && Array.isArray(child)) {
      const hit: unknown = (child as unknown[]).find(
        (e) => isObject(e) && idLike.safeParse(e['orderNumber']).data === orderNumber,
      );
      if (hit !== undefined) return hit;
    } else if (isObject(child)) {
      const hit = findResult(child, orderNumber, depth + 1);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}
