import type { SandboxCall } from './calls-validation.ts';
import type { SandboxOrder } from './orders-validation.ts';
import type { PlayerStats } from './player.ts';

/** Endpoints as Touchline names them (`@touchline/config` CALLTOUCH_ENDPOINTS), plus unknown paths. */
export const STAND_IN_ENDPOINTS = [
  'calls_import',
  'orders_create',
  'orders_update',
  'requests_export',
] as const;
export type StandInEndpoint = (typeof STAND_IN_ENDPOINTS)[number];
export type CountedEndpoint = StandInEndpoint | 'unknown';

export type CallsVia = 'pbx-batch' | 'pbx-single' | 'lead-import';

export interface ReceivedCall {
  call: SandboxCall;
  /** How many accepted requests carried this referenceId; above 1 means duplicates. */
  receiveCount: number;
  firstReceivedAt: string;
  lastReceivedAt: string;
  via: CallsVia;
}

export interface OrderHistoryEntry {
  action: 'create' | 'update';
  at: string;
  order: SandboxOrder;
}

export interface StoredOrder {
  /** The order as the last accepted create/update left it (updates merge field by field). */
  state: SandboxOrder;
  history: OrderHistoryEntry[];
}

export interface StandInStats {
  requests: {
    /** Every arrival on a Calltouch path, refused ones included. */
    total: number;
    byEndpoint: Record<CountedEndpoint, number>;
    byStatus: Record<string, number>;
    /** Answers with 429 (sliding window or storm). */
    rateLimited: number;
    /** Requests left without an answer by the hang fault. */
    hung: number;
  };
  /** Most arrivals from one IP within any 1,000 ms (accepted and refused). */
  maxRequestsInAnyWindow: number;
  calls: { received: number; unique: number; duplicates: number };
  orders: { count: number; creates: number; updates: number };
  points: { total: number; byEndpoint: Record<StandInEndpoint, number> };
  journal: { requests: number };
  /** Calls that arrived with a recordUrl, and what playing them gave (when it is on). */
  recordings: { linked: number; player: PlayerStats };
}

const zeroBy = <K extends string>(keys: readonly K[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** The stand-in's memory: received calls, orders with history, and counters. */
export function createState(costs: Record<StandInEndpoint, number>) {
  const calls = new Map<string, ReceivedCall>();
  const orders = new Map<string, StoredOrder>();
  let counters = fresh();

  function fresh() {
    return {
      total: 0,
      byEndpoint: zeroBy<CountedEndpoint>([...STAND_IN_ENDPOINTS, 'unknown']),
      byStatus: {} as Record<string, number>,
      rateLimited: 0,
      hung: 0,
      callsReceived: 0,
      creates: 0,
      updates: 0,
      points: zeroBy<StandInEndpoint>(STAND_IN_ENDPOINTS),
    };
  }

  return {
    arrival(endpoint: CountedEndpoint) {
      counters.total++;
      counters.byEndpoint[endpoint]++;
    },
    answered(status: number) {
      counters.byStatus[String(status)] = (counters.byStatus[String(status)] ?? 0) + 1;
      if (status === 429) counters.rateLimited++;
    },
    hung() {
      counters.hung++;
    },
    /** A successful request costs its endpoint's points. */
    spend(endpoint: StandInEndpoint) {
      counters.points[endpoint] += costs[endpoint];
    },
    /** Keeps accepted calls; a known referenceId is accepted again but counted as a duplicate. */
    receiveCalls(items: readonly SandboxCall[], via: CallsVia, now: Date): { duplicates: number } {
      let duplicates = 0;
      const at = now.toISOString();
      for (const call of items) {
        counters.callsReceived++;
        const known = calls.get(call.referenceId);
        if (known) {
          duplicates++;
          known.receiveCount++;
          known.lastReceivedAt = at;
        } else {
          calls.set(call.referenceId, {
            call,
            receiveCount: 1,
            firstReceivedAt: at,
            lastReceivedAt: at,
            via,
          });
        }
      }
      return { duplicates };
    },
    hasOrder: (orderNumber: string) => orders.has(orderNumber),
    applyOrders(items: readonly SandboxOrder[], action: 'create' | 'update', now: Date) {
      const at = now.toISOString();
      for (const order of items) {
        const entry: OrderHistoryEntry = { action, at, order };
        const known = orders.get(order.orderNumber);
        if (action === 'create' || !known) {
          orders.set(order.orderNumber, { state: { ...order }, history: [entry] });
          counters.creates++;
        } else {
          known.state = { ...known.state, ...order };
          known.history.push(entry);
          counters.updates++;
        }
      }
    },
    calls: (): Record<string, ReceivedCall> => structuredClone(Object.fromEntries(calls)),
    call: (referenceId: string): ReceivedCall | undefined => {
      const found = calls.get(referenceId);
      return found ? structuredClone(found) : undefined;
    },
    orders: (): Record<string, StoredOrder> => structuredClone(Object.fromEntries(orders)),
    stats(maxInAnyWindow: number, journalSize: number, player: PlayerStats): StandInStats {
      const points = { ...counters.points };
      return {
        requests: {
          total: counters.total,
          byEndpoint: { ...counters.byEndpoint },
          byStatus: { ...counters.byStatus },
          rateLimited: counters.rateLimited,
          hung: counters.hung,
        },
        maxRequestsInAnyWindow: maxInAnyWindow,
        calls: {
          received: counters.callsReceived,
          unique: calls.size,
          duplicates: counters.callsReceived - calls.size,
        },
        orders: { count: orders.size, creates: counters.creates, updates: counters.updates },
        points: { total: Object.values(points).reduce((a, b) => a + b, 0), byEndpoint: points },
        journal: { requests: journalSize },
        recordings: {
          linked: [...calls.values()].filter((c) => c.call.recordUrl !== undefined).length,
          player,
        },
      };
    },
    reset() {
      calls.clear();
      orders.clear();
      counters = fresh();
    },
  };
}

export type StandInState = ReturnType<typeof createState>;
