import { z } from 'zod';
import { parseIsoInstant, type CrmDeal } from './deal-schema.ts';

/**
 * The merged state of one order as Redis keeps it: one hash field per deal field, each value
 * JSON-encoded (the merge script compares and copies them as opaque strings), plus the
 * delivery bookkeeping `seq` (bumped on every real change), `created` (Calltouch has the order)
 * and `applied` (the last seq Calltouch received).
 */
export const DEAL_FIELDS = [
  'orderNumber',
  'status',
  'orderDate',
  'statusDate',
  'revenue',
  'phones',
  'emails',
  'tags',
  'comment',
  'manager',
  'crm',
] as const;
export type DealField = (typeof DEAL_FIELDS)[number];

/** A deal as the merge script takes it: field/value pairs and the statusDate defaults. */
export interface DealWrite {
  readonly orderNumber: string;
  readonly fields: readonly (readonly [DealField, string])[];
  /** JSON statusDate used when this is the order's first state ('' when the deal has one). */
  readonly statusDateIfFirst: string;
  /** JSON statusDate used when a later state changes the status ('' when the deal has one). */
  readonly statusDateIfStatusChanges: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Turns a validated deal into the merge script's input. Dates become UTC instants (local
 * times read in `timeZone`), so the same instant written two ways is not a change. statusDate
 * defaults (docs/crm-orders.md): orderDate for the first state, the time received for later ones — here
 * for later states that change the status, so that a CRM retry of the same state, or a change
 * of the amount alone, does not move the date the status was set.
 */
export function toDealWrite(deal: CrmDeal, timeZone: string, receivedAtMs: number): DealWrite {
  const orderDate = iso(parseIsoInstant(deal.orderDate, timeZone) ?? Number.NaN);
  const fields: [DealField, string][] = [
    ['orderNumber', JSON.stringify(deal.orderNumber)],
    ['status', JSON.stringify(deal.status)],
    ['orderDate', JSON.stringify(orderDate)],
  ];
  const put = (field: DealField, value: unknown) => {
    if (value !== undefined) fields.push([field, JSON.stringify(value)]);
  };
  const statusDate =
    deal.statusDate === undefined
      ? undefined
      : iso(parseIsoInstant(deal.statusDate, timeZone) ?? Number.NaN);
  put('statusDate', statusDate);
  put('revenue', deal.revenue);
  put('phones', deal.phones);
  put('emails', deal.emails);
  put('tags', deal.tags);
  put('comment', deal.comment);
  put('manager', deal.manager);
  put('crm', deal.crm);
  return {
    orderNumber: deal.orderNumber,
    fields,
    statusDateIfFirst: statusDate === undefined ? JSON.stringify(orderDate) : '',
    statusDateIfStatusChanges: statusDate === undefined ? JSON.stringify(iso(receivedAtMs)) : '',
  };
}

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const count = z.string().regex(/^\d+$/).transform(Number);

/** Parses the order hash as read by HGETALL. */
export const orderStateSchema = z.object({
  orderNumber: json(z.string().min(1)),
  status: json(z.string()),
  orderDate: json(z.string()),
  statusDate: json(z.string()).optional(),
  revenue: json(z.string()).optional(),
  phones: json(z.array(z.string())).optional(),
  emails: json(z.array(z.string())).optional(),
  tags: json(z.array(z.string())).optional(),
  comment: json(z.string()).optional(),
  manager: json(z.string()).optional(),
  crm: json(z.string()).optional(),
  seq: count,
  created: z
    .enum(['0', '1'])
    .default('0')
    .transform((v) => v === '1'),
  applied: count.default(0),
  /** The comment Calltouch last received: update adds comments, so it is sent only on change. */
  commentSent: json(z.string()).optional(),
});

export type OrderState = z.output<typeof orderStateSchema>;
