import type { SandboxConfig } from '@touchline/config';
import { createLogger } from '@touchline/logger';
import { listenFailure, runComponents, type Component } from '@touchline/runtime';
import { createSandbox, type Sandbox } from '@touchline/sandbox';

/** The sandbox's own defaults: credentials with this value are safe to print. */
const SANDBOX_DEFAULT = 'sandbox';
const CREDENTIALS = new Set([
  'CALLTOUCH_SITE_ID',
  'CALLTOUCH_API_TOKEN',
  'CALLTOUCH_ATS_CODE',
  'CALLTOUCH_ATS_TOKEN',
  'MCN_API_TOKEN',
  'MCN_ACCOUNT_ID',
  'MCN_VPBX_ID',
]);

/**
 * What an operator needs to point Touchline at the sandbox, ready to paste into `.env`.
 * Credentials the operator set themselves are not echoed: they may be real ones.
 */
export function renderSandboxBanner(sandbox: Pick<Sandbox, 'calltouch' | 'mcn' | 'env'>): string {
  const lines = [
    'Touchline sandbox is running (Ctrl+C to stop).',
    `  Calltouch stand-in (ATS and API paths): ${sandbox.calltouch.url}`,
    `  Calltouch admin:                        ${sandbox.calltouch.adminUrl}  (stats, calls, orders, faults, requests, reset)`,
    `  MCN stand-in:                           ${sandbox.mcn.url}`,
    '',
    'Point Touchline at it with:',
  ];
  for (const [name, value] of Object.entries(sandbox.env)) {
    if (CREDENTIALS.has(name) && value !== SANDBOX_DEFAULT) {
      lines.push(`# ${name}: as set in your environment (not shown)`);
    } else {
      lines.push(`${name}=${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Points the stand-ins' events at Touchline's public HTTP role (`base`), as MCN and Calltouch
 * would send them: each kind whose secret is given. Used by `touchline sandbox`
 * (SANDBOX_EVENTS_URL) and by the demo. Returns lines that say where they go (never the secrets).
 */
export function pointEventsAt(
  sandbox: Pick<Sandbox, 'calltouch' | 'mcn'>,
  base: string,
  secrets: { readonly mcn?: string | undefined; readonly calltouch?: string | undefined },
): string[] {
  const root = base.replace(/\/+$/, '');
  const lines: string[] = [];
  if (secrets.mcn !== undefined) {
    sandbox.mcn.setEvents({ url: `${root}/v1/mcn/events`, secret: secrets.mcn });
    lines.push(`MCN call events:       POST ${root}/v1/mcn/events (secret: MCN_WEBHOOK_SECRET)`);
  } else lines.push('MCN call events:       none (MCN_WEBHOOK_SECRET is not set)');
  if (secrets.calltouch !== undefined) {
    const url = new URL(`${root}/v1/calltouch/events`);
    url.searchParams.set('secret', secrets.calltouch);
    sandbox.calltouch.setLeadEvents({ url: url.toString() });
    lines.push(
      `Calltouch lead events: ${root}/v1/calltouch/events?secret=… (CALLTOUCH_WEBHOOK_SECRET)`,
    );
  } else lines.push('Calltouch lead events: none (CALLTOUCH_WEBHOOK_SECRET is not set)');
  return lines;
}

/** A port the sandbox cannot listen on, named by its variable (a port in use: exit 78). */
function sandboxListenFailure(err: unknown, config: SandboxConfig): unknown {
  const port = (err as { port?: unknown }).port;
  const portVariable =
    port === config.SANDBOX_CALLTOUCH_PORT
      ? 'SANDBOX_CALLTOUCH_PORT'
      : port === config.SANDBOX_MCN_PORT
        ? 'SANDBOX_MCN_PORT'
        : undefined;
  return portVariable
    ? listenFailure(err, { port: port as number, host: '127.0.0.1', portVariable })
    : err;
}

/**
 * `touchline sandbox`: the Calltouch and MCN stand-ins on SANDBOX_CALLTOUCH_PORT and
 * SANDBOX_MCN_PORT (loopback), accepting the credentials Touchline reads, until SIGINT/SIGTERM.
 */
export async function runSandbox(config: SandboxConfig): Promise<void> {
  const logger = createLogger({
    level: config.LOG_LEVEL,
    name: 'sandbox',
    // The default `sandbox` is no secret, and scrubbing it would blank the role name.
    secrets: [
      ...[config.CALLTOUCH_API_TOKEN, config.CALLTOUCH_ATS_TOKEN, config.MCN_API_TOKEN].filter(
        (value) => value !== SANDBOX_DEFAULT,
      ),
      ...[config.MCN_WEBHOOK_SECRET, config.CALLTOUCH_WEBHOOK_SECRET].filter(
        (value): value is string => value !== undefined,
      ),
    ],
  });
  let sandbox: Sandbox | undefined;
  const component: Component = {
    name: 'sandbox',
    async start() {
      sandbox ??= await createSandbox({
        calltouch: {
          port: config.SANDBOX_CALLTOUCH_PORT,
          siteId: config.CALLTOUCH_SITE_ID,
          apiToken: config.CALLTOUCH_API_TOKEN,
          atsCode: config.CALLTOUCH_ATS_CODE,
          atsToken: config.CALLTOUCH_ATS_TOKEN,
          // A trickle of new leads so the leads export has something to find.
          liveRequestsPerMinute: 2,
          arrivalJitterMs: config.SANDBOX_CALLTOUCH_ARRIVAL_JITTER_MS,
        },
        mcn: {
          port: config.SANDBOX_MCN_PORT,
          token: config.MCN_API_TOKEN,
          accountId: config.MCN_ACCOUNT_ID,
          vpbxId: config.MCN_VPBX_ID,
          timeZone: config.MCN_TIMEZONE,
        },
      }).catch((err: unknown) => {
        throw sandboxListenFailure(err, config);
      });
      process.stdout.write(renderSandboxBanner(sandbox));
      if (config.SANDBOX_EVENTS_URL !== undefined) {
        const lines = pointEventsAt(sandbox, config.SANDBOX_EVENTS_URL, {
          mcn: config.MCN_WEBHOOK_SECRET,
          calltouch: config.CALLTOUCH_WEBHOOK_SECRET,
        });
        process.stdout.write(`\n${lines.join('\n')}\n`);
      }
    },
    async close() {
      await sandbox?.close();
    },
  };
  const role = await runComponents({ name: 'sandbox', logger, components: [component] });
  await role.done;
  logger.flush();
  process.exitCode = 0;
}
