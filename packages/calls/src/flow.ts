import type { CalltouchClient } from '@touchline/calltouch';
import type { CalltouchStack } from '@touchline/calltouch-delivery';
import { calltouchMetrics, freshnessMetrics, type Registry } from '@touchline/metrics';
import type { FlowDefinition, ItemOutcome } from '@touchline/queue';
import { createCallsDelivery } from './delivery.ts';
import { callsFlowSpec, type CallJob } from './flow-spec.ts';
import { callEndedAt, type ToCalltouchCallOptions } from './mapping/index.ts';

/**
 * How long a partial batch of calls waits for the next item once the queue is empty. The poller
 * enqueues each day it reads in one transaction, so an empty queue means the read is all
 * claimed: a partial batch leaves after this short gap rather than CHUNK_MAX_WAIT_MS. Retries
 * released together by backoff jitter arrive a few ms apart and still share a request.
 */
export const CALLS_IDLE_GAP_MS = 100;

export interface CallsFlowOptions {
  /** The Calltouch client, limiter and points budget of the worker. */
  readonly calltouch: Pick<CalltouchStack, 'client' | 'limiter' | 'exhaustion'>;
  readonly mapping: ToCalltouchCallOptions;
  /** CHUNK_MAX_WAIT_MS. */
  readonly maxWaitMs: number;
  /** Batches in flight per process (WORKER_BATCHES_IN_FLIGHT). */
  readonly concurrency?: number;
  readonly registry: Registry;
  readonly onRateLimited?: (retryAfterMs: number) => void;
}

/** The calls flow: batches of up to 100 (1 in pbx-single) into Calltouch's call import. */
export function createCallsFlow(options: CallsFlowOptions): FlowDefinition<CallJob> {
  const client: CalltouchClient = options.calltouch.client;
  const items = calltouchMetrics(options.registry).items;
  const freshness = freshnessMetrics(options.registry).calls;
  return {
    ...callsFlowSpec,
    batch: {
      max: client.maxCallsPerRequest,
      maxWaitMs: options.maxWaitMs,
      idleGapMs: CALLS_IDLE_GAP_MS,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    },
    deliver: createCallsDelivery({
      calltouch: options.calltouch,
      mapping: options.mapping,
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    }),
    onOutcome(item, outcome: ItemOutcome) {
      if (outcome.kind === 'delivered') {
        items.inc({ endpoint: 'calls_import', outcome: 'delivered' });
        // How long the call took from its end at MCN to Calltouch's acceptance, once per call.
        const endedAt = callEndedAt(item.data.mcn, options.mapping.mcnTimeZone);
        if (endedAt !== undefined && !outcome.duplicate)
          freshness.observe({ lane: item.lane }, Math.max(0, Date.now() - endedAt) / 1000);
        if (outcome.duplicate) items.inc({ endpoint: 'calls_import', outcome: 'duplicate' });
      } else if (outcome.kind === 'rejected') {
        items.inc({ endpoint: 'calls_import', outcome: 'rejected' });
      }
    },
  };
}
