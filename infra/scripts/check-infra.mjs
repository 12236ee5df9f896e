#!/usr/bin/env node
// Structural checks of infra/ that no tool on a CI machine without Docker or kubectl makes:
// - every alert of prometheus/alerts.yml has a promtool test where it fires and one where it
//   must stay silent (alerts.test.yml);
// - the compose stack has one service per role, each started with `node` (npx does not forward
//   SIGTERM), and Redis runs with AOF every second and noeviction;
// - every file a kustomization lists exists, and every Deployment has liveness on /healthz,
//   readiness on /readyz and a terminationGracePeriodSeconds.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(infra, '..', 'package.json'));
let yaml;
try {
  yaml = require('js-yaml');
} catch {
  console.error('check-infra: js-yaml not found; run `npm ci` at the repository root');
  process.exit(2);
}

const problems = [];
const load = (path) => yaml.load(readFileSync(join(infra, path), 'utf8'));

// --- alert tests cover every alert ----------------------------------------------------------
const rules = load('prometheus/alerts.yml');
const tests = load('prometheus/alerts.test.yml');
const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean));
const fires = new Set();
const silent = new Set();
let assertions = 0;
for (const test of tests.tests) {
  for (const check of test.alert_rule_test ?? []) {
    assertions += 1;
    (check.exp_alerts?.length ? fires : silent).add(check.alertname);
  }
}
for (const alert of alerts) {
  if (!fires.has(alert)) problems.push(`alerts.test.yml: no case where ${alert} fires`);
  if (!silent.has(alert)) problems.push(`alerts.test.yml: no case where ${alert} stays silent`);
}
for (const name of new Set([...fires, ...silent])) {
  if (!alerts.includes(name)) problems.push(`alerts.test.yml: tests unknown alert ${name}`);
}
for (const rule of rules.groups.flatMap((g) => g.rules)) {
  const anchor = `docs/operations.md#${rule.alert.toLowerCase()}`;
  if (rule.annotations?.runbook_url !== anchor) {
    problems.push(`alerts.yml: ${rule.alert}: runbook_url should be ${anchor}`);
  }
  for (const key of ['summary', 'description']) {
    if (!rule.annotations?.[key]) problems.push(`alerts.yml: ${rule.alert}: no ${key}`);
  }
  if (!['critical', 'warning', 'info'].includes(rule.labels?.severity)) {
    problems.push(`alerts.yml: ${rule.alert}: severity must be critical, warning or info`);
  }
}
// Every role has an alert that fires when Prometheus has no target for it at all (a pod stuck in
// Pending, a Deployment scaled to zero, a compose service never started): `up == 0` cannot, as
// there is no `up` series. absent(up{job="touchline-<role>"}) can, or a regex job matcher
// covering the role (TouchlineNoWorkerUp covers worker and all).
const ABSENT = /absent\(\s*up\s*\{\s*job\s*(=~|=)\s*"([^"]+)"/g;
const absentSelectors = rules.groups
  .flatMap((g) => g.rules)
  .flatMap((r) => [...(r.expr ?? '').matchAll(ABSENT)].map((m) => ({ op: m[1], value: m[2] })));
for (const role of ['worker', 'mcn-poller', 'crm-listener', 'leads', 'board']) {
  const job = `touchline-${role}`;
  const covered = absentSelectors.some(({ op, value }) =>
    op === '=' ? value === job : new RegExp(`^(?:${value})$`).test(job),
  );
  if (!covered) {
    problems.push(
      `alerts.yml: no absent(up{job="${job}"}) alert: a ${role} with no target alerts no one`,
    );
  }
}
// The Kubernetes scrape job keeps Pending pods: a pod that was scheduled but cannot start
// (ImagePullBackOff, a missing Secret) has an IP, is scraped, and reports up == 0.
const k8sScrape = load('k8s/prometheus/prometheus.yml');
for (const job of k8sScrape.scrape_configs ?? []) {
  for (const r of job.relabel_configs ?? []) {
    const drops = (r.action ?? 'replace') === 'drop';
    if (drops && (r.source_labels ?? []).includes('__meta_kubernetes_pod_phase')) {
      if (new RegExp(`^(?:${r.regex})$`).test('Pending')) {
        problems.push(
          `k8s/prometheus/prometheus.yml: job ${job.job_name} drops Pending pods (no up series, no alert)`,
        );
      }
    }
  }
}
// The runbook has a section for every alert (anchor = heading = alert name).
const runbook = join(infra, '..', 'docs/operations.md');
if (existsSync(runbook)) {
  const headings = new Set(
    [...readFileSync(runbook, 'utf8').matchAll(/^#{2,4} +(.+?)\s*$/gm)].map((m) =>
      m[1].toLowerCase(),
    ),
  );
  for (const alert of alerts) {
    if (!headings.has(alert.toLowerCase())) {
      problems.push(`docs/operations.md: no section "${alert}" (runbook_url anchor)`);
    }
  }
} else {
  problems.push('docs/operations.md is missing');
}

// --- docker compose ------------------------------------------------------------------------
const compose = load('docker-compose.yml');
const services = compose.services ?? {};
const ROLES = ['worker', 'mcn-poller', 'crm-listener', 'leads', 'board'];
for (const role of ROLES) {
  const service = services[role];
  if (!service) {
    problems.push(`docker-compose.yml: no service ${role}`);
    continue;
  }
  const command = service.command ?? [];
  if (command[0] !== 'node' || command[1] !== 'apps/cli/bin/touchline.js' || command[2] !== role) {
    problems.push(
      `docker-compose.yml: ${role} must run ["node", "apps/cli/bin/touchline.js", "${role}"]`,
    );
  }
  // The image runs compiled JavaScript that writes nothing: no tmpfs either
  // (infra/scripts/check-image.mjs runs every role with /tmp read-only).
  if (service.read_only !== true) {
    problems.push(`docker-compose.yml: ${role} must run read-only`);
  }
  if (!(service.cap_drop ?? []).includes('ALL')) {
    problems.push(`docker-compose.yml: ${role} must drop every capability`);
  }
  if (service.environment?.REDIS_URL !== 'redis://redis:6379') {
    problems.push(`docker-compose.yml: ${role} must use the stack's Redis`);
  }
}
if ((services.worker?.deploy?.replicas ?? 1) < 2) {
  problems.push('docker-compose.yml: worker should run 2 replicas');
}
const redisCommand = (services.redis?.command ?? []).join(' ');
for (const flag of [
  '--appendonly yes',
  '--appendfsync everysec',
  '--maxmemory-policy noeviction',
  '--maxmemory ',
]) {
  if (!redisCommand.includes(flag)) problems.push(`docker-compose.yml: redis lacks ${flag.trim()}`);
}
for (const name of ['prometheus', 'alertmanager', 'grafana', 'redis-exporter']) {
  if (!services[name]) problems.push(`docker-compose.yml: no service ${name}`);
}
if (!services.demo?.profiles?.includes('demo')) {
  problems.push('docker-compose.yml: the demo service should be in the demo profile');
}
const dockerfile = readFileSync(join(infra, 'Dockerfile'), 'utf8');
for (const line of ['STOPSIGNAL SIGTERM', 'HEALTHCHECK', 'USER node', 'npm ci']) {
  if (!dockerfile.includes(line)) problems.push(`Dockerfile: no ${line}`);
}

// --- kubernetes ----------------------------------------------------------------------------
let deployments = 0;
const kustomizations = ['k8s/base', 'k8s/overlays/second-egress'];
for (const dir of kustomizations) {
  const k = load(`${dir}/kustomization.yaml`);
  for (const resource of k.resources ?? []) {
    const path = join(infra, dir, resource);
    if (!existsSync(path)) {
      problems.push(`${dir}/kustomization.yaml: ${resource} does not exist`);
      continue;
    }
    if (!resource.endsWith('.yaml')) continue;
    for (const doc of yaml.loadAll(readFileSync(path, 'utf8')).filter(Boolean)) {
      if (doc.kind !== 'Deployment') continue;
      deployments += 1;
      const where = `${relative(infra, path)}: ${doc.metadata.name}`;
      const pod = doc.spec.template.spec;
      if (typeof pod.terminationGracePeriodSeconds !== 'number') {
        problems.push(`${where}: no terminationGracePeriodSeconds`);
      }
      for (const container of pod.containers) {
        if (container.command?.[0] !== 'node') problems.push(`${where}: not started with node`);
        if (container.livenessProbe?.httpGet?.path !== '/healthz') {
          problems.push(`${where}: liveness probe is not GET /healthz`);
        }
        if (container.readinessProbe?.httpGet?.path !== '/readyz') {
          problems.push(`${where}: readiness probe is not GET /readyz`);
        }
      }
    }
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-infra: ${p}`);
  process.exit(1);
}
console.log(
  `check-infra: ${alerts.length} alerts, each tested firing and silent (${tests.tests.length} test groups, ${assertions} assertions); ` +
    `compose: ${Object.keys(services).length} services; k8s: ${deployments} Deployments with probes`,
);
