import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEST_REDIS_URL, useTestRedis, waitFor } from '@touchline/testing';
import { counter, deal, sign, SECRET, startHarness, type Harness } from './helpers.ts';

/**
 * Issue 12 item 11: the listener authenticates before it reads or parses a body, and no client
 * can hold a connection open by sending slowly. Real listener, real loopback sockets.
 */
const { prefix } = useTestRedis('crm-auth-first');
let h: Harness;
const sockets: Socket[] = [];

beforeAll(async () => {
  h = await startHarness(TEST_REDIS_URL, prefix);
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await h.close();
});

/** A raw HTTP/1.1 client: what it has received, and whether the server closed the connection. */
async function open(): Promise<{
  socket: Socket;
  received: () => string;
  closed: () => boolean;
}> {
  const { port } = new URL(h.url);
  const socket = connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  let text = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined); // a reset while we still write is expected
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, closed: () => closed };
}

const head = (length: number, headers: Record<string, string>) =>
  [
    'POST /v1/orders HTTP/1.1',
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${length}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    '',
    '',
  ].join('\r\n');

/** A valid `{"orders": [...]}` body of at least `bytes` bytes. */
const ordersBody = (bytes: number, tag: string): string => {
  const one = JSON.stringify(deal(`${tag}-000000`));
  const count = Math.ceil(bytes / (one.length + 1));
  return JSON.stringify({ orders: Array.from({ length: count }, (_, i) => deal(`${tag}-${i}`)) });
};

/** Calls of the global JSON.parse whose text is `body` (the listener runs in this process). */
const parsesOf = (spy: { mock: { calls: unknown[][] } }, body: string) =>
  spy.mock.calls.filter(([text]) => typeof text === 'string' && text.length === body.length).length;

describe('authentication comes before the body', () => {
  it.each([
    ['no credentials', {}],
    ['a wrong Bearer token', { Authorization: 'Bearer not-the-secret' }],
    ['a malformed signature', { 'X-Touchline-Signature': 'sha256=nope' }],
  ])(
    'a 4.5 MB body with %s: 401 before the client has sent it, the connection closed',
    async (_what, headers) => {
      const parse = vi.spyOn(JSON, 'parse');
      const body = ordersBody(4.5 * 1024 * 1024, 'U');
      const unauthorized = await counter(h.registry, 'unauthorized');
      const client = await open();
      // The headers and the first 64 KiB only: the rest is never sent.
      client.socket.write(head(Buffer.byteLength(body), headers));
      client.socket.write(body.slice(0, 64 * 1024));
      await waitFor(() => client.received().startsWith('HTTP/1.1 401'), {
        timeoutMs: 5_000,
        message: 'a 401 while the body is still incomplete',
      });
      expect(client.received()).toMatch(/\r\nconnection: close\r\n/i);
      await waitFor(client.closed, { timeoutMs: 5_000, message: 'the server closes' });
      expect(parsesOf(parse, body)).toBe(0);
      // One request, one count: the deals of a body nobody vouched for are not counted.
      expect(await counter(h.registry, 'unauthorized')).toBe(unauthorized + 1);
    },
  );

  it('a signed body is checked on its raw bytes before it is parsed', async () => {
    const parse = vi.spyOn(JSON, 'parse');
    const raw = ordersBody(100_000, 'S');
    const tampered = raw.replace('S-1"', 'S-X"');
    const unauthorized = await counter(h.registry, 'unauthorized');
    const refused = await h.post(undefined, {
      raw: tampered,
      headers: { authorization: '', 'x-touchline-signature': sign(raw) },
    });
    expect(refused.status).toBe(401);
    expect(parsesOf(parse, tampered)).toBe(0);
    expect(await counter(h.registry, 'unauthorized')).toBe(unauthorized + 1);
    const accepted = await h.post(undefined, {
      raw,
      headers: { authorization: '', 'x-touchline-signature': sign(raw) },
    });
    expect(accepted.status).toBe(202);
    expect(parsesOf(parse, raw)).toBe(1);
  });

  it('counts an unauthenticated 1 MB array body once, not once per deal', async () => {
    const raw = ordersBody(1024 * 1024, 'C');
    const unauthorized = await counter(h.registry, 'unauthorized');
    const res = await h.post(undefined, { raw, headers: { authorization: 'Bearer wrong' } });
    expect(res.status).toBe(401);
    expect(await counter(h.registry, 'unauthorized')).toBe(unauthorized + 1);
  });
});

describe('slow clients', () => {
  it('cuts an authenticated body trickled one byte at a time within a few seconds', async () => {
    const body = JSON.stringify(deal('SLOW-1'));
    const client = await open();
    const started = Date.now();
    client.socket.write(head(Buffer.byteLength(body), { Authorization: `Bearer ${SECRET}` }));
    // The attack itself: one byte every 100 ms, so the body would take ~15 s.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < body.length && !client.closed()) client.socket.write(body[sent++]!);
    }, 100);
    try {
      await waitFor(client.closed, { timeoutMs: 12_000, message: 'the server cuts the trickle' });
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(sent).toBeLessThan(body.length);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408/);
    expect(await h.queue.getJob('order-SLOW-1-1')).toBeUndefined();
  });

  it('cuts a client that never finishes its headers', async () => {
    const client = await open();
    const started = Date.now();
    client.socket.write('POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => {
      if (!client.closed()) client.socket.write('X-Slow: 1\r\n');
    }, 500);
    try {
      await waitFor(client.closed, { timeoutMs: 20_000, message: 'the server cuts the headers' });
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
