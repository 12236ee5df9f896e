import type { CrmListenerConfig } from '@touchline/config';
import { createCrmListenerServer, createOrderIntake, ordersFlowSpec } from '@touchline/orders';
import { createFlowQueue } from '@touchline/queue';
import type { Component, RoleDefinition } from '@touchline/runtime';

export interface CrmListenerRoleOptions {
  /** Interface of the webhook port; default 0.0.0.0 (the CRM reaches it from outside). */
  readonly host?: string;
}

/**
 * `touchline crm-listener`: the public HTTP role — `POST /v1/orders` on CRM_LISTENER_PORT,
 * deals durably queued before 202. It writes through the process's producer connection, which
 * fails fast: a Redis outage answers 503 at once, never hangs the CRM.
 */
export function crmListenerRole(
  options: CrmListenerRoleOptions = {},
): RoleDefinition<CrmListenerConfig> {
  return {
    name: 'crm-listener',
    secrets: (config) => [config.CRM_WEBHOOK_SECRET],
    parts(config, ctx) {
      const redis = ctx.producerRedis();
      const queue = createFlowQueue(ordersFlowSpec, redis, config.QUEUE_PREFIX);
      // Redis errors are logged once per outage by the connection; the queue re-emits them.
      queue.on('error', () => undefined);
      const intake = createOrderIntake({
        redis,
        queue,
        prefix: config.QUEUE_PREFIX,
        timeZone: config.CALLTOUCH_TIMEZONE,
      });
      const server = createCrmListenerServer({
        port: config.CRM_LISTENER_PORT,
        ...(options.host ? { host: options.host } : {}),
        secret: config.CRM_WEBHOOK_SECRET,
        intake,
        redis,
        registry: ctx.registry,
        logger: ctx.logger,
      });
      const queueComponent: Component = {
        name: 'orders-queue',
        async start() {},
        close: () => queue.close().catch(() => undefined),
      };
      return [queueComponent, server];
    },
  };
}
