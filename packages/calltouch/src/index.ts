export * from './endpoints.ts';
export { calltouchCallSchema, isCallStartTime } from './call.ts';
export type { CalltouchCall, CalltouchCustomSources } from './call.ts';
export {
  calltouchMatchingSchema,
  calltouchOrderCreateSchema,
  calltouchOrderUpdateSchema,
  isOrderDateTime,
} from './order.ts';
export type {
  CalltouchCustomField,
  CalltouchMatching,
  CalltouchOrderCreate,
  CalltouchOrderUpdate,
} from './order.ts';
export { calltouchRequestJournalSchema, calltouchRequestRecordSchema } from './request-record.ts';
export type { CalltouchRequestRecord } from './request-record.ts';
export { CalltouchError, isCalltouchError, MAX_ANSWER_KEPT, MAX_ERROR_BODY } from './errors.ts';
export { MAX_KEPT_ANSWER, orderAnswerOf, readOrdersAnswer } from './order-answer.ts';
export type { OrderIssue, OrdersAnswerReport } from './order-answer.ts';
export type { CalltouchErrorCode, CalltouchErrorOptions, RequestOutcome } from './errors.ts';
export { toLogId } from './log-id.ts';
export { toCalltouchDateTime, toCalltouchExportBound, toCalltouchOrderDateTime } from './dates.ts';
export { createCalltouchClient } from './client.ts';
export type {
  CalltouchClient,
  CalltouchClientOptions,
  GatePass,
  RequestEvent,
  RequestGate,
} from './client.ts';
export type { RequestsQuery } from './wire.ts';
export { normalizePhone } from './phone.ts';
