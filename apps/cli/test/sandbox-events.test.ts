import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@touchline/testing';
import { CLI, EMPTY_DIR } from './run-cli.ts';

const MCN_SECRET = 'sandbox-events-mcn-secret-0123';
const CALLTOUCH_SECRET = 'sandbox-events-ct-secret-4567';

interface Received {
  readonly method: string;
  readonly url: URL;
  readonly body: string;
}

/** Touchline's public HTTP role, as far as the sandbox can tell: a loopback server that keeps what it is sent. */
const received: Received[] = [];
const receiver: Server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({
      method: req.method ?? '',
      url: new URL(req.url ?? '/', 'http://receiver'),
      body,
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
});
let sandbox: ChildProcess | undefined;

afterAll(async () => {
  sandbox?.kill('SIGKILL');
  await new Promise((resolve) => receiver.close(resolve));
});

describe('touchline sandbox with SANDBOX_EVENTS_URL', () => {
  it('sends MCN call events and Calltouch lead events to Touchline’s public role, secrets kept out of its output', async () => {
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const [ctPort, mcnPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [CLI, 'sandbox'], {
      cwd: EMPTY_DIR,
      env: {
        PATH: process.env['PATH'] ?? '',
        HOME: process.env['HOME'] ?? '',
        SANDBOX_CALLTOUCH_PORT: String(ctPort),
        SANDBOX_MCN_PORT: String(mcnPort),
        SANDBOX_EVENTS_URL: `${base}/`,
        MCN_WEBHOOK_SECRET: MCN_SECRET,
        CALLTOUCH_WEBHOOK_SECRET: CALLTOUCH_SECRET,
      },
    });
    sandbox = child;
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('Calltouch lead events:'), {
      timeoutMs: 20_000,
      message: 'the sandbox banner',
    });
    expect(output).toContain(`MCN call events:       POST ${base}/v1/mcn/events`);
    expect(output).toContain(`Calltouch lead events: ${base}/v1/calltouch/events?secret=…`);

    // Ten calls that end now (nine in ten send an event) and one new lead.
    const admin = (port: number, path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await admin(mcnPort, '/__sandbox/calls', { count: 10, inboundOnly: true })).ok).toBe(
      true,
    );
    expect((await admin(ctPort, '/__sandbox/requests', { count: 1 })).ok).toBe(true);

    const mcnEvents = () =>
      received
        .filter((r) => r.method === 'POST' && r.url.pathname === '/v1/mcn/events')
        .map((r) => JSON.parse(r.body) as { secret?: string; event_type?: string });
    const leadEvents = () => received.filter((r) => r.url.pathname === '/v1/calltouch/events');
    await waitFor(() => mcnEvents().length > 0 && leadEvents().length > 0, {
      timeoutMs: 20_000,
      message: 'an MCN event and a lead event at the receiver',
    });
    for (const event of mcnEvents()) {
      expect(event.secret).toBe(MCN_SECRET);
      expect(event.event_type).toMatch(/^on(In|Out)Calling/);
    }
    for (const event of leadEvents())
      expect(event.url.searchParams.get('secret')).toBe(CALLTOUCH_SECRET);
    expect(received.every((r) => r.url.pathname.startsWith('/v1/'))).toBe(true);
    expect(output).not.toContain(MCN_SECRET);
    expect(output).not.toContain(CALLTOUCH_SECRET);
  });
});
