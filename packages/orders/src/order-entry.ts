import type { BatchItem } from '@touchline/queue';
import type { OrderJob } from './flow-spec.ts';
import type { OrderState } from './order-state.ts';

/** One order on its way: the job, the state read under the lock, and how it goes out. */
export interface OrderEntry {
  readonly id: string;
  readonly item: BatchItem<OrderJob>;
  readonly state: OrderState;
  sentAs: 'create' | 'update';
}

export type OrdersEndpoint = 'orders_create' | 'orders_update';
