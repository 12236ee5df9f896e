import { DateTime } from 'luxon';
import { z } from 'zod';
import {
  CITIES,
  EMAIL_DOMAINS,
  FIRST_NAMES_F,
  FIRST_NAMES_M,
  LATIN,
  MANAGERS,
  PAGES,
  SUBJECTS,
  SURNAMES,
  TRAFFIC,
  USER_AGENTS,
} from './journal-data.ts';
import { between, pick } from './prng.ts';

/**
 * The requests (leads) journal the stand-in serves: records shaped like the requests export
 * document's example, created at given instants, filtered like `GET /calls-service/RestAPI/requests`.
 */
export type JournalRecord = Record<string, unknown> & { requestId: number; date: number };

export interface Journal {
  /** Adds one request created at `atMs`. */
  add(atMs: number): JournalRecord;
  all(): readonly JournalRecord[];
  clear(): void;
}

export function createJournal(options: {
  random: () => number;
  siteId: string;
  timeZone: string;
  firstId?: number;
}): Journal {
  const { random, siteId, timeZone } = options;
  let nextId = options.firstId ?? 145_507;
  let records: JournalRecord[] = [];

  const build = (atMs: number): JournalRecord => {
    const requestId = nextId++;
    const female = random() < 0.5;
    const first = pick(random, female ? FIRST_NAMES_F : FIRST_NAMES_M);
    const surname = pick(random, SURNAMES) + (female ? 'а' : '');
    const traffic = pick(random, TRAFFIC);
    const page = `https://remont-example.ru${pick(random, PAGES)}`;
    const sessionId = 16_441_053 + requestId;
    const phone = `79${String(between(random, 0, 999_999_999)).padStart(9, '0')}`;
    const withEmail = random() < 0.6;
    const manager = random() < 0.3 ? pick(random, MANAGERS) : null;
    return {
      date: atMs,
      comments: [],
      requestType: 'CLIENT_ORDER',
      // The document says dd/mm/yyyy hh:mm:ss, in the account's time zone.
      dateStr: DateTime.fromMillis(atMs, { zone: timeZone }).toFormat('dd/MM/yyyy HH:mm:ss'),
      manager,
      session: {
        keywords: traffic.keywords,
        city: pick(random, CITIES),
        ip: `95.163.${between(random, 0, 255)}.${between(random, 1, 254)}/32`,
        browser: pick(random, USER_AGENTS),
        source: traffic.source,
        medium: traffic.medium,
        ref: '',
        url: page,
        utmSource: traffic.utmSource,
        utmMedium: traffic.utmMedium,
        utmTerm: '<не указано>',
        utmContent: '<не указано>',
        utmCampaign: traffic.utmCampaign,
        guaClientId: null,
        yaClientId: random() < 0.7 ? String(between(random, 1e9, 2e9)) : null,
        sessionId,
        additionalTags: [],
        attribution: 1,
        attrs: null,
      },
      subject: pick(random, SUBJECTS),
      uniqTargetRequest: random() < 0.7,
      requestUrl: page,
      uniqueRequest: random() < 0.8,
      requestNumber: String(requestId),
      requestId,
      client: {
        fio: `${first} ${surname}`,
        clientId: 640_236 + requestId,
        phones: [{ phoneNumber: phone, phoneType: 'OTHER' }],
        contacts: withEmail
          ? [
              {
                contactType: 'EMAIL',
                contactValue: `${pick(random, LATIN)}${between(random, 1, 999)}@${pick(random, EMAIL_DOMAINS)}`,
              },
            ]
          : [],
      },
      orders: [],
      targetRequest: random() < 0.85,
      status: 'NOT_SET',
      siteId: /^\d+$/.test(siteId) ? Number(siteId) : siteId,
      ctClientId: null,
    };
  };

  return {
    add(atMs) {
      const record = build(atMs);
      records.push(record);
      // Keep the journal in creation order even when requests are added "in the past".
      if (records.length > 1 && (records.at(-2)?.date ?? 0) > atMs)
        records.sort((a, b) => a.date - b.date);
      return record;
    },
    all: () => records,
    clear() {
      records = [];
    },
  };
}

/** Fills a journal with `perDay` requests per day over the `days` before `nowMs`, in office hours mostly. */
export function seedJournal(
  journal: Journal,
  options: { random: () => number; nowMs: number; days: number; perDay: number },
): void {
  const { random, nowMs, days, perDay } = options;
  const instants: number[] = [];
  for (let i = 0; i < days * perDay; i++)
    instants.push(nowMs - Math.floor(random() * days * 86_400_000));
  instants.sort((a, b) => a - b).forEach((at) => journal.add(at));
}

const US_DATE = /^(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/(\d{4})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d):([0-5]\d)$/;

export const journalQuerySchema = z.looseObject({
  clientApiId: z.string().min(1),
  siteId: z.string().min(1),
  dateFrom: z.string().regex(US_DATE, 'expected mm/dd/yyyy').optional(),
  dateTo: z.string().regex(US_DATE, 'expected mm/dd/yyyy').optional(),
  timeFrom: z.string().regex(TIME, 'expected hh:mm:ss').optional(),
  timeTo: z.string().regex(TIME, 'expected hh:mm:ss').optional(),
  requestId: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'expected ids separated by commas')
    .optional(),
  requestNumber: z.string().optional(),
});
export type JournalQuery = z.output<typeof journalQuerySchema>;

/**
 * The records a query selects: by ids when given, otherwise the one continuous range from
 * dateFrom+timeFrom (default 00:00:00) to dateTo+timeTo (default 23:59:59), inclusive, in the
 * account's time zone. Returns an error text for a query the real service would refuse.
 */
export function selectRequests(
  records: readonly JournalRecord[],
  query: JournalQuery,
  timeZone: string,
): { ok: true; records: JournalRecord[] } | { ok: false; message: string } {
  if (query.requestId !== undefined || query.requestNumber !== undefined) {
    const ids = new Set(query.requestId?.split(',') ?? []);
    const numbers = new Set(query.requestNumber?.split(',') ?? []);
    return {
      ok: true,
      records: records.filter(
        (r) => ids.has(String(r.requestId)) || numbers.has(String(r['requestNumber'])),
      ),
    };
  }
  if (query.dateFrom === undefined || query.dateTo === undefined) {
    return { ok: false, message: 'dateFrom and dateTo are required (mm/dd/yyyy)' };
  }
  const from = DateTime.fromFormat(
    `${query.dateFrom} ${query.timeFrom ?? '00:00:00'}`,
    'MM/dd/yyyy HH:mm:ss',
    { zone: timeZone },
  );
  const to = DateTime.fromFormat(
    `${query.dateTo} ${query.timeTo ?? '23:59:59'}`,
    'MM/dd/yyyy HH:mm:ss',
    { zone: timeZone },
  );
  if (!from.isValid || !to.isValid)
    return { ok: false, message: 'dateFrom/dateTo name no real date' };
  if (to < from) return { ok: false, message: 'dateTo is before dateFrom' };
  // The bounds have one-second resolution: a record at 12:00:00.700 belongs to 12:00:00.
  const lo = from.toMillis();
  const hi = to.toMillis() + 999;
  return { ok: true, records: records.filter((r) => r.date >= lo && r.date <= hi) };
}
