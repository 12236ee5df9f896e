import { UnrecoverableError, Worker, type Job } from 'bullmq';
import got from 'got';
import type { Redis } from 'ioredis';
import type { Logger } from '@touchline/logger';
import { leadsMetrics, type Registry } from '@touchline/metrics';
import { createInflight } from '@touchline/pipeline';
import { toDeliveryVerdict, toTransportFailure } from './delivery-verdict.ts';
import { leadJobSchema, leadsKeys } from './lead-job.ts';
import { toLeadPayload, type LeadPayload } from './lead-payload.ts';
import { signLeadRequest } from './signature.ts';

export interface LeadsDeliveryOptions {
  /** A worker-role connection (`maxRetriesPerRequest: null`); not closed by the delivery. */
  readonly connection: Redis;
  readonly prefix: string;
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
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** What a delivered lead's job keeps (Bull Board shows it). */
export interface LeadDeliveryResult {
  readonly status: number;
  readonly duplicate: boolean;
}

/**
 * Delivers each lead in its own signed POST to the CRM webhook. One BullMQ job per lead, so a
 * plain Worker with a processor is the whole machinery: the lock, stalled-job recovery,
 * retries with exponential backoff and jitter (the queue's job options), and parking via
 * `UnrecoverableError` (failed at once, no retry, replayable). The batch consumer would add
 * nothing here — no batches, no Calltouch limiter — and its in-flight mark outlives a 5xx,
 * which would count an ordinary retry as a duplicate.
 *
 * Duplicates: a lead is marked right before its POST leaves and unmarked when any answer
 * comes back. A lead still marked when it is processed again was in a request whose answer
 * never came (timeout, reset, process killed): the receiver may have it, so the re-delivery
 * is counted `duplicate`; `Idempotency-Key` lets the receiver drop it.
 */
export function createLeadsDelivery(options: LeadsDeliveryOptions) {
  const { connection, prefix, webhookUrl, secret, timeZone } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.logger.child({ component: 'leads-delivery' });
  const counter = options.registry ? leadsMetrics(options.registry).leads : undefined;
  const sent = createInflight(connection, leadsKeys(prefix).sent);
  const stats = { delivered: 0, duplicate: 0, failed: 0, retried: 0 };
  let worker: Worker | undefined;
  let closing: Promise<void> | undefined;

  const count = (outcome: 'delivered' | 'duplicate' | 'failed') => {
    stats[outcome] += 1;
    counter?.inc({ outcome });
  };

  /** Parks at once (no retry), counted `failed`. */
  const park = (job: Job, reason: string): never => {
    count('failed');
    log.warn({ jobId: job.id, reason }, 'lead parked; replay it once the receiver is fixed');
    throw new UnrecoverableError(reason);
  };

  /** Retried with backoff; counted `failed` when it was the last attempt. */
  const retry = (job: Job, reason: string): never => {
    stats.retried += 1;
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (last) count('failed');
    log.warn({ jobId: job.id, attempt: job.attemptsMade + 1, last, reason }, 'lead not delivered');
    throw new Error(reason);
  };

  const deliverLead = async (job: Job): Promise<LeadDeliveryResult> => {
    const id = String(job.id);
    const parsed = leadJobSchema.safeParse(job.data);
    if (!parsed.success) {
      return park(job, `invalid job data: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
    }
    let payload: LeadPayload;
    try {
      payload = toLeadPayload(parsed.data.record, { timeZone });
    } catch (err) {
      return park(
        job,
        `cannot build the lead: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const body = JSON.stringify(payload);
    const maybeDelivered = (await sent.marked([id])).size > 0;
    let answer: { status: number; body: string };
    try {
      const response = await got.post(webhookUrl, {
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
        hooks: { beforeRequest: [() => sent.mark([id])] },
      });
      answer = { status: response.statusCode, body: response.body };
    } catch (err) {
      const failure = toTransportFailure(err);
      if (!failure.maybeDelivered) await sent.clear([id]);
      return retry(job, failure.reason);
    }
    // An answer came: whatever it says, the outcome of this request is known.
    await sent.clear([id]);
    const verdict = toDeliveryVerdict(answer.status, answer.body);
    if (verdict.kind === 'park') return park(job, verdict.reason);
    if (verdict.kind === 'retry') return retry(job, verdict.reason);
    count('delivered');
    if (maybeDelivered) count('duplicate');
    return { status: answer.status, duplicate: maybeDelivered };
  };

  return {
    name: 'leads-delivery',
    stats,
    async start() {
      if (worker || closing) return;
      worker = new Worker('leads', deliverLead, {
        connection,
        prefix,
        concurrency: options.concurrency ?? 4,
        lockDuration: options.lockDurationMs ?? 30_000,
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        // A process killed twice while holding the same lead is no reason to park it.
        maxStalledCount: 10,
      });
      worker.on('error', (err) => log.warn({ err }, 'leads worker error'));
      await worker.waitUntilReady();
    },
    close() {
      // In-flight POSTs finish (bounded by the timeout) and settle; nothing new is claimed.
      return (closing ??= worker?.close() ?? Promise.resolve());
    },
  };
}
export type LeadsDelivery = ReturnType<typeof createLeadsDelivery>;
