import type { JournalRecord } from './journal.ts';

/**
 * Calltouch's lead webhook, as the stand-in sends it (reference: `/v1/calltouch/events` of the
 * public HTTP role, docs/leads.md): on each new request, the fields URL-encoded, by GET or POST
 * (as chosen in the cabinet), no authentication of its own — the secret is part of the URL.
 */
export interface LeadEventsSettings {
  /** Where events go, the secret included: `http://…/v1/calltouch/events?secret=…`. */
  readonly url?: string | undefined;
  /** `GET` (default) or `POST` with a form body. */
  readonly method?: 'GET' | 'POST';
}

export interface LeadEventStats {
  sent: number;
  failed: number;
}

/** A journal field as a form value: text and numbers as they are, anything else left out. */
const field = (value: unknown): string =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : '';

export function createLeadEvents() {
  let settings: LeadEventsSettings = {};
  const stats: LeadEventStats = { sent: 0, failed: 0 };
  return {
    stats: () => ({ ...stats }),
    configure(next: LeadEventsSettings) {
      settings = { ...settings, ...next };
    },
    /** A request was registered: tell whoever listens. */
    created(record: JournalRecord) {
      if (!settings.url) return;
      const fields = new URLSearchParams({
        requestId: String(record.requestId),
        requestNumber: field(record['requestNumber']),
        subject: field(record['subject']),
        dateStr: field(record['dateStr']),
      });
      const url = new URL(settings.url);
      const post = settings.method === 'POST';
      if (!post) for (const [k, v] of fields) url.searchParams.set(k, v);
      fetch(url, {
        method: post ? 'POST' : 'GET',
        ...(post
          ? {
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: fields.toString(),
            }
          : {}),
        signal: AbortSignal.timeout(5_000),
      }).then(
        async (res) => {
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) stats.sent += 1;
          else stats.failed += 1;
        },
        () => (stats.failed += 1),
      );
    },
  };
}
