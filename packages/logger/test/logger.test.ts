import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactText } from '../src/index.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  const TOKEN = 'ct-live-token-9f8e7d6c5b4a';

  it('never writes a configured token, whatever field or message carries it', () => {
    const { lines, stream } = capture();
    const log = createLogger({ secrets: [TOKEN], destination: stream });
    log.info({ url: `https://ats.calltouch.ru/x/inbound-call?apikey=${TOKEN}` }, 'sending');
    log.info({ headers: { 'Access-Token': TOKEN, Authorization: `Bearer ${TOKEN}` } }, 'headers');
    log.error(new Error(`request failed for token ${TOKEN}`), 'boom');
    log.warn({ nested: { deep: { value: TOKEN } } }, `message with ${TOKEN}`);
    log.flush();
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toContain(TOKEN);
      expect(() => JSON.parse(line) as unknown).not.toThrow();
    }
    expect(lines[0]).toContain('apikey=[REDACTED]');
  });

  it('redacts secret-named fields even when the value is not known in advance', () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    log.info({ password: 'hunter2hunter2', req: { headers: { authorization: 'Basic abc' } } }, 'x');
    log.flush();
    expect(lines[0]).not.toContain('hunter2hunter2');
    expect(lines[0]).not.toContain('Basic abc');
    const parsed = JSON.parse(lines[0] ?? '{}') as { level: string; msg: string; time: string };
    expect(parsed).toMatchObject({ level: 'info', msg: 'x' });
  });
});

describe('redactText', () => {
  it('removes apikey, clientApiId, Bearer tokens and URL passwords', () => {
    expect(redactText('GET /x?model=a&apikey=SECRET1&y=2')).toBe(
      'GET /x?model=a&apikey=[REDACTED]&y=2',
    );
    expect(redactText('/requests?clientApiId=SECRET2&siteId=1')).toBe(
      '/requests?clientApiId=[REDACTED]&siteId=1',
    );
    expect(redactText('Authorization: Bearer abc.def-ghi')).toBe(
      'Authorization: Bearer [REDACTED]',
    );
    expect(redactText('redis://user:pa55@host:6379')).toBe('redis://user:[REDACTED]@host:6379');
    expect(redactText('GET /v1/recordings/116-1.2.mp3?sig=v1.abc_-&exp=1')).toBe(
      'GET /v1/recordings/116-1.2.mp3?sig=[REDACTED]&exp=1',
    );
    expect(redactText('redis+sentinel://:pa55@s1,s2/m?sentinelPassword=sp55')).toBe(
      'redis+sentinel://:[REDACTED]@s1,s2/m?sentinelPassword=[REDACTED]',
    );
  });
});
