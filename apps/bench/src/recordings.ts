/**
 * `npm run bench -- recordings [--streams=50] [--rounds=4] [--sizes=1,10]`: recordings through
 * the proxy. For each size (MB) the MCN stand-in serves recordings of that size; the proxy
 * (`src/recordings-proxy.ts`, the real routes and MCN client) runs in a process of its own, so
 * its peak RSS is the proxy's alone; `streams` listeners each fetch `rounds` different signed
 * recording URLs back to back, reading every byte. The same load straight from the stand-in
 * is the baseline. Printed: MiB/s, streams/s, the proxy's CPU, idle and peak RSS — memory
 * that stays put when the file grows tenfold is the point.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Agent, get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRecordingLinker } from '@touchline/recordings';
import { createMcnStandIn, type McnStandIn } from '@touchline/sandbox';
import { cpuSeconds, memoryMiB, stop } from '@touchline/testing';

const MiB = 1024 * 1024;
const TOKEN = 'bench-mcn-token-0c4f2a';
const SIGNING_KEY = 'bench-signing-key-0123456789abcdef0123';

interface Load {
  readonly streams: number;
  readonly rounds: number;
  readonly urls: readonly string[];
  readonly size: number;
  readonly headers?: Record<string, string>;
}

interface LoadResult {
  readonly seconds: number;
  readonly bytes: number;
  readonly requests: number;
}

/** One GET read to the end; resolves with the byte count, rejects on anything but 200. */
function fetchAll(url: string, agent: Agent, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`)),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** `streams` listeners at once, each fetching `rounds` recordings one after another. */
async function runLoad(load: Load): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: load.streams });
  let next = 0;
  let bytes = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: load.streams }, async () => {
      for (let r = 0; r < load.rounds; r++) {
        const url = load.urls[next++ % load.urls.length]!;
        const got = await fetchAll(url, agent, load.headers ?? {});
        if (got !== load.size) throw new Error(`${url}: ${got} bytes, expected ${load.size}`);
        bytes += got;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { seconds, bytes, requests: load.streams * load.rounds };
}

async function startProxyProcess(mcn: McnStandIn, maxStreams: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./recordings-proxy.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        BENCH_MCN_URL: mcn.url,
        BENCH_MCN_TOKEN: TOKEN,
        BENCH_MCN_ACCOUNT: mcn.accountId,
        BENCH_MCN_VPBX: mcn.vpbxId,
        BENCH_SIGNING_KEY: SIGNING_KEY,
        BENCH_MAX_STREAMS: String(maxStreams),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const line = text.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`the proxy exited with ${code}`)));
  });
  return { child, base: `http://127.0.0.1:${port}` };
}

/** Samples a process's RSS while `during` runs; answers the highest sample, MiB. */
async function sampleRss<T>(pid: number, during: Promise<T>): Promise<{ result: T; max: number }> {
  let max = memoryMiB(pid).rss;
  const timer = setInterval(() => (max = Math.max(max, memoryMiB(pid).rss)), 20);
  try {
    return { result: await during, max };
  } finally {
    clearInterval(timer);
  }
}

interface Row {
  run: string;
  size: number;
  load: LoadResult;
  proxy?: { idle: number; peakSampled: number; peakHwm: number; cpu: number };
}

async function benchSize(sizeMb: number, streams: number, rounds: number): Promise<Row[]> {
  const size = sizeMb * MiB;
  const mcn = await createMcnStandIn({
    token: TOKEN,
    historyDays: 0,
    liveCallsPerMinute: 0,
    malformedShare: 0,
    recordingBytes: size,
    recordingNotReadyShare: 0,
    recordingMissingShare: 0,
  });
  let proxy: { child: ChildProcess; base: string } | undefined;
  try {
    const callids = mcn
      .addCalls(streams * 3, { inboundOnly: true })
      .filter((c) => c.has_record === 1)
      .map((c) => c.callid);
    const fileSize = mcn.recordingOf(callids[0]!)!.length;
    const record = (id: string) =>
      `${mcn.url}/account/${mcn.accountId}/vpbx/${mcn.vpbxId}/call_log/record?call_id=${encodeURIComponent(id)}`;
    const direct = await runLoad({
      streams,
      rounds,
      urls: callids.map(record),
      size: fileSize,
      headers: { authorization: `Bearer ${TOKEN}` },
    });

    proxy = await startProxyProcess(mcn, streams);
    const pid = proxy.child.pid!;
    const linker = createRecordingLinker(proxy.base, {
      currentVersion: 'v1',
      keys: new Map([['v1', SIGNING_KEY]]),
    });
    const urls = callids.map((id) => linker.urlFor(id)!);
    // Warm-up: one stream, checked byte for byte against MCN's file.
    const expected = createHash('sha256').update(mcn.recordingOf(callids[0]!)!).digest('hex');
    const warm = await fetch(urls[0]!);
    const actual = createHash('sha256')
      .update(Buffer.from(await warm.arrayBuffer()))
      .digest('hex');
    if (actual !== expected) throw new Error('the proxy changed the bytes');
    const idle = memoryMiB(pid).rss;
    const cpuBefore = cpuSeconds(pid);
    const { result, max } = await sampleRss(
      pid,
      runLoad({ streams, rounds, urls, size: fileSize }),
    );
    const row: Row = {
      run: 'through the proxy',
      size: fileSize,
      load: result,
      proxy: {
        idle,
        peakSampled: max,
        peakHwm: memoryMiB(pid).peak,
        cpu: cpuSeconds(pid) - cpuBefore,
      },
    };
    return [{ run: 'MCN stand-in directly', size: fileSize, load: direct }, row];
  } finally {
    if (proxy) await stop(proxy.child);
    await mcn.close();
  }
}

const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export async function benchRecordings(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      streams: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '4' },
      sizes: { type: 'string', default: '1,10' },
    },
  });
  const streams = Number(values.streams);
  const rounds = Number(values.rounds);
  const sizes = values.sizes.split(',').map(Number);
  const rows: Row[] = [];
  for (const size of sizes) {
    console.error(`recordings: ${streams} streams × ${rounds} of ${size} MB …`);
    rows.push(...(await benchSize(size, streams, rounds)));
  }
  console.log(
    '| run | file | streams × rounds | MiB moved | seconds | MiB/s | streams/s | proxy CPU s | proxy RSS idle → peak (sampled), MiB | proxy VmHWM, MiB |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { run, size, load, proxy } of rows) {
    console.log(
      `| ${run} | ${fmt(size / MiB, 2)} MiB | ${streams} × ${rounds} | ${fmt(load.bytes / MiB, 0)} | ${fmt(load.seconds, 2)} | ${fmt(load.bytes / MiB / load.seconds)} | ${fmt(load.requests / load.seconds)} | ${proxy ? fmt(proxy.cpu, 2) : '—'} | ${proxy ? `${fmt(proxy.idle, 0)} → ${fmt(proxy.peakSampled, 0)}` : '—'} | ${proxy ? fmt(proxy.peakHwm, 0) : '—'} |`,
    );
  }
}
