import { isCalltouchError, orderAnswerOf, readOrdersAnswer } from '@touchline/calltouch';
import type { OrderIssue } from '@touchline/calltouch';
import {
  BudgetPausedError,
  RateLimitedDeliveryError,
  mayHaveArrived,
  sendBatch,
  toUnsettledOutcome,
  withInBatchRetry,
  type InBatchRetryOptions,
  type SendOptions,
} from '@touchline/calltouch-delivery';
import type { Logger } from '@touchline/logger';
import type { DeliveryContext, ItemOutcome } from '@touchline/queue';
import type { OrderEntry, OrdersEndpoint } from './order-entry.ts';

/** Why items waited without spending an attempt (`touchline_deferrals_total{reason}`). */
export type DeferralReason = 'rate_limited' | 'budget' | 'calltouch_failing';

/** Where a lane's orders go, and what becomes of each once Calltouch has answered about it. */
export interface Lane {
  readonly endpoint: OrdersEndpoint;
  request(entries: readonly OrderEntry[]): Promise<{ body: unknown }>;
  /** Calltouch took the order; `answer` is its bounded piece of the answer. */
  delivered(entry: OrderEntry, answer: unknown): void;
  /** Calltouch refused the order by itself: sent alone, or named by the answer. */
  refused(entry: OrderEntry, reason: string): void;
}

export interface IsolationOptions {
  readonly ctx: DeliveryContext;
  readonly sendOptions: (endpoint: OrdersEndpoint) => SendOptions;
  readonly inBatchRetry?: Pick<InBatchRetryOptions, 'attempts' | 'firstDelayMs'>;
  /** Settles an order that is neither delivered nor refused (retry, deferred, released). */
  readonly settle: (
    entry: OrderEntry,
    outcome: ItemOutcome,
    endpoint: OrdersEndpoint,
    deferral?: DeferralReason,
  ) => void;
  /** A 2xx carried errors; `attributed` when each of them named orders of the request. */
  readonly onAnswerErrors?: (endpoint: OrdersEndpoint, attributed: boolean) => void;
  readonly log: Logger;
}

type Sent =
  | { readonly kind: 'accepted'; readonly body: unknown }
  | { readonly kind: 'refused'; readonly reason: string; readonly cause: unknown }
  | { readonly kind: 'stopped' };

/** How long the orders of a batch wait, unsent, once one of its requests kept failing. */
const FAILING_PAUSE_MS = 1_000;

const deferralOf = (err: unknown): DeferralReason =>
  err instanceof RateLimitedDeliveryError
    ? 'rate_limited'
    : err instanceof BudgetPausedError
      ? 'budget'
      : 'calltouch_failing';

const snippet = (body: unknown) => (JSON.stringify(body) ?? String(body)).slice(0, 500);

/**
 * Sends orders and isolates the ones Calltouch refuses, using what its answers say:
 * - a refusal (4xx) that names orders by orderNumber drops them at once and sends the rest; an
 *   order named only by index is confirmed alone (an index may be counted from 1); a refusal
 *   that names none is split in halves, as `bisect` (packages/queue/src/bisect.ts) does;
 * - a 2xx that names failed orders settles them as refused (or retried, when Calltouch's words
 *   say it is temporary) and the rest as delivered; a 2xx whose errors name no order cannot say
 *   what was taken: its orders are isolated as a refusal would be, their re-sends counted as
 *   duplicates;
 * - a request that fails transiently is retried within the batch (`withInBatchRetry`); if it
 *   still fails only its own orders pay an attempt, and the orders of the batch not sent yet
 *   wait a moment without paying one. A 429 hold, a paused budget or a shutdown stops the batch
 *   the same way with their own outcome.
 * One per batch: it remembers orders whose request may have arrived although no success came
 * back, and what stopped the batch.
 */
export function createIsolation(options: IsolationOptions) {
  const { ctx, log } = options;
  const uncertain = new Set<string>();
  const halts = new Map<string, { outcome: ItemOutcome; deferral?: DeferralReason }>();

  const stop = (lane: Lane, entries: readonly OrderEntry[], err: unknown) => {
    const now = Date.now();
    const own = toUnsettledOutcome(err, now);
    const deferral = deferralOf(err);
    for (const e of entries) options.settle(e, own, lane.endpoint, deferral);
    if (own.kind === 'retry') {
      // Calltouch keeps failing: the orders not sent yet do not pay for a request not theirs.
      log.warn(
        { err, endpoint: lane.endpoint, orders: entries.length },
        'Calltouch request failed after in-batch retries; the rest of the batch waits',
      );
      halts.set('*', {
        outcome: {
          kind: 'deferred',
          untilMs: now + FAILING_PAUSE_MS + Math.floor(Math.random() * (FAILING_PAUSE_MS / 2)),
          reason: `not sent: another request of this batch failed (${own.reason})`,
        },
        deferral: 'calltouch_failing',
      });
    } else {
      // A paused budget stops its endpoint only: creates go on while updates wait.
      halts.set(err instanceof BudgetPausedError ? err.endpoint : '*', { outcome: own, deferral });
    }
  };

  const attempt = async (lane: Lane, entries: readonly OrderEntry[]): Promise<Sent> => {
    const halt = halts.get('*') ?? halts.get(lane.endpoint);
    if (halt) {
      for (const e of entries) options.settle(e, halt.outcome, lane.endpoint, halt.deferral);
      return { kind: 'stopped' };
    }
    const noteArrival = (err: unknown) => {
      if (mayHaveArrived(err)) for (const e of entries) uncertain.add(e.id);
    };
    try {
      const result = await withInBatchRetry(
        () => sendBatch(entries, (xs) => lane.request(xs), ctx, options.sendOptions(lane.endpoint)),
        { ...options.inBatchRetry, signal: ctx.signal, onRetry: noteArrival },
      );
      return result.ok
        ? { kind: 'accepted', body: result.answer?.body }
        : { kind: 'refused', reason: result.reason, cause: result.cause };
    } catch (err) {
      noteArrival(err);
      stop(lane, entries, err);
      return { kind: 'stopped' };
    }
  };

  /** An order the answer names: retried when the words say "temporary", else refused. */
  const settleNamed = (lane: Lane, entry: OrderEntry, issue: OrderIssue, reason: string) => {
    if (issue.transient) options.settle(entry, { kind: 'retry', reason }, lane.endpoint);
    else lane.refused(entry, reason);
  };

  const accepted = async (lane: Lane, entries: readonly OrderEntry[], body: unknown) => {
    const numbers = entries.map((e) => e.state.orderNumber);
    const report = readOrdersAnswer(body, numbers);
    const deliver = (e: OrderEntry) => lane.delivered(e, orderAnswerOf(body, e.state.orderNumber));
    if (!report.hasErrors) {
      entries.forEach(deliver);
      return true;
    }
    const attributed = report.unattributed.length === 0;
    const named = [...report.failed.values()];
    options.onAnswerErrors?.(lane.endpoint, attributed);
    log.warn(
      {
        endpoint: lane.endpoint,
        named: named.map((i) => ({ orderNumber: numbers[i.index], by: i.by, reason: i.reason })),
        unattributed: report.unattributed,
        answer: snippet(body),
      },
      'Calltouch answered 2xx but the answer carries errors',
    );
    const confirm: OrderEntry[] = [];
    for (const issue of named) {
      const entry = entries[issue.index] as OrderEntry;
      if (issue.by === 'index' && !issue.transient) confirm.push(entry);
      else {
        const reason = `Calltouch ${lane.endpoint} answered 2xx with an error for order ${entry.state.orderNumber}: ${issue.reason}`;
        settleNamed(lane, entry, issue, reason);
      }
    }
    const rest = entries.filter((_, i) => !report.failed.has(i));
    if (attributed) rest.forEach(deliver);
    else {
      // Errors that name no order: what Calltouch took is unknown. Isolate as for a refusal.
      for (const e of rest) uncertain.add(e.id);
      await split(lane, rest, false);
    }
    for (const e of confirm) {
      uncertain.add(e.id);
      await isolate(lane, [e], false);
    }
    return false;
  };

  const refused = async (
    lane: Lane,
    entries: readonly OrderEntry[],
    sent: Extract<Sent, { kind: 'refused' }>,
  ) => {
    const [only] = entries;
    if (entries.length === 1 && only) {
      lane.refused(only, sent.reason);
      return false;
    }
    const answer = isCalltouchError(sent.cause) ? sent.cause.answer : undefined;
    const status = isCalltouchError(sent.cause) ? (sent.cause.status ?? '—') : '—';
    const report = readOrdersAnswer(
      answer,
      entries.map((e) => e.state.orderNumber),
    );
    if (report.failed.size === 0) return split(lane, entries, true);
    const confirm: OrderEntry[] = [];
    for (const issue of report.failed.values()) {
      const entry = entries[issue.index] as OrderEntry;
      if (issue.by === 'index') confirm.push(entry);
      else {
        const reason = `Calltouch ${lane.endpoint} refused order ${entry.state.orderNumber} (HTTP ${status}): ${issue.reason}`;
        settleNamed(lane, entry, issue, reason);
      }
    }
    await isolate(
      lane,
      entries.filter((_, i) => !report.failed.has(i)),
      false,
    );
    for (const e of confirm) await isolate(lane, [e], false);
    return false;
  };

  /**
   * Halves: the first is sent; when it goes through whole and `inferRight` (the request was
   * refused), the second is known to hold the refused orders and is split without being sent.
   */
  const split = async (
    lane: Lane,
    entries: readonly OrderEntry[],
    inferRight: boolean,
  ): Promise<boolean> => {
    if (entries.length <= 1) return isolate(lane, entries, false);
    const middle = Math.ceil(entries.length / 2);
    const leftClean = await isolate(lane, entries.slice(0, middle), false);
    const rightClean = await isolate(lane, entries.slice(middle), inferRight && leftClean);
    return leftClean && rightClean;
  };

  /** Sends `entries` and settles each; true when all were delivered on a clean answer. */
  const isolate = async (
    lane: Lane,
    entries: readonly OrderEntry[],
    knownBad: boolean,
  ): Promise<boolean> => {
    if (entries.length === 0) return true;
    if (knownBad && entries.length > 1) return split(lane, entries, true);
    const sent = await attempt(lane, entries);
    if (sent.kind === 'stopped') return false;
    if (sent.kind === 'accepted') return accepted(lane, entries, sent.body);
    return refused(lane, entries, sent);
  };

  return {
    /** Sends the orders through `lane` and settles every one of them. */
    send: (lane: Lane, entries: readonly OrderEntry[]) => isolate(lane, entries, false),
    /** Whether a delivered order may have been delivered before (counted as a duplicate). */
    mayBeDuplicate: (entry: OrderEntry) => entry.item.maybeDelivered || uncertain.has(entry.id),
  };
}

export type Isolation = ReturnType<typeof createIsolation>;
