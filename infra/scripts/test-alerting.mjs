#!/usr/bin/env node
// Alerts of the compose stack reach ALERT_WEBHOOK_URL once, and with the URL intact.
//
// 1. For each ALERT_SENDER (grafana, the default, and alertmanager), the files docker-compose.yml
//    selects make exactly one of Grafana and Alertmanager notify: Alertmanager's configuration
//    has a receiver with an integration, or Grafana's provisioning has running rules and a
//    contact point, never both, never neither.
// 2. The URL travels as a file: compose writes ALERT_WEBHOOK_URL into a `configs` entry and
//    nothing else, mounted where alertmanager-sends.yml reads it (url_file); no entrypoint, no sed.
// 3. amtool accepts both Alertmanager configurations.
// 4. A real Alertmanager, started with each configuration, gets an alert through its API: with
//    alertmanager-sends.yml it posts it once to a loopback webhook whose URL holds `&`, `%26` and
//    `#` (the request arrives with the query intact); with grafana-sends.yml it posts nothing and
//    still lists the alert. Only the waits are shortened (group_wait 1s) and the url_file path
//    points at a temporary file.
//
//   node infra/scripts/test-alerting.mjs --bin DIR [--infra DIR]
//
// --bin: a directory with alertmanager and amtool >= 0.26 (infra/scripts/ensure-alertmanager.sh).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const here = join(dirname(fileURLToPath(import.meta.url)), '..');
// --infra DIR: check another copy of infra/ (e.g. an older commit's).
const infra = args.includes('--infra') ? args[args.indexOf('--infra') + 1] : here;
const require = createRequire(join(here, '..', 'package.json'));
const yaml = require('js-yaml');
const bin = args[args.indexOf('--bin') + 1];
if (!args.includes('--bin') || !bin || !existsSync(join(bin, 'alertmanager'))) {
  console.error(
    'usage: test-alerting.mjs --bin DIR   (DIR from infra/scripts/ensure-alertmanager.sh)',
  );
  process.exit(2);
}

const problems = [];
const fail = (message) => problems.push(message);
const load = (path) => yaml.load(readFileSync(join(infra, path), 'utf8'));
const SENDERS = ['grafana', 'alertmanager'];

// --- 1 and 2: what compose selects ------------------------------------------------------------
const compose = load('docker-compose.yml');
const am = compose.services?.alertmanager ?? {};
const grafana = compose.services?.grafana ?? {};
const SENDER_VAR = /\$\{ALERT_SENDER:-([a-z]+)\}/;

const configFlag = (am.command ?? []).find((a) => String(a).startsWith('--config.file='));
const alertingMount = (grafana.volumes ?? []).find(
  (v) => typeof v === 'object' && v.target === '/etc/grafana/provisioning/alerting',
);
const defaults = new Set(
  [configFlag, alertingMount?.source].map((s) => SENDER_VAR.exec(String(s ?? ''))?.[1]),
);
if (!configFlag || !SENDER_VAR.test(configFlag)) {
  fail('docker-compose.yml: alertmanager --config.file does not follow ${ALERT_SENDER:-grafana}');
}
if (!alertingMount || !SENDER_VAR.test(alertingMount.source)) {
  fail(
    'docker-compose.yml: Grafana alerting provisioning does not follow ${ALERT_SENDER:-grafana}',
  );
} else if (alertingMount.bind?.create_host_path !== false) {
  fail('docker-compose.yml: a mistyped ALERT_SENDER must fail (bind.create_host_path: false)');
}
if (defaults.size !== 1 || !defaults.has('grafana')) {
  fail(`docker-compose.yml: the default sender must be grafana everywhere (${[...defaults]})`);
}
if (am.entrypoint !== undefined) fail('docker-compose.yml: alertmanager must keep its entrypoint');
if (/\bsed\b/.test(readFileSync(join(infra, 'docker-compose.yml'), 'utf8'))) {
  fail('docker-compose.yml: sed is no way to put a URL into a configuration');
}

/** What `${ALERT_SENDER:-grafana}` resolves to for one sender (the test's own substitution). */
const forSender = (text, sender) => String(text).replace(SENDER_VAR, sender);
const amFile = (sender) =>
  forSender(configFlag ?? '', sender).replace('--config.file=/etc/alertmanager/', 'alertmanager/');
const grafanaDir = (sender) => forSender(alertingMount?.source ?? '', sender).replace(/^\.\//, '');

/** Receivers reachable from the route tree that would post somewhere. */
function alertmanagerNotifies(config) {
  const receivers = new Map((config.receivers ?? []).map((r) => [r.name, r]));
  const reachable = new Set();
  const walk = (route) => {
    if (route.receiver) reachable.add(route.receiver);
    (route.routes ?? []).forEach(walk);
  };
  walk(config.route ?? {});
  return [...reachable].filter((name) =>
    Object.entries(receivers.get(name) ?? {}).some(
      ([key, value]) => key.endsWith('_configs') && Array.isArray(value) && value.length > 0,
    ),
  );
}

function grafanaNotifies(dir) {
  const file = (name) => join(infra, dir, name);
  const rules = existsSync(file('rules.yml'))
    ? yaml.load(readFileSync(file('rules.yml'), 'utf8'))
    : {};
  const running = (rules.groups ?? []).flatMap((g) => g.rules ?? []).filter((r) => !r.isPaused);
  const points = existsSync(file('contact-points.yml'))
    ? (yaml.load(readFileSync(file('contact-points.yml'), 'utf8')).contactPoints ?? [])
    : [];
  const integrations = points.flatMap((p) => p.receivers ?? []);
  return { running: running.length, integrations: integrations.length, all: rules.groups?.length };
}

const webhookFileTarget = (am.configs ?? []).find((c) => c.source === 'alert-webhook-url')?.target;
const urlConfig = compose.configs?.['alert-webhook-url'];
if (!webhookFileTarget)
  fail('docker-compose.yml: alertmanager does not mount the alert-webhook-url config');
if (!/^\$\{ALERT_WEBHOOK_URL(:-[^}]*)?\}$/.test(urlConfig?.content ?? '')) {
  fail(
    'docker-compose.yml: configs.alert-webhook-url.content must be ${ALERT_WEBHOOK_URL...} and nothing else',
  );
}

for (const sender of configFlag && alertingMount ? SENDERS : []) {
  const amPath = amFile(sender);
  const gDir = grafanaDir(sender);
  if (!existsSync(join(infra, amPath))) {
    fail(`ALERT_SENDER=${sender}: ${amPath} does not exist`);
    continue;
  }
  if (!existsSync(join(infra, gDir))) {
    fail(`ALERT_SENDER=${sender}: ${gDir} does not exist`);
    continue;
  }
  const amConfig = load(amPath);
  const amSends = alertmanagerNotifies(amConfig);
  const g = grafanaNotifies(gDir);
  const grafanaSends = g.running > 0 && g.integrations > 0;
  if (!g.all)
    fail(
      `ALERT_SENDER=${sender}: ${gDir}/rules.yml has no rules (stale ones would stay in Grafana)`,
    );
  if (amSends.length > 0 && grafanaSends) {
    fail(
      `ALERT_SENDER=${sender}: both Alertmanager (${amSends}) and Grafana notify: every alert arrives twice`,
    );
  }
  if (amSends.length === 0 && !grafanaSends) fail(`ALERT_SENDER=${sender}: nobody notifies`);
  if ((sender === 'alertmanager') !== amSends.length > 0) {
    fail(`ALERT_SENDER=${sender}: Alertmanager ${amSends.length ? 'notifies' : 'does not notify'}`);
  }
  for (const r of amConfig.receivers ?? []) {
    for (const w of r.webhook_configs ?? []) {
      if (w.url !== undefined) fail(`${amPath}: receiver ${r.name} has a url written in the file`);
      if (w.url_file !== webhookFileTarget) {
        fail(
          `${amPath}: receiver ${r.name} reads ${w.url_file}, compose mounts the URL at ${webhookFileTarget}`,
        );
      }
    }
  }
  console.log(
    `test-alerting: ALERT_SENDER=${sender}: ${sender === 'alertmanager' ? `Alertmanager notifies (${amSends})` : `Grafana notifies (${g.running} rules running)`}, the other stays silent`,
  );
}

// --- 3: amtool ---------------------------------------------------------------------------------
for (const sender of problems.length ? [] : SENDERS) {
  try {
    execFileSync(join(bin, 'amtool'), ['check-config', join(infra, amFile(sender))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    fail(`amtool check-config ${amFile(sender)}: ${error.stdout}${error.stderr}`);
  }
}

// --- 4: a real Alertmanager --------------------------------------------------------------------
const freePort = () =>
  new Promise((resolve, reject) => {
    const server = createNetServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every group_wait and group_interval of the route tree to 1s: the test need not wait 30s. */
function quick(route) {
  return {
    ...route,
    ...(route.group_wait ? { group_wait: '1s' } : {}),
    ...(route.group_interval ? { group_interval: '1s' } : {}),
    ...(route.routes ? { routes: route.routes.map(quick) } : {}),
  };
}

async function deliver(sender) {
  const dir = mkdtempSync(join(tmpdir(), 'touchline-alerting-'));
  const requests = [];
  const hook = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, body });
      res.end('ok');
    });
  });
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const hookPort = hook.address().port;
  // What an on-call tool's URL may look like: a query with `&`, an escaped `&`, a fragment.
  const url = `http://127.0.0.1:${hookPort}/hooks/touchline?team=ops&token=a%26b#on-call`;
  const urlFile = join(dir, 'alert-webhook-url');
  writeFileSync(urlFile, url);

  const config = load(amFile(sender));
  config.route = { ...quick(config.route), group_wait: '1s', group_interval: '1s' };
  for (const r of config.receivers ?? []) {
    for (const w of r.webhook_configs ?? []) w.url_file = urlFile;
  }
  const configFile = join(dir, 'alertmanager.yml');
  writeFileSync(configFile, yaml.dump(config));

  const amPort = await freePort();
  const base = `http://127.0.0.1:${amPort}`;
  const child = spawn(
    join(bin, 'alertmanager'),
    [
      `--config.file=${configFile}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    let ready = false;
    for (let i = 0; i < 100 && !ready; i += 1) {
      ready = await fetch(`${base}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (!ready) await sleep(100);
    }
    if (!ready) throw new Error(`Alertmanager did not start: ${stderr}`);
    const alert = {
      labels: {
        alertname: 'TouchlineRoleDown',
        severity: 'critical',
        job: 'touchline-worker',
        instance: 'w1:9464',
      },
      annotations: { summary: 'test alert of infra/scripts/test-alerting.mjs' },
      startsAt: new Date().toISOString(),
    };
    const posted = await fetch(`${base}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([alert]),
    });
    if (!posted.ok) throw new Error(`POST /api/v2/alerts: ${posted.status}`);
    if (sender === 'alertmanager') {
      for (let i = 0; i < 100 && requests.length === 0; i += 1) await sleep(100);
      await sleep(1_500); // a second post would come after group_interval
      if (requests.length !== 1) {
        fail(
          `alertmanager-sends: ${requests.length} webhook posts for one alert, expected 1 (${stderr.trim()})`,
        );
      } else {
        const [request] = requests;
        const expected = '/hooks/touchline?team=ops&token=a%26b';
        if (request.method !== 'POST' || request.url !== expected) {
          fail(
            `alertmanager-sends: posted ${request.method} ${request.url}, expected POST ${expected}`,
          );
        }
        const body = JSON.parse(request.body);
        if (body.alerts?.[0]?.labels?.alertname !== 'TouchlineRoleDown') {
          fail('alertmanager-sends: the post does not carry the alert');
        }
        console.log(
          `test-alerting: Alertmanager posted the alert once to ${request.url} (URL file: ${url})`,
        );
      }
    } else {
      await sleep(3_000);
      const listed = await fetch(`${base}/api/v2/alerts`).then((r) => r.json());
      if (requests.length !== 0)
        fail(`grafana-sends: Alertmanager posted ${requests.length} times`);
      if (listed.length !== 1)
        fail(`grafana-sends: Alertmanager lists ${listed.length} alerts, expected 1`);
      console.log(
        'test-alerting: with Grafana as the sender, Alertmanager lists the alert and posts nothing',
      );
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode === null ? child.once('exit', resolve) : resolve(),
    );
    hook.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (problems.length === 0) {
  for (const sender of SENDERS) {
    try {
      await deliver(sender);
    } catch (error) {
      fail(`${sender}-sends: ${error.message}`);
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`test-alerting: ${p}`);
  process.exit(1);
}
console.log('test-alerting: OK');
