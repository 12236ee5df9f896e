import got from 'got';
import { AnswerTooLargeError, limitAnswer } from '@touchline/http';
import type { Logger } from '@touchline/logger';
import { leadsMetrics, type Registry } from '@touchline/metrics';
import type { BatchItem, DeliveryContext, FlowDefinition, ItemOutcome } from '@touchline/queue';
import { toDeliveryVerdict, toTransportFailure } from './delivery-verdict.ts';
import { leadsFlowSpec, type LeadJob } from './flow-spec.ts';
import { toLeadPayload, type LeadPayload } from './lead-payload.ts';
import { signLeadRequest } from './signature.ts';

export interface LeadsFlowOptions {
  readonly logger: Logger;
  readonly registry?: Registry;
  /** LEADS_WEBHOOK_URL. */
  readonly webhookUrl: string;
  /** LEADS_WEBHOOK_SECRET: HMAC key of the signature; never logged nor stored in a job. */
  readonly secret: string;
  /** CALLTOUCH_TIMEZONE, for `createdAt`. */
  readonly timeZone: string;
  /** Whole-request timeout of one POST. Default 10 s. */
  readonly timeoutMs?: number;
  /** POSTs in flight per process. Default 4. */
  readonly concurrency?: number;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

/** What a delivered lead's job keeps (Bull Board shows it). */
export interface LeadDeliveryResult {
  readonly status: number;
  readonly duplicate: boolean;
}

/**
 * The leads flow: each lead in its own signed POST to the CRM webhook (docs/leads.md), with
 * `Idempotency-Key: <requestId>`. A batch of one, so the batch consumer gives it what it gives
 * the Calltouch flows: the claim, stalled-job recovery, retries with backoff (the queue's job
 * options), parking, and the in-flight marks.
 *
 * Duplicates: a lead is marked right before its POST leaves and unmarked when an answer other
 * than success comes back (the consumer clears a delivered lead's mark once it is completed).
 * A lead still marked when it is sent again was in a request whose answer never came (timeout,
 * reset, process killed): the receiver may have it, so the re-delivery is counted `duplicate`;
 * `Idempotency-Key` lets the receiver drop it.
 */
export function createLeadsFlow(options: LeadsFlowOptions): FlowDefinition<LeadJob> {
  const { webhookUrl, secret, timeZone } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.logger.child({ component: 'leads-delivery' });
  const counter = options.registry ? leadsMetrics(options.registry).leads : undefined;

  const deliverLead = async (
    item: BatchItem<LeadJob>,
    ctx: DeliveryContext,
  ): Promise<ItemOutcome> => {
    let payload: LeadPayload;
    try {
      payload = toLeadPayload(item.data.record, { timeZone });
    } catch (err) {
      return {
        kind: 'rejected',
        reason: `cannot build the lead: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (ctx.signal.aborted) return { kind: 'released', reason: 'shutting down' };
    const body = JSON.stringify(payload);
    let answer: { status: number; body: string };
    try {
      const response = await limitAnswer(
        got.post(webhookUrl, {
          body,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            // Signed per attempt, so that each carries the time it left (docs/leads.md).
            ...signLeadRequest(body, secret),
            'Idempotency-Key': payload.requestId,
            'user-agent': 'touchline-leads',
          },
          timeout: { request: timeoutMs },
          // One retry layer: BullMQ's, with backoff and jitter across processes.
          retry: { limit: 0 },
          throwHttpErrors: false,
          followRedirect: false,
          hooks: { beforeRequest: [() => ctx.inflight.mark([item.id])] },
        }),
        // Only the start of an answer is kept (docs/leads.md); a receiver's page of megabytes is
        // not read into memory.
        MAX_ANSWER_BYTES,
      );
      answer = { status: response.statusCode, body: response.body };
    } catch (err) {
      if (err instanceof AnswerTooLargeError && err.statusCode !== undefined) {
        // The status came before the body: it is the receiver's verdict, whatever the body.
        answer = {
          status: err.statusCode,
          body: `(an answer larger than ${MAX_ANSWER_BYTES} bytes, not read)`,
        };
      } else {
        const failure = toTransportFailure(err);
        if (!failure.maybeDelivered) await ctx.inflight.clear([item.id]);
        return { kind: 'retry', reason: failure.reason };
      }
    }
    const verdict = toDeliveryVerdict(answer.status, answer.body);
    if (verdict.kind === 'delivered') {
      const result: LeadDeliveryResult = { status: answer.status, duplicate: item.maybeDelivered };
      return { kind: 'delivered', duplicate: item.maybeDelivered, result };
    }
    // An answer came: whatever it says, nothing is in flight any more.
    await ctx.inflight.clear([item.id]);
    return verdict.kind === 'park'
      ? { kind: 'rejected', reason: verdict.reason }
      : { kind: 'retry', reason: verdict.reason };
  };

  return {
    ...leadsFlowSpec,
    batch: {
      max: 1,
      maxWaitMs: 0,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    },
    async deliver(items, ctx) {
      return new Map(
        await Promise.all(
          items.map(async (item) => [item.id, await deliverLead(item, ctx)] as const),
        ),
      );
    },
    onOutcome(item, outcome) {
      const lastAttempt = item.attemptsMade + 1 >= item.attempts;
      if (outcome.kind === 'delivered') {
        counter?.inc({ outcome: 'delivered' });
        if (outcome.duplicate) counter?.inc({ outcome: 'duplicate' });
      } else if (outcome.kind === 'rejected' || (outcome.kind === 'retry' && lastAttempt)) {
        counter?.inc({ outcome: 'failed' });
        log.warn(
          { jobId: item.id, reason: outcome.reason },
          'lead parked; replay it once the receiver is fixed',
        );
      } else if (outcome.kind === 'retry') {
        log.warn(
          { jobId: item.id, attempt: item.attemptsMade + 1, reason: outcome.reason },
          'lead not delivered; retrying',
        );
      }
    },
  };
}
