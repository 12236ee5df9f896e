import { z } from 'zod';
import { isWallClock } from './wall-clock.ts';

/**
 * Deal (order) payloads of the Calltouch orders API v2, as the create/update documents and the
 * seed example show them. Dates are `dd-mm-yyyy hh:mm:ss` in the account's time zone; money
 * values are decimal strings ("1000.00").
 */

/** Whether `text` is `dd-mm-yyyy hh:mm:ss` naming a real date and time. */
export const isOrderDateTime = (text: string): boolean => isWallClock(text, 'dd-MM-yyyy HH:mm:ss');

const orderDate = () => z.string().refine(isOrderDateTime, 'expected dd-mm-yyyy hh:mm:ss');
const money = () => z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string like 1000.00');
const tag = z.strictObject({ tag: z.string().min(1).max(100) });

export type CalltouchLeadTypeToMatch = 'nearest' | 'nearestUniq' | (string & {});

export type CalltouchMatching =
  | {
      type: 'callContact';
      callContactParams: {
        phones: string[];
        date: string;
        callTypeToMatch?: CalltouchLeadTypeToMatch;
        searchDepth?: number;
        tags?: string[];
        tagsLogic?: string;
      };
    }
  | {
      type: 'requestContact';
      requestContactParams: {
        phones?: string[];
        emails?: string[];
        date: string;
        requestTypeToMatch?: CalltouchLeadTypeToMatch;
        searchDepth?: number;
        tags?: string[];
        tagsLogic?: string;
      };
    }
  | {
      type: 'customSources';
      customSourceParams: {
        source: string;
        medium: string;
        campaign: string;
        content?: string;
        term?: string;
      };
    }
  | { type: 'request'; requestParams: { requestId: number | string } & Record<string, unknown> }
  | { type: 'call'; callParams: { callId: number | string } & Record<string, unknown> }
  | { type: 'withoutSource' };

const contactParams = {
  phones: z.array(z.string().min(1)),
  date: orderDate(),
  searchDepth: z.int().positive().exactOptional(),
  tags: z.array(z.string()).exactOptional(),
  tagsLogic: z.string().exactOptional(),
};

export const calltouchMatchingSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('callContact'),
    callContactParams: z.strictObject({
      ...contactParams,
      callTypeToMatch: z.string().exactOptional(),
    }),
  }),
  z.strictObject({
    type: z.literal('requestContact'),
    requestContactParams: z.strictObject({
      ...contactParams,
      phones: contactParams.phones.exactOptional(),
      emails: z.array(z.string().min(1)).exactOptional(),
      requestTypeToMatch: z.string().exactOptional(),
    }),
  }),
  z.strictObject({
    type: z.literal('customSources'),
    customSourceParams: z.strictObject({
      source: z.string().min(1),
      medium: z.string().min(1),
      campaign: z.string().min(1),
      content: z.string().exactOptional(),
      term: z.string().exactOptional(),
    }),
  }),
  z.strictObject({
    type: z.literal('request'),
    requestParams: z.looseObject({ requestId: z.union([z.number(), z.string()]) }),
  }),
  z.strictObject({
    type: z.literal('call'),
    callParams: z.looseObject({ callId: z.union([z.number(), z.string()]) }),
  }),
  z.strictObject({ type: z.literal('withoutSource') }),
]) satisfies z.ZodType<CalltouchMatching>;

export interface CalltouchCustomField {
  field: string;
  value: string;
}

/** One deal for `client-order/create`. */
export interface CalltouchOrderCreate {
  orderNumber: string;
  status: string;
  /** `dd-mm-yyyy hh:mm:ss`. */
  orderDate: string;
  statusDate?: string;
  matching?: CalltouchMatching[];
  funnel?: string;
  currency?: string;
  revenue?: string;
  margin?: string;
  manager?: string;
  /** Calltouch's text objects are `{text}` everywhere (call import, update's addNewComment). */
  comment?: { text: string };
  /** Create takes a flat tag list (seed example). */
  addTags?: { tag: string }[];
  customFields?: CalltouchCustomField[];
}

/** One deal state for `client-order/update`, keyed by `orderNumber`; absent fields stay as they are. */
export interface CalltouchOrderUpdate {
  orderNumber: string;
  status?: string;
  statusDate?: string;
  updateDate?: string;
  funnel?: string;
  currency?: string;
  revenue?: string;
  margin?: string;
  manager?: string;
  addNewComment?: { text: string };
  /** Update takes `{overwrite, tags}` (update document). */
  addTags?: { overwrite?: boolean; tags: { tag: string }[] };
  customFields?: CalltouchCustomField[];
  reMatching?: CalltouchMatching[];
}

const orderNumber = z.string().min(1).max(255);
const customFields = z
  .array(z.strictObject({ field: z.string().min(1), value: z.string() }))
  .max(20);

export const calltouchOrderCreateSchema = z.strictObject({
  orderNumber,
  status: z.string().min(1),
  orderDate: orderDate(),
  statusDate: orderDate().exactOptional(),
  matching: z.array(calltouchMatchingSchema).exactOptional(),
  funnel: z.string().exactOptional(),
  currency: z.string().exactOptional(),
  revenue: money().exactOptional(),
  margin: money().exactOptional(),
  manager: z.string().exactOptional(),
  comment: z.strictObject({ text: z.string().max(1000) }).exactOptional(),
  addTags: z.array(tag).max(100).exactOptional(),
  customFields: customFields.exactOptional(),
}) satisfies z.ZodType<CalltouchOrderCreate>;

export const calltouchOrderUpdateSchema = z.strictObject({
  orderNumber,
  status: z.string().min(1).exactOptional(),
  statusDate: orderDate().exactOptional(),
  updateDate: orderDate().exactOptional(),
  funnel: z.string().exactOptional(),
  currency: z.string().exactOptional(),
  revenue: money().exactOptional(),
  margin: money().exactOptional(),
  manager: z.string().exactOptional(),
  addNewComment: z.strictObject({ text: z.string().max(1000) }).exactOptional(),
  addTags: z
    .strictObject({ overwrite: z.boolean().exactOptional(), tags: z.array(tag).max(100) })
    .exactOptional(),
  customFields: customFields.exactOptional(),
  reMatching: z.array(calltouchMatchingSchema).exactOptional(),
}) satisfies z.ZodType<CalltouchOrderUpdate>;
