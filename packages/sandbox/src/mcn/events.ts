import type { GeneratedCall } from './generate-call.ts';
import type { Random } from './random.ts';

/**
 * The VPBX webhooks of the stand-in, as MCN sends them (reference: /v1/mcn/events of the
 * public HTTP role, docs/calls.md): a JSON POST per call event with the secret in the body.
 * The cases that matter happen on purpose: calls that end without an event (an IVR, a queue),
 * events for calls not in the log yet, duplicates, and events out of order.
 */
export interface McnEventsSettings {
  /** Where events go (e.g. `http://127.0.0.1:8080/v1/mcn/events`); unset: none are sent. */
  readonly url?: string | undefined;
  /** The secret token configured "in the cabinet" (MCN_WEBHOOK_SECRET of Touchline). */
  readonly secret?: string | undefined;
  /** Share of finished calls that send an end or missed event (default 0.9). */
  readonly share?: number;
  /** Share of events sent twice (default 0.05). */
  readonly duplicateShare?: number;
  /** Share of calls whose record reaches the log after the event (default 0.1)… */
  readonly lateLogShare?: number;
  /** …by this long (default 1,500 ms). */
  readonly lateLogMs?: number;
  /** Each event leaves after a random delay up to this, so events overtake each other (default 200 ms). */
  readonly maxDelayMs?: number;
}

export interface McnEventStats {
  sent: number;
  failed: number;
  withoutEvent: number;
  duplicates: number;
  lateLog: number;
}

/** The event body of one finished call. */
export function toEventBody(call: GeneratedCall, secret: string, accountId: string) {
  const r = call.record as Record<string, unknown>;
  const answered = typeof r['status'] === 'string' && r['status'].toUpperCase() === 'ANSWERED';
  return {
    event_type: answered ? 'onInCallingEnd' : 'onInCallingMissed',
    abon: typeof r['dst_num'] === 'string' ? r['dst_num'] : '',
    did: r['src_num'] ?? '',
    did_mcn: r['did'] ?? '',
    call_id: r['callid'] ?? '',
    secret,
    account_id: accountId,
    billsec: r['billsec'] ?? r['talktime'] ?? 0,
    record: r['has_record'] ?? 0,
  };
}

/** Sends the events of finished calls; `log` is called when the call may enter the log. */
export function createMcnEvents(random: Random, accountId: string) {
  let settings: McnEventsSettings = {};
  const stats: McnEventStats = { sent: 0, failed: 0, withoutEvent: 0, duplicates: 0, lateLog: 0 };
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const post = (body: unknown) => {
    const { url } = settings;
    if (!url) return;
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    }).then(
      async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) stats.sent += 1;
        else stats.failed += 1;
      },
      () => (stats.failed += 1),
    );
  };

  return {
    stats: () => ({ ...stats }),
    settings: () => settings,
    configure(next: McnEventsSettings) {
      settings = { ...settings, ...next };
    },
    /**
     * A call ended: it enters the log (now, or a little later for a share of calls) and, for
     * most calls, an event goes out.
     */
    finished(call: GeneratedCall, log: (call: GeneratedCall) => void) {
      const { url, secret } = settings;
      if (!url || !secret) return log(call);
      const lateLog = random.chance(settings.lateLogShare ?? 0.1);
      if (lateLog) {
        stats.lateLog += 1;
        later(settings.lateLogMs ?? 1_500, () => log(call));
      } else log(call);
      if (!random.chance(settings.share ?? 0.9)) {
        stats.withoutEvent += 1;
        return;
      }
      const body = toEventBody(call, secret, accountId);
      const delay = () => random.int(0, settings.maxDelayMs ?? 200);
      later(delay(), () => post(body));
      if (random.chance(settings.duplicateShare ?? 0.05)) {
        stats.duplicates += 1;
        later(delay(), () => post(body));
      }
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
