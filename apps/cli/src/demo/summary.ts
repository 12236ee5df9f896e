/** The demo's one-screen view: what flows, how fast, against Calltouch's ceiling. */
export interface DemoSnapshot {
  readonly at: number;
  readonly calls: { delivered: number; duplicates: number };
  readonly requests: { total: number; rateLimited: number; maxInWindow: number };
  readonly orders: {
    inCalltouch: number;
    creates: number;
    updates: number;
    sentByCrm: number;
    accepted: number;
  };
  readonly leads: { delivered: number; badSignature: number };
  readonly queues: Record<
    string,
    { waiting: number; active: number; delayed: number; failed: number; completed: number }
  >;
  readonly points: number;
  /** Calls whose import carried a recordUrl, and what playing those links gave. */
  readonly recordings: { linked: number; played: number; otherAnswers: Record<string, number> };
  /** Webhooks the sandbox sent: MCN call events, Calltouch lead events. */
  readonly events: { mcn: number; calltouch: number; callsWithoutEvent: number };
  /** Calls by lane waiting now. */
  readonly lanes: { live: number; backlog: number };
  /**
   * The importable calls that ended in the last minute: how many are in Calltouch, how many not
   * yet, and the median and slowest time from their end at MCN to Calltouch.
   */
  readonly freshness: { delivered: number; waiting: number; medianMs?: number; maxMs?: number };
}

const rate = (now: number, before: number, seconds: number) =>
  seconds > 0 ? (now - before) / seconds : 0;
const bar = (ratio: number, width = 30) => {
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
};

const inSeconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function renderFreshness(f: DemoSnapshot['freshness']): string {
  const head = `calls that ended in the last minute: ${f.delivered} in Calltouch, ${f.waiting} not yet`;
  if (f.medianMs === undefined || f.maxMs === undefined) return head;
  return `${head}; end at MCN → Calltouch: median ${inSeconds(f.medianMs)}, slowest ${inSeconds(f.maxMs)}`;
}

function renderOtherAnswers(answers: Record<string, number>): string {
  const parts = Object.entries(answers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => `${status} ×${n}`);
  // The sandbox's MCN has no audio for a few calls marked as recorded (404), and a recording
  // still being written past Touchline's short retries is a 502 with Retry-After.
  return parts.length
    ? `; other answers ${parts.join(', ')} (audio MCN lacks or is still writing)`
    : '';
}

export function renderSummary(
  now: DemoSnapshot,
  before: DemoSnapshot | undefined,
  info: {
    urls: string[];
    workers: number;
    faults: string[];
    logFile: string;
    ceilingCalls: number;
    ceilingRequests: number;
  },
): string {
  const seconds = before ? (now.at - before.at) / 1000 : 0;
  const callsRate = before ? rate(now.calls.delivered, before.calls.delivered, seconds) : 0;
  const reqRate = before ? rate(now.requests.total, before.requests.total, seconds) : 0;
  const q = (name: string) => {
    const c = now.queues[name];
    return c
      ? `waiting ${c.waiting}, active ${c.active}, delayed ${c.delayed}, parked ${c.failed}, done ${c.completed}`
      : '—';
  };
  const parked = Object.values(now.queues).reduce((sum, c) => sum + c.failed, 0);
  return [
    'Touchline demo — the whole pipeline against the sandbox (Ctrl-C to stop)',
    '',
    `calls   delivered ${String(now.calls.delivered).padStart(7)}   ${callsRate.toFixed(0).padStart(4)} calls/s ${bar(callsRate / info.ceilingCalls)} of ${info.ceilingCalls}/s`,
    `        queue: ${q('calls')}`,
    `orders  in Calltouch ${String(now.orders.inCalltouch).padStart(5)}   creates ${now.orders.creates}, updates ${now.orders.updates}; CRM sent ${now.orders.sentByCrm} states, ${now.orders.accepted} accepted (202)`,
    `        queue: ${q('orders')}`,
    `leads   delivered to the CRM ${String(now.leads.delivered).padStart(5)}   bad signatures ${now.leads.badSignature}`,
    `        queue: ${q('leads')}`,
    `fresh   ${renderFreshness(now.freshness)}`,
    `lanes   calls waiting ${now.lanes.live} live, ${now.lanes.backlog} backlog; events: MCN ${now.events.mcn} (calls without one: ${now.events.callsWithoutEvent}), Calltouch ${now.events.calltouch}`,
    `records ${now.recordings.linked} calls linked to their recording, ${now.recordings.played} played by Calltouch${renderOtherAnswers(now.recordings.otherAnswers)}`,
    '',
    `Calltouch requests ${now.requests.total} (${reqRate.toFixed(2)}/s of ${info.ceilingRequests}/s), 429s ${now.requests.rateLimited}, busiest second ${now.requests.maxInWindow}, points spent ${now.points}, re-sent calls ${now.calls.duplicates}`,
    `workers: ${info.workers} process${info.workers === 1 ? '' : 'es'}; faults: ${info.faults.length ? info.faults.join(', ') : 'none'}`,
    ...(parked > 0
      ? [
          `parked: ${parked} item${parked === 1 ? '' : 's'} refused with a reason (the sandbox's MCN log holds a few flawed records on purpose);`,
          '        see each reason in Bull Board under Failed; after a fix, `npx touchline replay` sends them again',
        ]
      : []),
    '',
    ...info.urls,
    `role logs: ${info.logFile}`,
  ].join('\n');
}
