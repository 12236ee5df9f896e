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
 * The orders API v2 rules as the create/update documents and the seed example show them:
 * dates `dd-mm-yyyy hh:mm:ss`, money as decimal strings (numbers tolerated), at most 100
 * orders. Unknown fields are ignored, as the documents list more than the seed shows.
 */
const ORDER_TIME = /^(\d{2})-(\d{2})-(\d{4}) ([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;
const orderTime = z.string().refine((text) => {
  const m = ORDER_TIME.exec(text);
  if (!m) return false;
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}, 'expected dd-mm-yyyy hh:mm:ss');
const money = z.union([
  z.number(),
  z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal like 1000.00'),
]);
const tag = z.looseObject({ tag: z.string().min(1).max(100) });

const contactParams = z.looseObject({
  phones: z.array(z.string()).optional(),
  emails: z.array(z.string()).optional(),
  date: orderTime.optional(),
  searchDepth: z.int().positive().optional(),
});
const matching = z.array(
  z.looseObject({
    type: z.enum([
      'request',
      'call',
      'chat',
      'leadContact',
      'requestContact',
      'callContact',
      'chatContact',
      'customSources',
      'session',
      'withoutSource',
    ]),
    callContactParams: contactParams.optional(),
    requestContactParams: contactParams.optional(),
    leadContactParams: contactParams.optional(),
    customSourceParams: z
      .looseObject({
        source: z.string().min(1),
        medium: z.string().min(1),
        campaign: z.string().min(1),
      })
      .optional(),
  }),
);
const orderNumber = z.union([z.string().min(1), z.number()]).transform(String);

export const sandboxOrderCreateSchema = z.looseObject({
  orderNumber,
  // The seed names orderNumber, orderDate and status as what a create must carry.
  status: z.string().min(1),
  orderDate: orderTime,
  statusDate: orderTime.optional(),
  revenue: money.optional(),
  margin: money.optional(),
  matching: matching.optional(),
  addTags: z.array(tag).max(100).optional(),
});

export const sandboxOrderUpdateSchema = z.looseObject({
  orderNumber,
  status: z.string().min(1).optional(),
  statusDate: orderTime.optional(),
  updateDate: orderTime.optional(),
  revenue: money.optional(),
  margin: money.optional(),
  reMatching: matching.optional(),
  addTags: z
    .looseObject({ overwrite: z.boolean().optional(), tags: z.array(tag).max(100) })
    .optional(),
  addNewComment: z.looseObject({ text: z.string().max(1000) }).optional(),
});

export type SandboxOrder = Record<string, unknown> & { orderNumber: string };

/**
 * Checks a create or update body. `exists` answers whether an orderNumber is already known:
 * create of a known order and update of an unknown one refuse the request, naming the order.
 * `refused` (fault injection) names orders refused whatever they carry, with its reason.
 */
export function checkOrders(
  body: unknown,
  action: 'create' | 'update',
  exists: (orderNumber: string) => boolean,
  refused?: { readonly orderNumbers: ReadonlySet<string>; readonly reason: string },
): Checked<SandboxOrder> {
  const envelope = checkEnvelope(body, 'orders');
  if (!envelope.ok) return envelope;
  const crm = (body as Record<string, unknown>)['crm'];
  if (crm !== undefined && typeof crm !== 'string') {
    return {
      ok: false,
      message: '"crm" must be a string',
      issues: [{ field: 'crm', reason: 'expected a string' }],
    };
  }
  const schema = action === 'create' ? sandboxOrderCreateSchema : sandboxOrderUpdateSchema;
  const issues: ItemIssue[] = [];
  const orders: SandboxOrder[] = [];
  envelope.items.forEach((item, index) => {
    const result = schema.safeParse(item);
    if (!result.success) {
      issues.push(...toIssues(result.error, index, idOf(item, 'orderNumber')));
      return;
    }
    const order = result.data as SandboxOrder;
    const known = exists(order.orderNumber);
    if (refused?.orderNumbers.has(order.orderNumber)) {
      issues.push({ index, orderNumber: order.orderNumber, reason: refused.reason });
    } else if (action === 'create' && known) {
      issues.push({ index, orderNumber: order.orderNumber, reason: 'order already exists' });
    } else if (action === 'update' && !known) {
      issues.push({ index, orderNumber: order.orderNumber, reason: 'order not found' });
    } else orders.push(order);
  });
  issues.push(
    ...duplicateIds(
      envelope.items.map((i) => idOf(i, 'orderNumber')['orderNumber']),
      'orderNumber',
    ),
  );
  if (issues.length > 0)
    return { ok: false, message: `${issues.length} invalid order item(s)`, issues };
  return { ok: true, items: orders };
}
