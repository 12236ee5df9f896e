export {
  MAX_DEALS_PER_BODY,
  crmDealSchema,
  parseDealsBody,
  parseIsoInstant,
} from './deal-schema.ts';
export type { BodyIssue, CrmDeal, ParsedBody } from './deal-schema.ts';
export { DEAL_FIELDS, orderStateSchema, toDealWrite } from './order-state.ts';
export type { DealField, DealWrite, OrderState } from './order-state.ts';
export { orderKey, orderLockKey } from './order-keys.ts';
export { orderJobSchema, ordersFlowSpec } from './flow-spec.ts';
export type { OrderJob } from './flow-spec.ts';
export { createOrderIntake } from './intake.ts';
export type { OrderIntake, OrderIntakeOptions } from './intake.ts';
export { createWebhookAuth, signBody } from './auth.ts';
export type { AuthResult, HeaderAuthResult, WebhookAuth } from './auth.ts';
export { createCrmListenerServer } from './listener-server.ts';
export type { CrmListenerServer, CrmListenerServerOptions } from './listener-server.ts';
export {
  DEFAULT_MATCHING,
  toCalltouchOrderCreate,
  toCalltouchOrderUpdate,
  toMatchingPhones,
  toOrderMatching,
} from './to-calltouch-order.ts';
export type { OrderMappingOptions, OrderMatchingOptions } from './to-calltouch-order.ts';
export { createOrdersFlow, pickNewest } from './delivery.ts';
export type { OrdersFlowOptions } from './delivery.ts';
export { sendOrders } from './send-orders.ts';
export type { OrderEntry, OrdersEndpoint } from './order-entry.ts';
