import { DateTime } from 'luxon';
import { z } from 'zod';

/**
 * The body of one lead delivery (documented in docs/leads.md). Every field the
 * receiver may rely on is here, normalised; the Calltouch record itself travels under `raw`
 * for whatever the normalised shape leaves out.
 */
export interface LeadPayload {
  /** Calltouch's id of the request, as a string; also the `Idempotency-Key`. */
  readonly requestId: string;
  readonly requestNumber: string | null;
  /** Creation time, ISO 8601 with the offset of CALLTOUCH_TIMEZONE; null if the record has none. */
  readonly createdAt: string | null;
  readonly subject: string | null;
  readonly client: {
    readonly name: string | null;
    readonly phones: string[];
    readonly emails: string[];
  };
  readonly source: {
    readonly source: string | null;
    readonly medium: string | null;
    readonly campaign: string | null;
    readonly content: string | null;
    readonly term: string | null;
    readonly keyword: string | null;
    readonly city: string | null;
    readonly url: string | null;
  };
  readonly raw: Readonly<Record<string, unknown>>;
}

/** A text field that tolerates numbers and drops anything else rather than failing the record. */
const text = z.union([z.string(), z.number()]).transform(String).nullish().catch(undefined);

/** A list field that tolerates a missing or malformed list (becomes empty). */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .array(z.unknown())
    .nullish()
    .catch(undefined)
    .transform((list) =>
      (list ?? []).flatMap((entry) => {
        const parsed = item.safeParse(entry);
        return parsed.success ? [parsed.data] : [];
      }),
    );

const sessionSchema = z.looseObject({
  source: text,
  medium: text,
  utmSource: text,
  utmMedium: text,
  utmCampaign: text,
  utmContent: text,
  utmTerm: text,
  keywords: text,
  keyword: text,
  city: text,
  url: text,
});

/**
 * What {@link toLeadPayload} reads from a requests-journal record. Calltouch's records are
 * loose (fields vary by account settings and flags; undocumented ones are "obsolete"), so only
 * `requestId` is required and a field of an unexpected type is ignored, never fatal.
 */
export const leadRecordSchema = z.looseObject({
  requestId: z.union([z.number(), z.string().trim().min(1)]),
  requestNumber: text,
  date: z.number().finite().nullish().catch(undefined),
  dateStr: text,
  subject: text,
  requestUrl: text,
  client: z
    .looseObject({
      fio: text,
      phones: listOf(z.looseObject({ phoneNumber: text })),
      contacts: listOf(z.looseObject({ contactType: text, contactValue: text })),
    })
    .nullish()
    .catch(undefined),
  session: sessionSchema.nullish().catch(undefined),
});
export type LeadRecord = z.input<typeof leadRecordSchema>;

export interface ToLeadPayloadOptions {
  /** CALLTOUCH_TIMEZONE: the account's zone, in which createdAt is written. */
  readonly timeZone: string;
}

/** Calltouch's "no value" placeholders in session fields; the receiver gets null instead. */
const PLACEHOLDERS = new Set(['', '<не указано>', '(not set)', 'not set', 'null', 'undefined']);

const clean = (value: string | null | undefined): string | null => {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  return PLACEHOLDERS.has(trimmed.toLowerCase()) ? null : trimmed;
};

const unique = (values: readonly (string | null)[]): string[] => [
  ...new Set(values.filter((v): v is string => v !== null)),
];

/**
 * The creation instant: `date` (Unix ms; a value in seconds is tolerated) or else `dateStr`
 * (`dd/mm/yyyy hh:mm:ss` in the account's zone), written with the account's offset.
 */
export function toCreatedAt(
  date: number | null | undefined,
  dateStr: string | null | undefined,
  timeZone: string,
): string | null {
  let dt: DateTime | undefined;
  if (typeof date === 'number' && date > 0) {
    dt = DateTime.fromMillis(date < 1e11 ? date * 1000 : date, { zone: timeZone });
  } else if (dateStr) {
    dt = DateTime.fromFormat(dateStr.trim(), 'dd/MM/yyyy HH:mm:ss', { zone: timeZone });
  }
  return dt?.isValid ? dt.toISO({ suppressMilliseconds: true }) : null;
}

/**
 * Normalises one Calltouch request into the webhook body. Pure; throws a ZodError only when
 * the record has no usable `requestId` (the job is then parked with zod's message).
 */
export function toLeadPayload(record: unknown, options: ToLeadPayloadOptions): LeadPayload {
  const r = leadRecordSchema.parse(record);
  const session = r.session ?? {};
  const client = r.client ?? { fio: undefined, phones: [], contacts: [] };
  const emails = client.contacts
    .filter(
      (c) =>
        (c.contactType ?? '').toUpperCase() === 'EMAIL' || (c.contactValue ?? '').includes('@'),
    )
    .map((c) => clean(c.contactValue));
  return {
    requestId: String(r.requestId).trim(),
    requestNumber: clean(r.requestNumber),
    createdAt: toCreatedAt(r.date, r.dateStr, options.timeZone),
    subject: clean(r.subject),
    client: {
      name: clean(client.fio),
      phones: unique(client.phones.map((p) => clean(p.phoneNumber))),
      emails: unique(emails),
    },
    source: {
      source: clean(session.source) ?? clean(session.utmSource),
      medium: clean(session.medium) ?? clean(session.utmMedium),
      campaign: clean(session.utmCampaign),
      content: clean(session.utmContent),
      term: clean(session.utmTerm),
      keyword: clean(session.keywords) ?? clean(session.keyword),
      city: clean(session.city),
      url: clean(session.url) ?? clean(r.requestUrl),
    },
    raw: record as Record<string, unknown>,
  };
}
