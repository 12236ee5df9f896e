#!/usr/bin/env node
// The runbook's log queries work on the logs Touchline really writes.
//
// Static, over docs/operations.md:
// - `level` is never compared with a number (the logger writes names: "warn", not 40), and every
//   level named in a query is one the logger writes;
// - every component the runbook names (in a query, in its text, in the component table of
//   "## Logs") is one the code logs with (`component: '…'` in apps/*/src, packages/*/src), and
//   every component the code logs with is in that table.
// Live: runs two roles for a few seconds, as they run in production (node
// apps/cli/bin/touchline.js, JSON on stdout): a worker whose Redis does not answer, and
// `touchline demo` (the sandbox and every role on the REDIS_URL Redis, under a prefix of its
// own that it removes). Every `jq` query of the runbook must run on those lines and find at least
// one of them.
//
//   node infra/scripts/check-log-queries.mjs [--doc FILE]
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const docFile = args.includes('--doc')
  ? args[args.indexOf('--doc') + 1]
  : join(root, 'docs/operations.md');
const cli = join(root, 'apps/cli/bin/touchline.js');
/** The level names the logger writes (packages/logger/src/logger.ts: formatters.level). */
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

const problems = [];
const doc = readFileSync(docFile, 'utf8');

// --- what the code logs with -----------------------------------------------------------------
function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}
const codeComponents = new Set();
for (const top of ['apps', 'packages']) {
  for (const pkg of readdirSync(join(root, top))) {
    let files = [];
    try {
      files = sourceFiles(join(root, top, pkg, 'src'));
    } catch {
      continue;
    }
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bcomponent:\s*'([a-z0-9-]+)'/g)) {
        codeComponents.add(m[1]);
      }
    }
  }
}

// --- the runbook's queries and names ---------------------------------------------------------
/** jq invocations in the runbook's sh blocks: flags and the single-quoted filter. */
const queries = [];
for (const block of doc.matchAll(/```sh\n([\s\S]*?)```/g)) {
  for (const m of block[1].matchAll(/\bjq((?:\s+-[a-zA-Z]+)*)\s+'([^']*)'/g)) {
    queries.push({ flags: m[1].trim().split(/\s+/).filter(Boolean), filter: m[2] });
  }
}
if (queries.length === 0) problems.push('docs/operations.md has no jq query');

const numericLevel = /\.level\s*(?:==|!=|>=|<=|>|<)\s*\d|`?level`?\s*(?:≥|>=|>|≤|<=|<)\s*\d/;
for (const line of doc.split('\n')) {
  if (numericLevel.test(line)) {
    problems.push(`compares level with a number (the logger writes names): ${line.trim()}`);
  }
}
for (const { filter } of queries) {
  for (const m of filter.matchAll(/\.level\s*[!=]=\s*"([^"]*)"/g)) {
    if (!LEVELS.includes(m[1]))
      problems.push(`query uses level "${m[1]}", not one the logger writes: ${filter}`);
  }
}

const named = new Set();
for (const { filter } of queries) {
  for (const m of filter.matchAll(/\.component\s*[!=]=\s*"([^"]*)"/g)) named.add(m[1]);
}
// In the text: "component `x`", "`component` `x`", and "the `x` log lines".
for (const m of doc.matchAll(/component`?\s+`([a-z0-9-]+)`/g)) named.add(m[1]);
for (const m of doc.matchAll(/`([a-z0-9-]+)` log lines?/g)) named.add(m[1]);
const logsSection = doc.slice(
  doc.indexOf('\n## Logs\n'),
  doc.indexOf('\n## ', doc.indexOf('\n## Logs\n') + 1),
);
const table = new Set();
if (doc.includes('\n## Logs\n')) {
  for (const m of logsSection.matchAll(/^\| `([a-z0-9-]+)` +\|/gm)) {
    if (!['level', 'time', 'role', 'msg', 'component', 'err'].includes(m[1])) table.add(m[1]);
  }
} else {
  problems.push('docs/operations.md has no "## Logs" section');
}
for (const name of new Set([...named, ...table])) {
  if (!codeComponents.has(name))
    problems.push(`the runbook names component "${name}", which no code logs with`);
}
for (const name of codeComponents) {
  if (!table.has(name))
    problems.push(
      `component "${name}" is logged by the code but missing from the table of "## Logs"`,
    );
}

// --- real log lines ----------------------------------------------------------------------------
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
/** A wait that does not keep the process alive once everything else is done. */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
const exited = (child) =>
  new Promise((resolve) =>
    child.exitCode !== null || child.signalCode ? resolve() : child.once('exit', resolve),
  );

/** A worker whose Redis does not answer: what an operator sees first when Redis is down. */
async function workerWithoutRedis() {
  const closed = await freePort(); // nothing listens there
  const child = spawn(process.execPath, [cli, 'worker'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      REDIS_URL: `redis://127.0.0.1:${closed}`,
      METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      CALLTOUCH_SITE_ID: '1',
      CALLTOUCH_API_TOKEN: 'check-log-queries',
      CALLTOUCH_ATS_CODE: 'check-log-queries',
      CALLTOUCH_ATS_TOKEN: 'check-log-queries',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  for (let i = 0; i < 150 && !/"component":"redis"/.test(out); i += 1) await sleep(100);
  // It would reconnect forever; its lines are all this check needs.
  child.kill('SIGKILL');
  await exited(child);
  return out;
}

/** `touchline demo` until the poller (a warning among its lines), the leads export and the listener have logged. */
async function demo() {
  const child = spawn(process.execPath, [cli, 'demo'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  // The demo keeps the terminal for its summary and names the file the roles log to.
  const logFile = () => /role logs: (\S+\.log)/i.exec(stdout)?.[1];
  const read = () => {
    try {
      return logFile() ? readFileSync(logFile(), 'utf8') : '';
    } catch {
      return '';
    }
  };
  // The poller's warn line is an unreadable MCN record: about 2% of the stand-in's calls, so
  // the first read of a quiet morning may hold none; the live calls bring one within seconds.
  const wanted = [
    /"level":"warn"[^\n]*"component":"mcn-poller"/,
    /"component":"leads-export"/,
    /"component":"crm-listener"/,
  ];
  for (
    let i = 0;
    i < 400 && child.exitCode === null && !wanted.every((w) => w.test(read()));
    i += 1
  ) {
    await sleep(100);
  }
  child.kill('SIGINT'); // a clean stop: the demo removes its keys from Redis
  const stopped = await Promise.race([
    exited(child).then(() => true),
    sleep(30_000).then(() => false),
  ]);
  if (!stopped) child.kill('SIGKILL');
  const out = read();
  if (logFile()) rmSync(logFile(), { force: true });
  if (!out) problems.push(`touchline demo wrote no log lines (${stderr.trim() || 'no message'})`);
  return out;
}

const lines = ((await workerWithoutRedis()) + (await demo())).split('\n').filter(Boolean);
const components = new Set();
for (const line of lines) {
  let entry;
  try {
    entry = JSON.parse(line);
  } catch {
    problems.push(`a log line is not JSON: ${line.slice(0, 120)}`);
    continue;
  }
  if (!LEVELS.includes(entry.level))
    problems.push(`a log line has level ${JSON.stringify(entry.level)}`);
  if (entry.component) components.add(entry.component);
}
const input = lines.join('\n') + '\n';
for (const { flags, filter } of queries) {
  let out = '';
  try {
    out = execFileSync('jq', [...flags, filter], {
      input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    problems.push(
      `jq ${flags.join(' ')} '${filter}' failed: ${(error.stderr || error.message).trim()}`,
    );
    continue;
  }
  const found = out.split('\n').filter(Boolean).length;
  if (found === 0) problems.push(`jq '${filter}' finds nothing in ${lines.length} real log lines`);
  else
    console.log(
      `check-log-queries: ${String(found).padStart(3)} of ${lines.length} lines: jq '${filter}'`,
    );
}

if (problems.length) {
  for (const p of problems) console.error(`check-log-queries: ${p}`);
  process.exit(1);
}
console.log(
  `check-log-queries: ${queries.length} runbook queries each find real lines; levels are names; components ${[...components].sort().join(', ')} seen, ${codeComponents.size} documented`,
);
