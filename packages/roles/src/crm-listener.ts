import { pollerKeys, registerMcnEventRoute } from '@touchline/calls';
import type { CrmListenerConfig } from '@touchline/config';
import { leadsKeys, registerCalltouchEventRoute } from '@touchline/leads';
import { createMcnClient } from '@touchline/mcn';
import { createCrmListenerServer, createOrderIntake, ordersFlowSpec } from '@touchline/orders';
import { closeQueue, createFlowQueue, createWakeSignal } from '@touchline/queue';
import { registerRecordingRoutes } from '@touchline/recordings';
import type { Component, RoleDefinition } from '@touchline/runtime';

export interface CrmListenerRoleOptions {
  /** Interface of the webhook port; default 0.0.0.0 (the CRM reaches it from outside). */
  readonly host?: string;
}

/**
 * `touchline crm-listener`: the public HTTP role, on CRM_LISTENER_PORT —
 * - `POST /v1/orders`: the CRM's deals, durably queued before 202 (docs/crm-orders.md);
 * - `POST /v1/mcn/events`: MCN's call events, which make the poller read now (docs/calls.md);
 * - `GET|POST /v1/calltouch/events`: Calltouch's lead events, which make the leads export read
 *   now (docs/leads.md);
 * - `GET|HEAD /v1/recordings/…`: call recordings streamed from MCN, when RECORDINGS_PUBLIC_URL
 *   is set (docs/deployment.md).
 * It writes through the process's producer connection, which fails fast: a Redis outage
 * answers 503 at once, never hangs the CRM.
 */
export function crmListenerRole(
  options: CrmListenerRoleOptions = {},
): RoleDefinition<CrmListenerConfig> {
  return {
    name: 'crm-listener',
    secrets: (config) => [
      config.CRM_WEBHOOK_SECRET,
      config.MCN_WEBHOOK_SECRET,
      config.CALLTOUCH_WEBHOOK_SECRET,
      config.MCN_API_TOKEN,
      ...(config.RECORDINGS_SIGNING_KEY ? [...config.RECORDINGS_SIGNING_KEY.keys.values()] : []),
    ],
    parts(config, ctx) {
      const redis = ctx.producerRedis();
      const prefix = config.QUEUE_PREFIX;
      const queue = createFlowQueue(ordersFlowSpec, redis, prefix);
      // Redis errors are logged once per outage by the connection; the queue re-emits them.
      queue.on('error', () => undefined);
      const intake = createOrderIntake({
        redis,
        queue,
        prefix,
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
        trustProxy: config.HTTP_TRUST_PROXY,
      });
      const mcnWake = createWakeSignal(pollerKeys(prefix).wake);
      registerMcnEventRoute(server.app, {
        secret: config.MCN_WEBHOOK_SECRET,
        allow: config.MCN_WEBHOOK_ALLOW_CIDRS,
        read: () => mcnWake.wake(redis),
        registry: ctx.registry,
        logger: ctx.logger,
      });
      const leadsWake = createWakeSignal(leadsKeys(prefix).wake);
      registerCalltouchEventRoute(server.app, {
        secret: config.CALLTOUCH_WEBHOOK_SECRET,
        read: () => leadsWake.wake(redis),
        registry: ctx.registry,
        logger: ctx.logger,
      });
      if (
        config.RECORDINGS_PUBLIC_URL &&
        config.RECORDINGS_SIGNING_KEY &&
        config.MCN_API_TOKEN &&
        config.MCN_ACCOUNT_ID &&
        config.MCN_VPBX_ID
      ) {
        registerRecordingRoutes(server.app, {
          source: createMcnClient({
            apiUrl: config.MCN_API_URL,
            token: config.MCN_API_TOKEN,
            accountId: config.MCN_ACCOUNT_ID,
            vpbxId: config.MCN_VPBX_ID,
          }),
          signingKeys: config.RECORDINGS_SIGNING_KEY,
          maxStreams: config.RECORDINGS_MAX_STREAMS,
          registry: ctx.registry,
          logger: ctx.logger,
        });
      }
      const queueComponent: Component = {
        name: 'orders-queue',
        async start() {},
        close: () => closeQueue(queue).catch(() => undefined),
      };
      return [queueComponent, server];
    },
  };
}
