import {
  normalizePhone,
  toCalltouchOrderDateTime,
  type CalltouchMatching,
  type CalltouchOrderCreate,
  type CalltouchOrderUpdate,
} from '@touchline/calltouch';
import type { OrderState } from './order-state.ts';

/** How deals are matched to Calltouch leads (docs/crm-orders.md, matching). */
export interface OrderMatchingOptions {
  /** `callContact`: the nearest call from one of the deal's phones. */
  readonly callContact: boolean;
  /** `requestContact`: the nearest request by the deal's phones and emails. */
  readonly requestContact: boolean;
  /** `callTypeToMatch` / `requestTypeToMatch`. */
  readonly typeToMatch: string;
  /** How far back a lead is searched (the seed's 259200). */
  readonly searchDepth: number;
  /** Fallback source when no lead matches; null sends none. */
  readonly customSources: { source: string; medium: string; campaign: string } | null;
}

export interface OrderMappingOptions {
  /** CALLTOUCH_TIMEZONE: Calltouch dates are wall-clock `dd-mm-yyyy hh:mm:ss` there. */
  readonly timeZone: string;
  readonly matching?: Partial<OrderMatchingOptions>;
  /** Country of phones written without a country code. */
  readonly defaultCountry?: string;
  /** Update replaces the order's tags with the deal's (default) or adds to them. */
  readonly tagsOverwrite?: boolean;
}

export const DEFAULT_MATCHING: OrderMatchingOptions = {
  callContact: true,
  requestContact: true,
  typeToMatch: 'nearest',
  searchDepth: 259_200,
  customSources: { source: 'офлайн-визит', medium: 'офлайн-визит', campaign: 'офлайн-визит' },
};

const date = (iso: string, timeZone: string) => toCalltouchOrderDateTime(Date.parse(iso), timeZone);

/** Normalised, de-duplicated phones; numbers that are not phone numbers are left out. */
export function toMatchingPhones(phones: readonly string[] | undefined, country = 'RU'): string[] {
  const out = new Set<string>();
  for (const raw of phones ?? []) {
    const phone = normalizePhone(raw, country);
    if (phone) out.add(phone);
  }
  return [...out];
}

/** The matching rules of one deal, in the seed's order: call, request, custom source. */
export function toOrderMatching(
  state: OrderState,
  options: OrderMappingOptions,
): CalltouchMatching[] {
  const m = { ...DEFAULT_MATCHING, ...options.matching };
  const phones = toMatchingPhones(state.phones, options.defaultCountry);
  const emails = [...new Set(state.emails ?? [])];
  const at = date(state.orderDate, options.timeZone);
  const matching: CalltouchMatching[] = [];
  if (m.callContact && phones.length > 0) {
    matching.push({
      type: 'callContact',
      callContactParams: {
        phones,
        date: at,
        callTypeToMatch: m.typeToMatch,
        searchDepth: m.searchDepth,
      },
    });
  }
  if (m.requestContact && (phones.length > 0 || emails.length > 0)) {
    matching.push({
      type: 'requestContact',
      requestContactParams: {
        ...(emails.length > 0 ? { emails } : {}),
        ...(phones.length > 0 ? { phones } : {}),
        date: at,
        requestTypeToMatch: m.typeToMatch,
        searchDepth: m.searchDepth,
      },
    });
  }
  if (m.customSources) {
    matching.push({ type: 'customSources', customSourceParams: { ...m.customSources } });
  }
  return matching;
}

/** The create body of one order, as in the seed's example request. */
export function toCalltouchOrderCreate(
  state: OrderState,
  options: OrderMappingOptions,
): CalltouchOrderCreate {
  const { timeZone } = options;
  const matching = toOrderMatching(state, options);
  return {
    ...(matching.length > 0 ? { matching } : {}),
    orderNumber: state.orderNumber,
    status: state.status,
    statusDate: date(state.statusDate ?? state.orderDate, timeZone),
    orderDate: date(state.orderDate, timeZone),
    ...(state.revenue !== undefined ? { revenue: state.revenue } : {}),
    ...(state.manager !== undefined ? { manager: state.manager } : {}),
    ...(state.comment ? { comment: { text: state.comment } } : {}),
    ...(state.tags && state.tags.length > 0 ? { addTags: state.tags.map((tag) => ({ tag })) } : {}),
  };
}

/**
 * The update body of one order: its whole current state, so Calltouch ends with the last state
 * received. Calltouch *adds* a comment on every update, so the comment goes only when it differs
 * from the one Calltouch already has. orderDate and matching are fixed at creation.
 */
export function toCalltouchOrderUpdate(
  state: OrderState,
  options: OrderMappingOptions,
): CalltouchOrderUpdate {
  const { timeZone } = options;
  return {
    orderNumber: state.orderNumber,
    status: state.status,
    statusDate: date(state.statusDate ?? state.orderDate, timeZone),
    ...(state.revenue !== undefined ? { revenue: state.revenue } : {}),
    ...(state.manager !== undefined ? { manager: state.manager } : {}),
    ...(state.comment && state.comment !== state.commentSent
      ? { addNewComment: { text: state.comment } }
      : {}),
    ...(state.tags !== undefined
      ? {
          addTags: {
            overwrite: options.tagsOverwrite ?? true,
            tags: state.tags.map((tag) => ({ tag })),
          },
        }
      : {}),
  };
}
