import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import got from 'got';
import { AnswerTooLargeError, classifyTransport, limitAnswer } from '../src/index.ts';

let server: Server;
let url: string;
let written = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url === '/small') return res.end('x'.repeat(1000));
    // An answer without end: 64 KiB chunks until the client goes away.
    const chunk = Buffer.alloc(64 * 1024, 'y');
    const pump = () => {
      while (res.write(chunk)) {
        written += chunk.length;
        if (written > 512 * 1024 * 1024) return res.end();
      }
      res.once('drain', pump);
    };
    res.on('close', () => res.destroy());
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('limitAnswer', () => {
  it('passes an answer within the limit', async () => {
    const res = await limitAnswer(got(`${url}/small`, { retry: { limit: 0 } }), 10_000);
    expect(res.body).toHaveLength(1000);
  });

  it('cuts an endless answer at the limit and says so', async () => {
    const started = written;
    const err = await limitAnswer(got(`${url}/endless`, { retry: { limit: 0 } }), 1_000_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AnswerTooLargeError);
    expect(err).toMatchObject({ maxBytes: 1_000_000, code: 'ERR_ANSWER_TOO_LARGE' });
    // The download stopped near the limit, not after the server's half gigabyte.
    expect(written - started).toBeLessThan(64 * 1024 * 1024);
    // An answer arrived: the request may have been processed.
    expect(classifyTransport(err)).toEqual({
      kind: 'network',
      code: 'ERR_ANSWER_TOO_LARGE',
      sent: true,
    });
  });
});
