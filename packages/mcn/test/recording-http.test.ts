import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@touchline/testing';
import { createMcnClient, isMcnError, McnError, type RecordingAudio } from '../src/index.ts';

// A bare node:http server on loopback: these cases need answers the sandbox stand-in never
// gives (redirects, error pages with a 200, sockets that stall mid-body).
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server | undefined;
const seen: IncomingMessage[] = [];
const closed: string[] = [];

async function serve(handler: Handler): Promise<string> {
  seen.length = 0;
  closed.length = 0;
  server = createServer((req, res) => {
    seen.push(req);
    res.on('close', () => closed.push(req.url ?? ''));
    handler(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/rest`;
}

afterEach(async () => {
  const current = server;
  server = undefined;
  if (!current) return;
  current.closeAllConnections();
  await new Promise((resolve) => current.close(resolve));
});

const TOKEN = 'rec-tok-5a4b3c2d1e';
const client = (apiUrl: string, idleMs = 30_000) =>
  createMcnClient({
    apiUrl,
    token: TOKEN,
    accountId: 'acc 1',
    vpbxId: '42',
    recordingTimeouts: { idleMs, responseMs: 2_000 },
  });

const audio = (bytes: number) => Buffer.alloc(bytes, 7);

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<McnError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(McnError);
  expect(String((err as Error).message)).not.toContain(TOKEN);
  return err as McnError;
}

describe('openRecording over real HTTP', () => {
  it('asks call_log/record with call_id in the query and the token only in the header', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '10' });
      res.end(audio(10));
    });
    const answer = (await client(url).openRecording('116-1.2/x?y%z')) as RecordingAudio;
    expect(answer).toMatchObject({ kind: 'audio', status: 200, contentLength: 10 });
    expect(await readAll(answer.body)).toEqual(audio(10));
    const req = seen[0]!;
    const asked = new URL(req.url ?? '', 'http://x');
    expect(asked.pathname).toBe('/v2/rest/account/acc%201/vpbx/42/call_log/record');
    expect(asked.searchParams.get('call_id')).toBe('116-1.2/x?y%z');
    expect(req.url).not.toContain(TOKEN);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['accept-encoding']).toBe('identity');
    expect(req.headers.range).toBeUndefined();
  });

  it('forwards a range and hands back the 206 with its Content-Range', async () => {
    const url = await serve((req, res) => {
      expect(req.headers.range).toBe('bytes=100-199');
      res.writeHead(206, {
        'content-type': 'audio/mpeg',
        'content-length': '100',
        'content-range': 'bytes 100-199/4224',
      });
      res.end(audio(100));
    });
    const answer = (await client(url).openRecording('c1', {
      range: 'bytes=100-199',
    })) as RecordingAudio;
    expect(answer).toMatchObject({
      kind: 'audio',
      status: 206,
      contentLength: 100,
      contentRange: 'bytes 100-199/4224',
    });
    expect((await readAll(answer.body)).length).toBe(100);
  });

  it('answers a 416 as range_not_satisfiable, not as an error', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(416, { 'content-range': 'bytes */4224' });
      res.end();
    });
    expect(await client(url).openRecording('c1', { range: 'bytes=9999-' })).toEqual({
      kind: 'range_not_satisfiable',
      contentRange: 'bytes */4224',
    });
  });

  it.each([
    [404, 'NOT_FOUND', 'rejected'],
    [425, 'NOT_READY', 'unavailable'],
    [401, 'UNAUTHORIZED', 'unauthorized'],
    [400, 'CLIENT_ERROR', 'rejected'],
    [429, 'CLIENT_ERROR', 'rate_limited'],
    [503, 'SERVER_ERROR', 'unavailable'],
  ] as const)('classifies HTTP %i as %s (%s)', async (status, code, kind) => {
    const url = await serve((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json', 'retry-after': '7' });
      res.end(JSON.stringify({ errors: { code: status, description: `no ${TOKEN}` } }));
    });
    const err = await failure(client(url).openRecording('c1'));
    expect(err).toMatchObject({ code, failure: { kind }, status });
    if (status === 503) expect(err.retryAfterMs).toBe(7_000);
  });

  it('does not follow a redirect (the Bearer token stays with MCN)', async () => {
    const url = await serve((req, res) => {
      if (req.url?.startsWith('/elsewhere')) {
        res.writeHead(200, { 'content-type': 'audio/mpeg' });
        res.end(audio(5));
        return;
      }
      res.writeHead(302, { location: '/elsewhere' });
      res.end();
    });
    const err = await failure(client(url).openRecording('c1'));
    expect(err).toMatchObject({
      code: 'BAD_RESPONSE',
      failure: { kind: 'rejected' },
      status: 302,
    });
    expect(seen).toHaveLength(1);
  });

  it('refuses an error page served with 200 instead of passing it on as audio', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"errors":{"code":404,"description":"record not found"}}');
    });
    const err = await failure(client(url).openRecording('c1'));
    expect(err).toMatchObject({ code: 'BAD_RESPONSE', failure: { kind: 'unavailable' } });
    expect(err.message).toContain('record not found');
  });

  it('reads only the start of a long error body, and never waits for the rest', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.write('x'.repeat(50_000)); // and never ends
    });
    const err = await failure(client(url).openRecording('c1'));
    expect(err).toMatchObject({ code: 'SERVER_ERROR' });
    await waitFor(() => closed.length === 1, { message: 'the error response closed' });
  });

  it('network failures become NETWORK errors without the token', async () => {
    const url = await serve((req) => req.socket.destroy());
    expect(await failure(client(url).openRecording('c1'))).toMatchObject({ code: 'NETWORK' });
  });

  it('destroying the body aborts the MCN request', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': String(64 << 20) });
      res.write(audio(64 << 10)); // then silence: the rest never comes
    });
    const answer = (await client(url).openRecording('c1')) as RecordingAudio;
    await new Promise((resolve) => answer.body.once('data', resolve));
    answer.body.destroy();
    await waitFor(() => closed.length === 1, { message: 'MCN saw the request closed' });
  });

  it('a stalled body fails with a sanitised TIMEOUT after the idle time', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '1000' });
      res.write(audio(10));
    });
    const answer = (await client(url, 300).openRecording('c1')) as RecordingAudio;
    const err = await readAll(answer.body).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isMcnError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    expect(JSON.stringify(err)).not.toContain(TOKEN);
    expect(JSON.stringify((err as Error).cause ?? {})).not.toContain(TOKEN);
  });
});
