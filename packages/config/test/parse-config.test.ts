import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  bool,
  duration,
  json,
  parseConfig,
  port,
  schemas,
  url,
} from '../src/index.ts';

const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('reports every problem at once, one line per variable', () => {
    const err = problemsOf(() =>
      parseConfig(schemas.worker, { CALLTOUCH_RATE_LIMIT: 'abc', REDIS_URL: 'nope' }),
    );
    expect(err.problems.map((p) => p.variable)).toEqual([
      'CALLTOUCH_API_TOKEN',
      'CALLTOUCH_ATS_CODE',
      'CALLTOUCH_ATS_TOKEN',
      'CALLTOUCH_RATE_LIMIT',
      'CALLTOUCH_SITE_ID',
      'REDIS_URL',
    ]);
    expect(err.message).toContain(
      'CALLTOUCH_RATE_LIMIT: expected an integer from 1 to 100 (got "abc")',
    );
    expect(err.message).toContain(
      'REDIS_URL: expected a URL (redis://, rediss:// or redis+sentinel://...) (got "nope")',
    );
    expect(err.message.split('\n')[0]).toBe('Invalid configuration (6 problems):');
  });

  it('applies the SPEC defaults', () => {
    const cfg = parseConfig(schemas.worker, {
      CALLTOUCH_SITE_ID: '123',
      CALLTOUCH_API_TOKEN: 'tok',
      CALLTOUCH_CALLS_MODE: 'lead-import',
    });
    expect(cfg).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'touchline',
      CALLTOUCH_API_URL: 'https://api.calltouch.ru',
      CALLTOUCH_ATS_URL: 'https://ats.calltouch.ru',
      CALLTOUCH_TIMEZONE: 'Europe/Moscow',
      CALLTOUCH_RATE_LIMIT: 5,
      CALLTOUCH_EGRESS_ID: 'default',
      CHUNK_MAX_WAIT_MS: 1000,
      METRICS_PORT: 9464,
      CALLTOUCH_POINTS_COST: {
        calls_import: 1,
        orders_create: 1,
        orders_update: 1,
        requests_export: 1,
      },
    });
    expect(cfg.CALLTOUCH_POINTS_DAILY_BUDGET).toBeUndefined();
  });

  it('never echoes the value of a secret', () => {
    const err = problemsOf(() =>
      parseConfig(schemas.crmListener, { CRM_WEBHOOK_SECRET: 'short-secret' }),
    );
    expect(err.message).toContain('CRM_WEBHOOK_SECRET: expected at least 16 characters');
    expect(err.message).not.toContain('short-secret');
  });

  it('treats an empty value as unset', () => {
    const cfg = parseConfig(schemas.base, { REDIS_URL: '', METRICS_PORT: '  ' });
    expect(cfg.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(cfg.METRICS_PORT).toBe(9464);
  });

  it('checks the points table and the time zones', () => {
    const err = problemsOf(() =>
      parseConfig(schemas.worker, {
        CALLTOUCH_SITE_ID: '1',
        CALLTOUCH_API_TOKEN: 't',
        CALLTOUCH_CALLS_MODE: 'lead-import',
        CALLTOUCH_POINTS_COST: '{"calls_import": 2, "bogus": 1}',
        CALLTOUCH_TIMEZONE: 'Mars/Olympus',
      }),
    );
    expect(err.message).toMatch(/CALLTOUCH_POINTS_COST: unknown endpoint "bogus"/);
    expect(err.message).toMatch(/CALLTOUCH_TIMEZONE: expected an IANA time zone/);
  });

  it('requires board credentials off loopback only', () => {
    expect(() => parseConfig(schemas.board, {})).not.toThrow();
    const err = problemsOf(() => parseConfig(schemas.board, { BOARD_HOST: '0.0.0.0' }));
    expect(err.problems.map((p) => p.variable)).toEqual(['BOARD_PASSWORD', 'BOARD_USERNAME']);
  });

  it('refuses a weak board password off loopback, without echoing it', () => {
    const open = { BOARD_HOST: '0.0.0.0', BOARD_USERNAME: 'ops' };
    for (const password of ['change-me', 'CHANGE-ME', 'abcdef12345', ' abcdef1234 ']) {
      const err = problemsOf(() =>
        parseConfig(schemas.board, { ...open, BOARD_PASSWORD: password }),
      );
      expect(err.problems.map((p) => p.variable)).toEqual(['BOARD_PASSWORD']);
      expect(err.message).toContain('at least 12 characters');
      if (!/change-me/i.test(password)) expect(err.message).not.toContain(password.trim());
    }
    // Also inside `touchline all`, which runs the board.
    expect(() => parseConfig(schemas.all, { ...open, BOARD_PASSWORD: 'change-me' })).toThrow(
      /BOARD_PASSWORD: .*at least 12 characters/,
    );
    expect(
      parseConfig(schemas.board, { ...open, BOARD_PASSWORD: 'abcdef123456' }).BOARD_PASSWORD,
    ).toBe('abcdef123456');
    // On loopback nobody else can reach it: any password, or none.
    expect(() => parseConfig(schemas.board, { BOARD_PASSWORD: 'change-me' })).not.toThrow();
  });

  it('makes the board read-only by default (SPEC §4)', () => {
    expect(parseConfig(schemas.board, {}).BOARD_READ_ONLY).toBe(true);
    expect(parseConfig(schemas.board, { BOARD_READ_ONLY: 'false' }).BOARD_READ_ONLY).toBe(false);
  });

  it('requires the leads secret with the leads URL', () => {
    const env = {
      CALLTOUCH_SITE_ID: '1',
      CALLTOUCH_API_TOKEN: 't',
      LEADS_WEBHOOK_URL: 'http://crm/leads',
    };
    const err = problemsOf(() => parseConfig(schemas.leads, env));
    expect(err.problems).toEqual([
      {
        variable: 'LEADS_WEBHOOK_SECRET',
        message: expect.stringContaining('required when LEADS_WEBHOOK_URL') as string,
      },
    ]);
  });
});

describe('helpers', () => {
  const one = (schema: z.ZodType, value: string | undefined): unknown => {
    const parsed: { X?: unknown } = parseConfig(z.object({ X: schema }), { X: value });
    return parsed.X;
  };

  it('bool does not turn "false" into true', () => {
    expect(one(bool(), 'false')).toBe(false);
    expect(one(bool(), '0')).toBe(false);
    expect(one(bool(), 'off')).toBe(false);
    expect(one(bool(), 'TRUE')).toBe(true);
    expect(() => one(bool(), 'maybe')).toThrow(/expected true or false/);
  });

  it('duration takes units', () => {
    expect(one(duration('ms'), '250')).toBe(250);
    expect(one(duration(), '90')).toBe(90_000);
    expect(one(duration(), '5m')).toBe(300_000);
    expect(one(duration(), '250ms')).toBe(250);
    expect(() => one(duration(), 'soon')).toThrow(/expected a duration/);
  });

  it('port and url', () => {
    expect(one(port(), '0')).toBe(0);
    expect(() => one(port(), '70000')).toThrow(/TCP port/);
    expect(one(url(), 'http://host:1/path/')).toBe('http://host:1/path');
    expect(() => one(url(), 'ftp://x')).toThrow(/expected a URL/);
  });

  it('json parses then validates', () => {
    expect(one(json(z.object({ a: z.number() })), '{"a":1}')).toEqual({ a: 1 });
    expect(() => one(json(z.object({ a: z.number() })), '{a')).toThrow(/valid JSON/);
  });
});
