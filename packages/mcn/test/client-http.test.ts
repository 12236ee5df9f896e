import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcnClient, McnError } from '../src/index.ts';

// A bare node:http server on loopback: these cases need answers the sandbox stand-in never
// gives (HTML bodies, dropped sockets, servers that ignore offset).
type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

let server: Server | undefined;
const seen: IncomingMessage[] = [];

async function serve(handler: Handler): Promise<string> {
  seen.length = 0;
  server = createServer((req, res) => {
    seen.push(req);
    handler(req, res, seen.length);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/rest/`;
}

async function stop(): Promise<void> {
  const current = server;
  server = undefined;
  if (!current) return;
  current.closeAllConnections();
  await new Promise((resolve) => current.close(resolve));
}

afterEach(stop);

const TOKEN = 'tok-9f8e7d6c5b4a';
const client = (
  apiUrl: string,
  extra: { timeoutMs?: number; pageSize?: number; maxAnswerBytes?: number } = {},
) => createMcnClient({ apiUrl, token: TOKEN, accountId: 'acc 1', vpbxId: '42', ...extra });

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

async function failure(promise: Promise<unknown>): Promise<McnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McnError);
  return err as McnError;
}

describe('createMcnClient over real HTTP', () => {
  it('asks the documented path, query and header', async () => {
    const url = await serve((_req, res) => json(res, 200, { items: [] }));
    const result = await client(url, { pageSize: 500 }).fetchCallLog('2025-11-01', '2025-11-02');
    expect(result).toEqual({ calls: [], invalid: [], pages: 1 });
    const req = seen[0];
    expect(req?.method).toBe('GET');
    expect(req?.url).toBe(
      '/v2/rest/account/acc%201/vpbx/42/call_log?date_from=2025-11-01&date_to=2025-11-02&limit=500&offset=0',
    );
    expect(req?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('does not retry an HTTP status, and keeps Retry-After of a 429', async () => {
    const url = await serve((_req, res) =>
      json(res, 429, { error: 'slow down' }, { 'retry-after': '3' }),
    );
    const err = await failure(client(url).fetchCallLog('2025-11-01', '2025-11-01'));
    expect(err).toMatchObject({
      code: 'CLIENT_ERROR',
      status: 429,
      failure: { kind: 'rate_limited', status: 429, retryAfterMs: 3000 },
      retryAfterMs: 3000,
    });
    expect(seen).toHaveLength(1);
  });

  it('treats an HTML page or a body without items as BAD_RESPONSE', async () => {
    let url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>Bad gateway</html>');
    });
    expect(await failure(client(url).fetchCallLog('2025-11-01', '2025-11-01'))).toMatchObject({
      code: 'BAD_RESPONSE',
    });
    await stop();
    url = await serve((_req, res) => json(res, 200, { data: [] }));
    const err = await failure(client(url).fetchCallLog('2025-11-01', '2025-11-01'));
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toContain('items');
  });

  it('retries a dropped connection twice, then succeeds', async () => {
    const url = await serve((req, res, hit) => {
      if (hit <= 2) req.socket.destroy();
      else json(res, 200, { items: [{ callid: 'a' }] });
    });
    const result = await client(url).fetchCallLog('2025-11-01', '2025-11-01');
    expect(result.calls.map((c) => c.callid)).toEqual(['a']);
    expect(seen).toHaveLength(3);
  });

  it('gives up after two retries with NETWORK', async () => {
    const url = await serve((req) => req.socket.destroy());
    const err = await failure(client(url).fetchCallLog('2025-11-01', '2025-11-01'));
    expect(err).toMatchObject({ code: 'NETWORK', failure: { kind: 'network' } });
    expect(seen).toHaveLength(3);
  });

  it("reports each page's outcome in the words of every request metric (ok, network_error, …)", async () => {
    const outcomes: string[] = [];
    const dropped = await serve((req) => req.socket.destroy());
    await failure(client(dropped).readDay('2025-11-01', { onPage: (o) => outcomes.push(o) }));
    await stop();
    const refused = await serve((_req, res) => json(res, 503, { error: 'down' }));
    await failure(client(refused).readDay('2025-11-01', { onPage: (o) => outcomes.push(o) }));
    await stop();
    const fine = await serve((_req, res) => json(res, 200, { items: [] }));
    await client(fine).readDay('2025-11-01', { onPage: (o) => outcomes.push(o) });
    // The same words as the recordings' requests to MCN and as Calltouch's requests.
    expect(outcomes).toEqual(['network_error', 'server_error', 'ok']);
  });

  it('times out once, without retrying, as TIMEOUT', async () => {
    const url = await serve(() => undefined);
    const started = Date.now();
    const err = await failure(
      client(url, { timeoutMs: 200 }).fetchCallLog('2025-11-01', '2025-11-01'),
    );
    expect(err).toMatchObject({ code: 'TIMEOUT', failure: { kind: 'timeout' } });
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('stops when a server ignores offset instead of looping forever', async () => {
    const url = await serve((_req, res) =>
      json(res, 200, { items: [{ callid: 'a' }, { callid: 'b' }] }),
    );
    const err = await failure(
      client(url, { pageSize: 2 }).fetchCallLog('2025-11-01', '2025-11-01'),
    );
    expect(err.code).toBe('BAD_RESPONSE');
    expect(seen).toHaveLength(2);
  });

  it('counts a callid seen on two pages once', async () => {
    const pages = [
      [{ callid: 'a' }, { callid: 'b' }],
      [{ callid: 'b' }, { callid: 'c' }],
      [{ callid: 'd' }],
    ];
    const url = await serve((_req, res, hit) => json(res, 200, { items: pages[hit - 1] ?? [] }));
    const result = await client(url, { pageSize: 2 }).fetchCallLog('2025-11-01', '2025-11-01');
    expect(result.calls.map((c) => c.callid)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.pages).toBe(3);
    expect(seen.map((r) => new URL(r.url ?? '', 'http://x').searchParams.get('offset'))).toEqual([
      '0',
      '2',
      '4',
    ]);
  });

  it('refuses bad arguments before any request', () => {
    expect(() => client('http://127.0.0.1:1', { pageSize: 1001 })).toThrow(RangeError);
    expect(() => client('http://127.0.0.1:1', { pageSize: 0 })).toThrow(RangeError);
    return expect(
      client('http://127.0.0.1:1').fetchCallLog('23.11.2025', '2025-11-23'),
    ).rejects.toThrow(RangeError);
  });

  it('never follows a redirect: the Bearer token stays with MCN', async () => {
    const url = await serve((req, res) => {
      if (req.url?.startsWith('/elsewhere')) return json(res, 200, { items: [] });
      res.writeHead(301, { location: '/elsewhere/call_log' });
      res.end();
    });
    const err = await failure(client(url).fetchCallLog('2025-11-01', '2025-11-01'));
    expect(err).toMatchObject({ status: 301 });
    expect(seen).toHaveLength(1);
  });

  it('reads at most maxAnswerBytes of a page', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [], pad: 'x'.repeat(200_000) }));
    });
    const err = await failure(
      client(url, { maxAnswerBytes: 50_000 }).fetchCallLog('2025-11-01', '2025-11-01'),
    );
    expect(err.message).toMatch(/larger than 50000 bytes/);
    expect(err.message).not.toContain(TOKEN);
  });
});
