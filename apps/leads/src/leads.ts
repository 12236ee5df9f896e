import type { Queue } from 'bullmq';
import type { LeadsConfig } from '@touchline/config';
import { createLeadsDelivery, createLeadsExporter } from '@touchline/leads';
import type { Logger } from '@touchline/logger';
import { leadsMetrics } from '@touchline/metrics';
import { createCalltouchStack, createFlowQueue, type CalltouchStack } from '@touchline/pipeline';
import {
  runRoleProcess,
  type Component,
  type RoleContext,
  type RunningRole,
} from '@touchline/runtime';

export interface LeadsPartsOptions {
  /** Reuse a stack (`touchline all` may share the worker's); default: a new one. */
  readonly stack?: CalltouchStack;
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

export interface LeadsOptions extends LeadsPartsOptions {
  readonly handleSignals?: boolean;
  /** Log here instead of a new logger (tests read the lines). */
  readonly logger?: Logger;
  /** Interface of the ops server; default all interfaces. */
  readonly opsHost?: string;
}

/** Where leads go, for the log: scheme, host and path only (no credentials, no query). */
const describeUrl = (raw: string): string => {
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}`;
};

/**
 * The leads role's components on a given context (alone, or inside `touchline all`): the
 * Calltouch stack, the `leads` queue, the webhook delivery and the export scheduler, listed so
 * that closing in reverse stops the export first, then lets deliveries in flight finish, then
 * closes the queue and the stack.
 * With LEADS_WEBHOOK_URL unset the export is off: one component that says so in the log.
 */
export function createLeadsParts(
  config: LeadsConfig,
  ctx: RoleContext,
  options: LeadsPartsOptions = {},
): Component[] {
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
  // The leads role never imports calls: 'lead-import' only keeps the client from asking for
  // ATS credentials that this role does not read.
  const stack =
    options.stack ??
    createCalltouchStack(
      { ...config, CALLTOUCH_CALLS_MODE: 'lead-import' },
      redis,
      registry,
      logger,
    );
  // A stack made here is closed here (it may own connections, e.g. the limiter's); a shared one
  // is closed by its owner.
  const ownedStack = options.stack ? undefined : (stack as { close?: () => Promise<void> });
  const stackComponent: Component = {
    name: 'leads-calltouch',
    async start() {},
    close: async () => {
      await ownedStack?.close?.();
    },
  };
  const queue: Queue = createFlowQueue('leads', redis, prefix);
  const queueComponent: Component = {
    name: 'leads-queue',
    async start() {
      logger.info(
        {
          webhook: describeUrl(url),
          intervalMs: options.intervalMs ?? config.LEADS_POLL_INTERVAL_SECONDS * 1000,
        },
        'leads export on',
      );
    },
    close: () => queue.close(),
  };
  const delivery = createLeadsDelivery({
    connection: redis,
    prefix,
    logger,
    registry,
    webhookUrl: url,
    secret,
    timeZone: config.CALLTOUCH_TIMEZONE,
    ...(options.deliveryTimeoutMs ? { timeoutMs: options.deliveryTimeoutMs } : {}),
    ...(options.deliveryConcurrency ? { concurrency: options.deliveryConcurrency } : {}),
    ...(options.lockDurationMs ? { lockDurationMs: options.lockDurationMs } : {}),
    ...(options.stalledIntervalMs ? { stalledIntervalMs: options.stalledIntervalMs } : {}),
  });
  const exporter = createLeadsExporter({
    redis,
    queue,
    client: stack.client,
    budget: stack.budget,
    isPointsExhausted: stack.isPointsExhausted,
    limiter: stack.limiter,
    prefix,
    logger,
    registry,
    intervalMs: options.intervalMs ?? config.LEADS_POLL_INTERVAL_SECONDS * 1000,
    timeZone: config.CALLTOUCH_TIMEZONE,
    flags: config.LEADS_REQUEST_FLAGS,
    ...(options.overlapMs !== undefined ? { overlapMs: options.overlapMs } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  return [stackComponent, queueComponent, delivery, exporter];
}

/** `touchline leads`: the leads export scheduler and its webhook delivery. */
export async function startLeads(
  config: LeadsConfig,
  options: LeadsOptions = {},
): Promise<RunningRole> {
  return runRoleProcess({
    name: 'leads',
    config,
    secrets: [config.CALLTOUCH_API_TOKEN, config.LEADS_WEBHOOK_SECRET],
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.opsHost ? { metricsHost: options.opsHost } : {}),
    parts: (ctx) => createLeadsParts(config, ctx, options),
    ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
  });
}
