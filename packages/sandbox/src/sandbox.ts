import {
  createCalltouchStandIn,
  type CalltouchStandIn,
  type CalltouchStandInOptions,
} from './calltouch/index.ts';
import { createMcnStandIn, type McnStandIn, type McnStandInOptions } from './mcn/index.ts';

export interface SandboxOptions {
  calltouch?: CalltouchStandInOptions;
  mcn?: McnStandInOptions;
}

/** Both stand-ins, running, and the environment that points Touchline at them. */
export interface Sandbox {
  readonly calltouch: CalltouchStandIn;
  readonly mcn: McnStandIn;
  /** CALLTOUCH_* and MCN_* variables for Touchline's roles (credentials included). */
  readonly env: Readonly<Record<string, string>>;
  /** Idempotent; closes both. */
  close(): Promise<void>;
}

/**
 * The environment that points Touchline at a running sandbox: URLs, credentials, zones.
 * Pure; the `demo` command merges it under the operator's own settings.
 */
export function toSandboxEnv(
  calltouch: Pick<CalltouchStandIn, 'url' | 'credentials'>,
  mcn: Pick<McnStandIn, 'url' | 'token' | 'accountId' | 'vpbxId'>,
  zones: { calltouch?: string | undefined; mcn?: string | undefined } = {},
): Record<string, string> {
  return {
    CALLTOUCH_API_URL: calltouch.url,
    CALLTOUCH_ATS_URL: calltouch.url,
    CALLTOUCH_SITE_ID: calltouch.credentials.siteId,
    CALLTOUCH_API_TOKEN: calltouch.credentials.apiToken,
    CALLTOUCH_ATS_CODE: calltouch.credentials.atsCode,
    CALLTOUCH_ATS_TOKEN: calltouch.credentials.atsToken,
    ...(zones.calltouch ? { CALLTOUCH_TIMEZONE: zones.calltouch } : {}),
    MCN_API_URL: mcn.url,
    MCN_API_TOKEN: mcn.token,
    MCN_ACCOUNT_ID: mcn.accountId,
    MCN_VPBX_ID: mcn.vpbxId,
    ...(zones.mcn ? { MCN_TIMEZONE: zones.mcn } : {}),
  };
}

/** Starts the Calltouch and MCN stand-ins side by side (each on its own loopback port). */
export async function createSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const calltouch = await createCalltouchStandIn(options.calltouch);
  let mcn: McnStandIn;
  try {
    mcn = await createMcnStandIn(options.mcn);
  } catch (err) {
    await calltouch.close();
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    calltouch,
    mcn,
    env: toSandboxEnv(calltouch, mcn, {
      calltouch: options.calltouch?.timeZone,
      mcn: options.mcn?.timeZone,
    }),
    close: () =>
      (closing ??= (async () => {
        // Both close even when one fails; the first failure is reported.
        const results = await Promise.allSettled([calltouch.close(), mcn.close()]);
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
      })()),
  };
}
