#!/usr/bin/env node
// Grafana alerting rules are the Prometheus rules of infra/prometheus/alerts.yml, translated:
// operators are alerted through Grafana, and two hand-kept copies of the same expressions would
// drift. This script derives from alerts.yml the rules.yml of both alerting provisionings of the
// compose stack (docker-compose.yml mounts one of them, after ALERT_SENDER):
// - infra/grafana/alerting/grafana-sends/rules.yml: the rules run and notify (the default);
// - infra/grafana/alerting/alertmanager-sends/rules.yml: the same rules, paused, because
//   Alertmanager notifies instead (an alert must arrive once, not twice).
//
//   node infra/scripts/grafana-rules.mjs --write   regenerate both rules.yml
//   node infra/scripts/grafana-rules.mjs --check   exit 1 when one is stale (infra/check.sh)
//
// Each Prometheus expression already filters to the series that should alert, so in Grafana the
// query (A) returns nothing when all is well and the condition (B) is "A returned a number":
// every series A returns is firing, no data means OK.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The two provisionings and whether their rules run. */
const TARGETS = [
  { file: 'grafana/alerting/grafana-sends/rules.yml', paused: false },
  { file: 'grafana/alerting/alertmanager-sends/rules.yml', paused: true },
];

// js-yaml comes with the repository's dev tooling (ESLint depends on it): no extra install.
const require = createRequire(join(infra, '..', 'package.json'));
let yaml;
try {
  yaml = require('js-yaml');
} catch {
  console.error('grafana-rules: js-yaml not found; run `npm ci` at the repository root first');
  process.exit(2);
}

/** The uid of the provisioned Prometheus data source (datasources/prometheus.yml). */
export const DATASOURCE_UID = 'prometheus';
const FOLDER = 'Touchline';

/** `TouchlineBacklogGrowing` → `touchline-backlog-growing` (Grafana uids: ≤ 40 characters). */
const uidOf = (alert) =>
  alert
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .slice(0, 40);

/** Grafana templates see query values in `$values.<refId>`; `$value` is a description string. */
const annotationsFor = (annotations) =>
  Object.fromEntries(
    Object.entries(annotations ?? {}).map(([key, text]) => [
      key,
      text.replace(/\$value\b/g, '$values.A.Value'),
    ]),
  );

/** Seconds of data the query needs: the longest range selector or offset in it, at least 10m. */
const lookbackSeconds = (expr) => {
  const units = { s: 1, m: 60, h: 3600, d: 86400 };
  let longest = 600;
  for (const [, n, unit] of expr.matchAll(/(?:\[|offset\s+)(\d+)([smhd])/g)) {
    longest = Math.max(longest, Number(n) * units[unit] * 2);
  }
  return longest;
};

export function toGrafana(prometheusRules, { paused = false } = {}) {
  return {
    apiVersion: 1,
    groups: prometheusRules.groups.map((group) => ({
      orgId: 1,
      name: group.name,
      folder: FOLDER,
      interval: '1m',
      rules: group.rules.map((rule) => ({
        uid: uidOf(rule.alert),
        title: rule.alert,
        condition: 'B',
        data: [
          {
            refId: 'A',
            relativeTimeRange: { from: lookbackSeconds(rule.expr), to: 0 },
            datasourceUid: DATASOURCE_UID,
            model: { refId: 'A', expr: rule.expr.trim(), instant: true, range: false },
          },
          {
            refId: 'B',
            relativeTimeRange: { from: 0, to: 0 },
            datasourceUid: '__expr__',
            model: {
              refId: 'B',
              type: 'math',
              expression: 'is_number($A) || is_nan($A) || is_inf($A)',
            },
          },
        ],
        noDataState: 'OK',
        execErrState: 'Error',
        for: rule.for ?? '0s',
        labels: rule.labels ?? {},
        annotations: annotationsFor(rule.annotations),
        isPaused: paused,
      })),
    })),
  };
}

const header = (paused) =>
  '# Generated from infra/prometheus/alerts.yml by `node infra/scripts/grafana-rules.mjs --write`.\n' +
  '# Do not edit: change alerts.yml and regenerate (infra/check.sh fails when this file is stale).\n' +
  (paused
    ? '# Every rule is paused: with ALERT_SENDER=alertmanager, Alertmanager notifies, not Grafana.\n'
    : '');

const source = yaml.load(readFileSync(join(infra, 'prometheus/alerts.yml'), 'utf8'));
const mode = process.argv[2];
if (mode !== '--write' && mode !== '--check') {
  console.error('usage: grafana-rules.mjs --write | --check');
  process.exit(2);
}
let stale = 0;
for (const { file, paused } of TARGETS) {
  const target = join(infra, file);
  const expected = toGrafana(source, { paused });
  if (mode === '--write') {
    writeFileSync(target, header(paused) + yaml.dump(expected, { lineWidth: -1, noRefs: true }));
    console.log(`grafana-rules: wrote ${target}`);
    continue;
  }
  let actual;
  try {
    actual = yaml.load(readFileSync(target, 'utf8'));
  } catch (error) {
    console.error(`grafana-rules: cannot read ${target}: ${error.message}`);
    stale += 1;
    continue;
  }
  if (!isDeepStrictEqual(actual, expected)) {
    console.error(
      `grafana-rules: ${file} is stale; run node infra/scripts/grafana-rules.mjs --write`,
    );
    stale += 1;
    continue;
  }
  const count = expected.groups.reduce((n, g) => n + g.rules.length, 0);
  console.log(
    `grafana-rules: ${file}: ${count} Grafana alert rules match alerts.yml${paused ? ' (paused)' : ''}`,
  );
}
if (stale) process.exit(1);
