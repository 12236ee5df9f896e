import type { LeadsConfig } from '@touchline/config';
import { createLeadsExporter, createLeadsFlow, leadsFlowSpec, leadsKeys } from '@touchline/leads';
import { leadsMetrics } from '@touchline/metrics';
import {
  closeQueue,
  createBatchConsumer,
  createFlowQueue,
  createWakeSignal,
} from '@touchline/queue';
import type { Component, RoleDefinition } from '@touchline/runtime';
import { calltouchStackOf } from './calltouch.ts';

export interface LeadsRoleOptions {
  /** The exporter's clock (tests move it across midnight). */
  readonly now?: () => number;
  /** Overrides LEADS_POLL_INTERVAL_SECONDS (tests run ticks faster than its 10 s minimum). */
  readonly intervalMs?: number;
  readonly overlapMs?: number;
  /** Timeout of one webhook POST. Default 10 s. */
  readonly deliveryTimeoutMs?: number;
  /** Webhook POSTs in flight per process. Default 4. */
  readonly deliveryConcurrency?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

/** Where leads go, for the log: scheme, host and path only (no credentials, no query). */
const describeUrl = (raw: string): string => {
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}`;
};

const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

/**
 * `touchline leads`: the export of new Calltouch requests and their delivery to the CRM
 * webhook, in that order of closing: the export stops first, deliveries in flight finish, then
 * the queue closes. With LEADS_WEBHOOK_URL unset the export is off, and says so.
 */
export function leadsRole(options: LeadsRoleOptions = {}): RoleDefinition<LeadsConfig> {
  return {
    name: 'leads',
    secrets: (config) => [config.CALLTOUCH_API_TOKEN, config.LEADS_WEBHOOK_SECRET],
    stopWithinMs: (config) =>
      Math.max(
        config.CALLTOUCH_TIMEOUT_MS,
        options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
      ),
    parts(config, ctx) {
      const { logger, registry, redis } = ctx;
      // The series exists (at zero) even while the export is off: dashboards and alerts see it.
      leadsMetrics(registry);
      const url = config.LEADS_WEBHOOK_URL;
      const secret = config.LEADS_WEBHOOK_SECRET;
      if (!url || !secret) {
        return [
          {
            name: 'leads-off',
            async start() {
              logger.info(
                'leads export is off: LEADS_WEBHOOK_URL is unset (metrics and health are still served)',
              );
            },
            async close() {},
          },
        ];
      }
      const prefix = config.QUEUE_PREFIX;
      const intervalMs = options.intervalMs ?? config.LEADS_POLL_INTERVAL_SECONDS * 1000;
      const queue = createFlowQueue(leadsFlowSpec, redis, prefix);
      const queueComponent: Component = {
        name: 'leads-queue',
        async start() {
          logger.info({ webhook: describeUrl(url), intervalMs }, 'leads export on');
        },
        close: () => closeQueue(queue),
      };
      const delivery = createBatchConsumer({
        flow: createLeadsFlow({
          logger,
          registry,
          webhookUrl: url,
          secret,
          timeZone: config.CALLTOUCH_TIMEZONE,
          timeoutMs: options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS,
          ...(options.deliveryConcurrency ? { concurrency: options.deliveryConcurrency } : {}),
        }),
        connection: redis,
        prefix,
        logger,
        ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
        ...(options.stalledIntervalMs ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
      });
      const exporter = createLeadsExporter({
        redis,
        queue,
        calltouch: calltouchStackOf(config, ctx),
        prefix,
        logger,
        registry,
        intervalMs,
        timeZone: config.CALLTOUCH_TIMEZONE,
        flags: config.LEADS_REQUEST_FLAGS,
        wake: createWakeSignal(leadsKeys(prefix).wake),
        eventsMinGapMs: config.LEADS_EVENTS_MIN_GAP_SECONDS * 1000,
        ...(options.overlapMs !== undefined ? { overlapMs: options.overlapMs } : {}),
        ...(options.now ? { now: options.now } : {}),
      });
      return [queueComponent, delivery, exporter];
    },
  };
}
