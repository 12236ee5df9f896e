import type { z } from 'zod';

/** One bad item of a rejected request, as the stand-in reports it in its 400 body. */
export interface ItemIssue {
  index?: number;
  referenceId?: string;
  orderNumber?: string;
  field?: string;
  reason: string;
}

/** The whole request is refused when any item is bad: Calltouch accepts no partial batches. */
export type Checked<T> =
  { ok: true; items: T[] } | { ok: false; message: string; issues: ItemIssue[] };

/** Most calls or orders in one request (the PBX import and the orders documents). */
export const MAX_ITEMS = 100;

/** Builds a zod issue list into item issues named by index and id. */
export function toIssues(
  error: z.ZodError,
  index: number,
  id: { referenceId?: string; orderNumber?: string },
): ItemIssue[] {
  return error.issues.map((issue) => ({
    index,
    ...id,
    ...(issue.path.length > 0 ? { field: issue.path.map(String).join('.') } : {}),
    reason: issue.message,
  }));
}

/** Pulls a string id out of an item that may be anything, for naming it in an issue. */
export function idOf(item: unknown, key: 'referenceId' | 'orderNumber'): Record<string, string> {
  if (item !== null && typeof item === 'object' && key in item) {
    const value = (item as Record<string, unknown>)[key];
    if (typeof value === 'string' || typeof value === 'number') return { [key]: String(value) };
  }
  return {};
}

/** Checks the `{ <key>: [...] }` envelope: an array of 1..100 items. */
export function checkEnvelope(
  body: unknown,
  key: 'calls' | 'orders',
): { ok: true; items: unknown[] } | { ok: false; message: string; issues: ItemIssue[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'expected a JSON object body', issues: [] };
  }
  const items = (body as Record<string, unknown>)[key];
  if (!Array.isArray(items)) {
    return { ok: false, message: `"${key}" must be an array`, issues: [] };
  }
  if (items.length === 0) return { ok: false, message: `"${key}" is empty`, issues: [] };
  if (items.length > MAX_ITEMS) {
    return {
      ok: false,
      message: `at most ${MAX_ITEMS} ${key} per request, got ${items.length}`,
      issues: [],
    };
  }
  return { ok: true, items };
}

/** Reports items whose id repeats within one request. */
export function duplicateIds(
  ids: readonly (string | undefined)[],
  key: 'referenceId' | 'orderNumber',
): ItemIssue[] {
  const seen = new Map<string, number>();
  const issues: ItemIssue[] = [];
  ids.forEach((id, index) => {
    if (id === undefined) return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, index);
    else issues.push({ index, [key]: id, reason: `${key} repeats item ${first} of this request` });
  });
  return issues;
}
