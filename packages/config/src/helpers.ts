import { z } from 'zod';
import { parseRedisUrl } from './redis-url.ts';

/**
 * Zod helpers for environment variables. Every helper accepts the raw string an environment
 * gives (or undefined) and produces a typed value, with a message that says what was expected.
 */

/** Treats an empty string as "not set", as operators expect from `FOO=` lines in `.env`. */
const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

export const str = () =>
  z.preprocess(unsetIfEmpty, z.string({ error: 'required: a non-empty string' }));

export const secret = () =>
  z.preprocess(unsetIfEmpty, z.string({ error: 'required: a secret (non-empty string)' }).min(1));

export const int = (opts: { min?: number; max?: number } = {}) => {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = opts;
  return z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: `required: an integer from ${min} to ${max}` })
      .regex(/^-?\d+$/, `expected an integer from ${min} to ${max}`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `expected an integer from ${min} to ${max}`),
  );
};

export const port = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: a TCP port (0-65535)' })
      .regex(/^\d+$/, 'expected a TCP port (0-65535)')
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, 'expected a TCP port (0-65535)'),
  );

export const positiveNumber = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: a positive number' })
      .regex(/^\d+(\.\d+)?$/, 'expected a positive number')
      .transform(Number)
      .refine((n) => n > 0, 'expected a positive number'),
  );

export const url = (protocols: readonly string[] = ['http:', 'https:']) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: `required: a URL (${protocols.join(' or ')})` })
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol);
          } catch {
            return false;
          }
        },
        `expected a URL (${protocols.map((p) => p.replace(':', '://')).join(' or ')}...)`,
      )
      .transform((value) => value.replace(/\/+$/, '')),
  );

/** A boolean that does not turn "false" into true: accepts true/false, 1/0, yes/no, on/off. */
export const bool = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: true or false' })
      .transform((v) => v.trim().toLowerCase())
      .refine(
        (v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v),
        'expected true or false (also 1/0, yes/no, on/off)',
      )
      .transform((v) => ['true', '1', 'yes', 'on'].includes(v)),
  );

/** A duration in seconds or with a unit suffix: `90`, `90s`, `250ms`, `5m`, `1h`. Result in ms. */
export const duration = (defaultUnit: 'ms' | 's' = 's') =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: a duration such as 500ms, 30s, 5m' })
      .regex(/^\d+(\.\d+)?(ms|s|m|h)?$/, 'expected a duration such as 500ms, 30s, 5m or 1h')
      .transform((v) => {
        const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v);
        const amount = Number(match?.[1]);
        const unit = match?.[2] ?? defaultUnit;
        const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
        return Math.round(amount * factor);
      }),
  );

/** JSON text, parsed, then checked against `schema`. */
export const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: JSON' })
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'expected valid JSON' });
          return z.NEVER;
        }
      })
      .pipe(schema),
  );

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(unsetIfEmpty, z.enum(values, { error: `expected one of: ${values.join(', ')}` }));

/** An IANA time zone name that this runtime knows (`Europe/Moscow`). */
export const timeZone = () =>
  z.preprocess(
    unsetIfEmpty,
    z.string({ error: 'required: an IANA time zone such as Europe/Moscow' }).refine((zone) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: zone });
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone such as Europe/Moscow'),
  );

/** `REDIS_URL`: one Redis (`redis://`, `rediss://`) or a master behind Sentinel (`redis+sentinel://`). */
export const redisUrl = () =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string({ error: 'required: a Redis URL (redis://, rediss:// or redis+sentinel://)' })
      .superRefine((value, ctx) => {
        try {
          parseRedisUrl(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
  );
