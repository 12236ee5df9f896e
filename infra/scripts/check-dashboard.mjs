#!/usr/bin/env node
// Checks the provisioned Grafana dashboard (and the alert rules) against the metrics Touchline
// actually exports. A panel that queries a misspelled or retired metric shows "No data" forever
// and nobody notices; this makes it a CI failure instead.
//
//   node infra/scripts/check-dashboard.mjs [dashboard.json ...]   default: infra/grafana/dashboards/*.json
//   node infra/scripts/check-dashboard.mjs --self-test            the checker catches what it should
//
// Checks: the JSON parses; it has panels; every panel has a title and gridPos; panel ids are
// unique; every query panel queries the templated `${datasource}`, which the dashboard defines;
// every metric name in every PromQL expression (dashboard targets and infra/prometheus/alerts.yml)
// is a Touchline metric of docs/metrics.md, a prom-client default metric, `up`, or one of the
// redis_exporter metrics the stack relies on.
// And the other way round: every touchline_* metric the code registers (`name: 'touchline_…'` in
// apps/*/src and packages/*/src) is known here with the type the code gives it, is drawn by at
// least one panel, and every lag or pause gauge (`*_lag_seconds`, `*_paused`) has an alert: a
// metric nobody looks at warns no one.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(infra, '..', 'package.json'));

/**
 * Every metric of docs/metrics.md (SPEC §5 and what the code adds), with its type; the labels
 * and their values are in docs/metrics.md. The type must be the one the code registers
 * (checked below): a histogram is queried through _bucket, _sum and _count, the others by name.
 */
const TOUCHLINE_METRICS = {
  touchline_queue_jobs: 'gauge',
  touchline_pending_items: 'gauge',
  touchline_oldest_pending_seconds: 'gauge',
  touchline_calltouch_requests_total: 'counter',
  touchline_calltouch_items_total: 'counter',
  touchline_calltouch_request_duration_seconds: 'histogram',
  touchline_calltouch_points_spent_total: 'counter',
  touchline_calltouch_points_remaining: 'gauge',
  touchline_points_budget: 'gauge',
  // endpoint; attributed: yes | no (Calltouch 2xx answers that carried errors).
  touchline_calltouch_answer_errors_total: 'counter',
  // flow; reason: busy | rate_limited | budget | calltouch_failing; result: deferred | parked.
  touchline_deferrals_total: 'counter',
  // lane: live | backlog (call end at MCN → accepted by Calltouch).
  touchline_call_freshness_seconds: 'histogram',
  // outcome: enqueued | duplicate | skipped | rejected | full_read_only; reason.
  touchline_mcn_calls_total: 'counter',
  touchline_mcn_poll_lag_seconds: 'gauge',
  // kind: tail | full | record; outcome: ok | the MCN error code in lower case.
  touchline_mcn_requests_total: 'counter',
  touchline_crm_orders_total: 'counter',
  // source: mcn | calltouch; outcome: accepted | unauthorized | ignored.
  touchline_events_total: 'counter',
  // outcome: served | forbidden | not_found | upstream_error | busy | range_not_satisfiable.
  touchline_recordings_requests_total: 'counter',
  touchline_recordings_bytes_total: 'counter',
  touchline_recordings_streams_active: 'gauge',
  // cause: client_closed | client_idle | upstream_failed | too_long.
  touchline_recordings_streams_interrupted_total: 'counter',
  touchline_leads_total: 'counter',
  touchline_leads_poll_lag_seconds: 'gauge',
  touchline_leads_export_paused: 'gauge',
};
/** Scrape-generated, and the redis_exporter metrics the alerts and the Redis panel use. */
const OTHER_METRICS = {
  up: 'gauge',
  redis_up: 'gauge',
  redis_memory_used_bytes: 'gauge',
  redis_memory_max_bytes: 'gauge',
};

/** prom-client's default metrics, read from prom-client itself so the list cannot go stale. */
async function promClientDefaults() {
  try {
    const { Registry, collectDefaultMetrics } = require('prom-client');
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const metrics = await registry.getMetricsAsJSON();
    return Object.fromEntries(metrics.map((m) => [m.name, String(m.type)]));
  } catch {
    console.error('check-dashboard: prom-client not found; run `npm ci` at the repository root');
    process.exit(2);
  }
}

/** Every series name a metric family exposes (histograms and summaries have several). */
function seriesNames(families) {
  const names = new Set();
  for (const [name, type] of Object.entries(families)) {
    names.add(name);
    if (type === 'histogram') ['_bucket', '_sum', '_count'].forEach((s) => names.add(name + s));
    if (type === 'summary') ['_sum', '_count'].forEach((s) => names.add(name + s));
  }
  return names;
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names referenced by a PromQL expression (a lexer's view, enough for our queries). */
export function metricNames(expr) {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\boffset\s+-?\d+[smhdwy]/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ') // Grafana variables
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/gi, ' '); // numbers
  const names = new Set();
  for (const match of text.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const rest = text.slice(match.index + word.length);
    if (/^\s*\(/.test(rest)) continue; // a function or an aggregation
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}

/** Panels, with those nested in collapsed rows. */
function allPanels(dashboard) {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function checkDashboard(dashboard, known) {
  const problems = [];
  const panels = allPanels(dashboard);
  const queryPanels = panels.filter((p) => p.type !== 'row');
  if (queryPanels.length === 0) problems.push('the dashboard has no panels');
  const variables = dashboard.templating?.list ?? [];
  const dsVariable = variables.find((v) => v.type === 'datasource' && v.name === 'datasource');
  if (!dsVariable || dsVariable.query !== 'prometheus') {
    problems.push('no templated Prometheus data source variable named "datasource"');
  }
  const ids = new Set();
  let expressions = 0;
  for (const panel of panels) {
    const where = `panel ${panel.id} "${panel.title ?? ''}"`;
    if (ids.has(panel.id)) problems.push(`${where}: duplicate id`);
    ids.add(panel.id);
    if (!panel.title) problems.push(`${where}: no title`);
    if (!panel.gridPos) problems.push(`${where}: no gridPos`);
    if (panel.type === 'row') continue;
    if (!Array.isArray(panel.targets) || panel.targets.length === 0) {
      problems.push(`${where}: no queries`);
      continue;
    }
    for (const target of panel.targets) {
      const uid = target.datasource?.uid ?? panel.datasource?.uid;
      if (uid !== '${datasource}') problems.push(`${where}: data source is not \${datasource}`);
      if (typeof target.expr !== 'string' || !target.expr.trim()) {
        problems.push(`${where}: query ${target.refId} has no expression`);
        continue;
      }
      expressions += 1;
      for (const name of metricNames(target.expr)) {
        if (!known.has(name)) problems.push(`${where}: unknown metric ${name}`);
      }
    }
  }
  return { problems, panels: queryPanels.length, expressions };
}

export function checkAlertRules(rules, known) {
  const problems = [];
  let count = 0;
  for (const group of rules.groups ?? []) {
    for (const rule of group.rules ?? []) {
      count += 1;
      for (const name of metricNames(rule.expr ?? '')) {
        if (!known.has(name)) problems.push(`alert ${rule.alert}: unknown metric ${name}`);
      }
    }
  }
  return { problems, count };
}

function selfTest(known) {
  const cases = [
    ['sum by (endpoint) (rate(touchline_calltouch_requests_total{outcome="ok"}[5m]))', []],
    [
      'histogram_quantile(0.99, sum by (le) (rate(touchline_calltouch_request_duration_seconds_bucket[$__rate_interval])))',
      [],
    ],
    ['max(touchline_pending_itemz) > 0', ['touchline_pending_itemz']],
    ['a unless on () b offset 5m', ['a', 'b']],
    [
      'histogram_quantile(0.95, sum by (le, lane) (rate(touchline_call_freshness_seconds_bucket{lane="live"}[5m])))',
      [],
    ],
    ['sum(rate(touchline_recordings_bytes_total[5m])) * 8', []],
    ['touchline_recordings_bytes_total_bucket', ['touchline_recordings_bytes_total_bucket']],
    [
      'touchline_calltouch_duration_seconds_bucket',
      ['touchline_calltouch_duration_seconds_bucket'],
    ],
  ];
  let failed = 0;
  for (const [expr, unknownExpected] of cases) {
    const unknown = metricNames(expr).filter((n) => !known.has(n));
    if (JSON.stringify(unknown) !== JSON.stringify(unknownExpected)) {
      console.error(
        `self-test: ${expr}: unknown ${JSON.stringify(unknown)}, expected ${JSON.stringify(unknownExpected)}`,
      );
      failed += 1;
    }
  }
  const bad = {
    panels: [
      {
        id: 1,
        type: 'timeseries',
        title: 'x',
        gridPos: {},
        targets: [{ refId: 'A', expr: 'nope_total', datasource: { uid: 'prometheus' } }],
      },
    ],
  };
  const result = checkDashboard(bad, known);
  if (result.problems.length !== 3) {
    console.error(`self-test: a bad dashboard gave ${result.problems.length} problems, expected 3`);
    failed += 1;
  }
  if (failed) process.exit(1);
  console.log(`check-dashboard: self-test passed (${cases.length + 1} cases)`);
}

const known = seriesNames({
  ...TOUCHLINE_METRICS,
  ...OTHER_METRICS,
  ...(await promClientDefaults()),
});
const args = process.argv.slice(2);
if (args[0] === '--self-test') {
  selfTest(known);
  process.exit(0);
}

const dashboardDir = join(infra, 'grafana/dashboards');
const files = args.length
  ? args
  : readdirSync(dashboardDir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(dashboardDir, f));
let problems = [];
for (const file of files) {
  let dashboard;
  try {
    dashboard = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    problems.push(`${file}: ${error.message}`);
    continue;
  }
  const result = checkDashboard(dashboard, known);
  problems = problems.concat(result.problems.map((p) => `${file}: ${p}`));
  console.log(`check-dashboard: ${file}: ${result.panels} panels, ${result.expressions} queries`);
}

let yaml;
try {
  yaml = require('js-yaml');
} catch {
  yaml = undefined;
}
if (yaml) {
  const rules = yaml.load(readFileSync(join(infra, 'prometheus/alerts.yml'), 'utf8'));
  const result = checkAlertRules(rules, known);
  problems = problems.concat(result.problems);
  console.log(`check-dashboard: alerts.yml: ${result.count} rules use only known metrics`);
} else {
  console.log('check-dashboard: js-yaml not found, alert rule metrics not checked');
}

// --- every registered metric is known, drawn, and (lags, pauses) alerted on -----------------
/**
 * touchline_* metric names registered by the sources (tests left out), with the type when the
 * registration reads `new Counter|Gauge|Histogram|Summary({ name: '…'`.
 */
function registeredMetrics() {
  const names = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ts$/.test(entry) && !/\.test\.ts$/.test(entry)) {
        const text = readFileSync(path, 'utf8');
        for (const m of text.matchAll(/name:\s*'(touchline_[a-z0-9_]+)'/g)) {
          if (!names.has(m[1])) names.set(m[1], undefined);
        }
        const typed =
          /new\s+(Counter|Gauge|Histogram|Summary)\s*\(\s*\{\s*name:\s*'(touchline_[a-z0-9_]+)'/g;
        for (const m of text.matchAll(typed)) names.set(m[2], m[1].toLowerCase());
      }
    }
  };
  for (const top of ['apps', 'packages']) {
    const base = join(infra, '..', top);
    for (const pkg of readdirSync(base)) {
      try {
        walk(join(base, pkg, 'src'));
      } catch {
        // a workspace without src/
      }
    }
  }
  return names;
}
if (args.length === 0) {
  const registered = registeredMetrics();
  const drawn = new Set();
  for (const file of files) {
    const dashboard = JSON.parse(readFileSync(file, 'utf8'));
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? [])
        metricNames(target.expr ?? '').forEach((n) => drawn.add(n));
    }
  }
  const alerted = new Set();
  if (yaml) {
    const rules = yaml.load(readFileSync(join(infra, 'prometheus/alerts.yml'), 'utf8'));
    for (const group of rules.groups ?? []) {
      for (const rule of group.rules ?? [])
        metricNames(rule.expr ?? '').forEach((n) => alerted.add(n));
    }
  }
  const family = (name) => [name, ...['_bucket', '_sum', '_count'].map((s) => name + s)];
  const before = problems.length;
  for (const [name, type] of [...registered].sort(([a], [b]) => a.localeCompare(b))) {
    if (!(name in TOUCHLINE_METRICS)) {
      problems.push(`${name} is registered by the code but unknown to check-dashboard.mjs`);
    } else if (type && TOUCHLINE_METRICS[name] !== type) {
      problems.push(
        `${name} is registered as a ${type}, check-dashboard.mjs knows it as a ${TOUCHLINE_METRICS[name]}`,
      );
    }
    if (!family(name).some((n) => drawn.has(n))) problems.push(`no dashboard panel draws ${name}`);
    if (/(_lag_seconds|_paused)$/.test(name) && !alerted.has(name)) {
      problems.push(`no alert in alerts.yml watches ${name}`);
    }
  }
  if (problems.length === before) {
    console.log(
      `check-dashboard: ${registered.size} registered touchline_* metrics, each drawn by a panel; lags and pauses alerted on`,
    );
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-dashboard: ${p}`);
  process.exit(1);
}
console.log('check-dashboard: OK');
