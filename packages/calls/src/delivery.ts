import type { CalltouchCall } from '@touchline/calltouch';
import {
  mayHaveArrived,
  sendBatch,
  toUnsettledOutcome,
  withInBatchRetry,
  type CalltouchStack,
} from '@touchline/calltouch-delivery';
import { bisect, type BatchItem, type DeliveryContext, type ItemOutcome } from '@touchline/queue';
import { toCalltouchCall, type ToCalltouchCallOptions } from './mapping/index.ts';
import type { CallJob } from './flow-spec.ts';

export interface CallsDeliveryOptions {
  readonly calltouch: Pick<CalltouchStack, 'client' | 'limiter' | 'exhaustion'>;
  readonly mapping: ToCalltouchCallOptions;
  readonly onRateLimited?: (retryAfterMs: number) => void;
}

interface Sendable {
  readonly id: string;
  readonly call: CalltouchCall;
  readonly item: BatchItem<CallJob>;
}

/**
 * The calls flow's `deliver`: maps each MCN record (a record that cannot be mapped is parked
 * with the reason), imports the rest in one request, and bisects a rejected batch so that the
 * good calls are delivered and the bad ones parked with Calltouch's answer.
 */
export function createCallsDelivery(options: CallsDeliveryOptions) {
  const { client, limiter, exhaustion } = options.calltouch;
  const { mapping } = options;
  return async function deliverCalls(
    items: readonly BatchItem<CallJob>[],
    ctx: DeliveryContext,
  ): Promise<Map<string, ItemOutcome>> {
    const outcomes = new Map<string, ItemOutcome>();
    const sendable: Sendable[] = [];
    for (const item of items) {
      const mapped = toCalltouchCall(item.data.mcn, mapping);
      if (mapped.kind === 'call') sendable.push({ id: item.id, call: mapped.call, item });
      else if (mapped.kind === 'skipped')
        outcomes.set(item.id, { kind: 'rejected', reason: `not imported: ${mapped.reason}` });
      else
        outcomes.set(item.id, {
          kind: 'rejected',
          reason: `cannot map the MCN call: ${mapped.reason}${mapped.detail ? ` (${mapped.detail})` : ''}`,
        });
    }
    // Calls sent again within the batch after a request whose answer never came: they may be
    // at Calltouch twice (counted as duplicates, as a re-send after a crash is).
    const mayHaveArrivedBefore = new Set<string>();
    try {
      await bisect(
        sendable,
        (batch) =>
          // A 5xx or a timeout is sent again at once (a few times) rather than failing every
          // call of the batch, bisection included: an innocent call never pays an attempt for
          // one unlucky request.
          withInBatchRetry(
            () =>
              sendBatch(batch, (b) => client.importCalls(b.map((s) => s.call)), ctx, {
                limiter,
                endpoint: 'calls_import',
                exhaustion,
                ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
              }),
            {
              signal: ctx.signal,
              onRetry: (err) => {
                if (mayHaveArrived(err)) for (const s of batch) mayHaveArrivedBefore.add(s.id);
              },
            },
          ),
        (s, outcome) =>
          outcomes.set(
            s.id,
            outcome.kind === 'delivered'
              ? {
                  kind: 'delivered',
                  duplicate: s.item.maybeDelivered || mayHaveArrivedBefore.has(s.id),
                }
              : outcome,
          ),
      );
    } catch (err) {
      const outcome = toUnsettledOutcome(err);
      for (const s of sendable) if (!outcomes.has(s.id)) outcomes.set(s.id, outcome);
    }
    return outcomes;
  };
}
