#!/usr/bin/env node
// Renders every kustomization of infra/k8s with `kubectl kustomize` and checks what `kubectl
// apply -k` would really create, object by object:
//
// 1. Schemas. Every object validates against the Kubernetes OpenAPI schemas (the
//    kubernetes-models package: types, required fields, enums, formats), and has no field those
//    schemas do not know (TypeScript's excess-property check on the same package's types, what
//    `kubeconform -strict` does): a misspelt or misplaced field is an error, not a no-op.
// 2. Namespace and image. Every namespaced object is in the namespace of the base, every
//    container runs the image of the base: an overlay must not land where kubectl happens to
//    point, nor run an image nobody pushed. The Prometheus scrape job watches that namespace.
// 3. Scale. A Deployment that a HorizontalPodAutoscaler scales sets no `replicas` (each apply
//    would reset the autoscaler's choice).
// 4. Hardening. Every pod: no service account token mounted, non-root; every container: read-only
//    root file system (the image runs compiled JavaScript and writes nothing, /tmp included:
//    infra/scripts/check-image.mjs runs every role that way), no privilege escalation, every
//    capability dropped.
// 5. Network. Every pod is under a default-deny ingress NetworkPolicy; the public HTTP role
//    (PUBLIC_ROLES) takes ingress on its HTTP port; every role takes ingress on its metrics port
//    from Prometheus only; nothing else.
//
//   node infra/scripts/check-k8s.mjs [--kubectl PATH] [--dir DIR]
//
// --dir checks another copy of infra/k8s (e.g. an older commit's); the kubectl default is
// $KUBECTL, else `kubectl` on the PATH (infra/scripts/ensure-kubectl.sh provides one).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(infra, '..');
const require = createRequire(join(root, 'package.json'));

/** Roles that take traffic from outside the namespace on their HTTP port (SPEC: the CRM listener). */
export const PUBLIC_ROLES = ['crm-listener'];
const METRICS_PORT = { name: 'metrics', number: 9464 };

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const k8sDir = option('--dir') ?? join(infra, 'k8s');
const kubectl = option('--kubectl') ?? process.env.KUBECTL ?? 'kubectl';

let yaml;
let ts;
try {
  yaml = require('js-yaml');
  ts = require('typescript');
  require.resolve('kubernetes-models/apps/v1');
} catch {
  console.error('check-k8s: js-yaml, typescript or kubernetes-models missing; run `npm ci`');
  process.exit(2);
}

/** Directories holding a kustomization (Components are checked through the ones that use them). */
function kustomizations(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sub = join(dir, entry.name);
    const file = join(sub, 'kustomization.yaml');
    if (existsSync(file) && yaml.load(readFileSync(file, 'utf8'))?.kind !== 'Component') {
      found.push(sub);
    }
    found.push(...kustomizations(sub));
  }
  return found.sort();
}

function render(dir) {
  const out = execFileSync(kubectl, ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return yaml.loadAll(out).filter(Boolean);
}

const nameOf = (o) => `${o.kind}/${o.metadata?.name}`;
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'StorageClass',
  'CustomResourceDefinition',
]);
const podTemplate = (o) =>
  ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(o.kind)
    ? o.spec?.template
    : o.kind === 'CronJob'
      ? o.spec?.jobTemplate?.spec?.template
      : undefined;
const containersOf = (pod) => [
  ...(pod?.spec?.initContainers ?? []),
  ...(pod?.spec?.containers ?? []),
];

// --- 1. schemas ------------------------------------------------------------------------------
/** The kubernetes-models module of an apiVersion: `apps/v1` → kubernetes-models/apps/v1. */
const modelModule = (apiVersion) => `kubernetes-models/${apiVersion}`;

async function validateSchemas(objects, where) {
  const problems = [];
  for (const o of objects) {
    let Model;
    try {
      Model = (await import(modelModule(o.apiVersion)))[o.kind];
    } catch {
      Model = undefined;
    }
    if (typeof Model !== 'function') {
      problems.push(`${where}: ${nameOf(o)}: no Kubernetes schema for ${o.apiVersion} ${o.kind}`);
      continue;
    }
    try {
      new Model(o).validate();
    } catch (error) {
      problems.push(`${where}: ${nameOf(o)}: ${error.message}`);
    }
  }
  return problems;
}

/**
 * Writes `value` as a TypeScript literal, one property per line, each line remembering the
 * object and the JSON path it shows, so that a compiler diagnostic can name the field.
 */
function emit(value, at, indent, head, tail, out) {
  const line = (text) => out.push({ text: indent + text, owner: at.owner, path: at.path });
  const inner = indent + '  ';
  if (Array.isArray(value) && value.length) {
    line(`${head}[`);
    value.forEach((item, i) =>
      emit(item, { ...at, path: `${at.path}[${i}]` }, inner, '', ',', out),
    );
    line(`]${tail}`);
  } else if (value && typeof value === 'object' && Object.keys(value).length) {
    line(`${head}{`);
    for (const [key, item] of Object.entries(value)) {
      const path = at.path ? `${at.path}.${key}` : key;
      emit(item, { ...at, path }, inner, `${JSON.stringify(key)}: `, ',', out);
    }
    line(`}${tail}`);
  } else {
    line(`${head}${JSON.stringify(value)}${tail}`);
  }
}

/** Unknown fields and wrong types, by TypeScript's checker on kubernetes-models' interfaces. */
function strictFields(objects, where) {
  const dir = join(root, 'node_modules', '.cache', `check-k8s-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'objects.ts');
  const imports = [];
  const body = [];
  objects.forEach((o, i) => {
    const module = `${modelModule(o.apiVersion)}/${o.kind}`;
    try {
      require.resolve(module);
    } catch {
      return; // reported by validateSchemas
    }
    imports.push({ text: `import type { I${o.kind} as T${i} } from '${module}';` });
    emit(o, { owner: nameOf(o), path: '' }, '', `export const o${i}: T${i} = `, ';', body);
  });
  const lines = [...imports, ...body];
  writeFileSync(file, lines.map((l) => l.text).join('\n') + '\n');
  const program = ts.createProgram([file], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  });
  const problems = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    const line =
      d.file && d.start !== undefined
        ? lines[d.file.getLineAndCharacterOfPosition(d.start).line]
        : undefined;
    problems.push(
      line?.owner ? `${where}: ${line.owner}: ${line.path}: ${message}` : `${where}: ${message}`,
    );
  }
  rmSync(dir, { recursive: true, force: true });
  return problems;
}

// --- 2. namespace and image --------------------------------------------------------------------
function placement(objects, expected, where) {
  const problems = [];
  for (const o of objects) {
    if (CLUSTER_SCOPED.has(o.kind)) continue;
    if (o.metadata?.namespace !== expected.namespace) {
      problems.push(
        `${where}: ${nameOf(o)}: namespace ${o.metadata?.namespace ?? '(none: wherever kubectl points)'}, base has ${expected.namespace}`,
      );
    }
    for (const c of containersOf(podTemplate(o))) {
      if (c.image !== expected.image) {
        problems.push(
          `${where}: ${nameOf(o)}: container ${c.name} runs image ${c.image}, base runs ${expected.image}`,
        );
      }
    }
  }
  return problems;
}

/** What the base renders: its one namespace and its one image. */
function baseExpectations(objects) {
  const namespaces = new Set(
    objects.filter((o) => !CLUSTER_SCOPED.has(o.kind)).map((o) => o.metadata?.namespace),
  );
  const images = new Set(objects.flatMap((o) => containersOf(podTemplate(o)).map((c) => c.image)));
  const problems = [];
  if (namespaces.size !== 1 || [...namespaces][0] === undefined) {
    problems.push(`base: objects in ${namespaces.size} namespaces (${[...namespaces].join(', ')})`);
  }
  if (images.size !== 1) problems.push(`base: containers run ${[...images].join(', ')}`);
  const namespace = [...namespaces][0];
  if (!objects.some((o) => o.kind === 'Namespace' && o.metadata?.name === namespace)) {
    problems.push(`base: no Namespace object for ${namespace}`);
  }
  return { expected: { namespace, image: [...images][0] }, problems };
}

// --- 3. scale ------------------------------------------------------------------------------------
function scale(objects, where) {
  const problems = [];
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = objects.find((o) => o.kind === ref.kind && o.metadata?.name === ref.name);
    if (!target) {
      problems.push(
        `${where}: ${nameOf(hpa)} scales ${ref.kind}/${ref.name}, which is not rendered`,
      );
    } else if (target.spec?.replicas !== undefined) {
      problems.push(
        `${where}: ${nameOf(target)} sets replicas: ${target.spec.replicas} while ${nameOf(hpa)} owns its scale (every apply resets it)`,
      );
    }
  }
  return problems;
}

// --- 4. hardening --------------------------------------------------------------------------------
function hardening(objects, where) {
  const problems = [];
  for (const o of objects) {
    const pod = podTemplate(o);
    if (!pod) continue;
    const at = `${where}: ${nameOf(o)}`;
    const spec = pod.spec ?? {};
    if (spec.automountServiceAccountToken !== false) {
      problems.push(
        `${at}: automountServiceAccountToken is not false (no role talks to the API server)`,
      );
    }
    if (spec.securityContext?.runAsNonRoot !== true)
      problems.push(`${at}: runAsNonRoot is not true`);
    for (const c of containersOf(pod)) {
      const sc = c.securityContext ?? {};
      const cat = `${at}: container ${c.name}`;
      if (sc.readOnlyRootFilesystem !== true)
        problems.push(`${cat}: readOnlyRootFilesystem is not true`);
      if (sc.allowPrivilegeEscalation !== false) {
        problems.push(`${cat}: allowPrivilegeEscalation is not false`);
      }
      if (!(sc.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${cat}: capabilities not dropped`);
    }
  }
  return problems;
}

// --- 5. network ----------------------------------------------------------------------------------
const selects = (selector, labels) =>
  Object.entries(selector?.matchLabels ?? {}).every(([k, v]) => labels?.[k] === v) &&
  (selector?.matchExpressions ?? []).every((e) => {
    const value = labels?.[e.key];
    if (e.operator === 'In') return e.values.includes(value);
    if (e.operator === 'NotIn') return !e.values.includes(value);
    if (e.operator === 'Exists') return value !== undefined;
    if (e.operator === 'DoesNotExist') return value === undefined;
    return false;
  });

/** A container port as the policy names it → the set of names and numbers it stands for. */
function portIds(pod) {
  const ids = new Map();
  for (const c of containersOf(pod)) {
    for (const p of c.ports ?? []) {
      ids.set(String(p.containerPort), p);
      if (p.name) ids.set(p.name, p);
    }
  }
  return ids;
}

function network(objects, where) {
  const problems = [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const o of objects) {
    const pod = podTemplate(o);
    if (!pod) continue;
    const at = `${where}: ${nameOf(o)}`;
    const labels = pod.metadata?.labels ?? {};
    const role = labels['app.kubernetes.io/component'];
    const mine = policies.filter(
      (p) =>
        selects(p.spec?.podSelector, labels) && (p.spec?.policyTypes ?? []).includes('Ingress'),
    );
    if (mine.length === 0) {
      problems.push(`${at}: no NetworkPolicy restricts its ingress (everything may connect)`);
      continue;
    }
    const ports = portIds(pod);
    const allowed = new Set();
    for (const policy of mine) {
      for (const rule of policy.spec?.ingress ?? []) {
        const rulePorts = rule.ports?.length ? rule.ports : [{ port: undefined }];
        for (const rp of rulePorts) {
          const port = rp.port === undefined ? undefined : ports.get(String(rp.port));
          if (rp.port === undefined) {
            problems.push(`${at}: ${nameOf(policy)} lets in every port`);
            continue;
          }
          if (!port) continue; // a port this pod does not have
          if (port.containerPort === METRICS_PORT.number) {
            if (!rule.from?.length) {
              problems.push(`${at}: ${nameOf(policy)} opens the metrics port to everyone`);
            }
            allowed.add('metrics');
          } else if (PUBLIC_ROLES.includes(role)) {
            allowed.add(port.name ?? String(port.containerPort));
          } else {
            problems.push(
              `${at}: ${nameOf(policy)} lets in port ${rp.port}; only ${PUBLIC_ROLES.join(', ')} take ingress`,
            );
          }
        }
      }
    }
    if (!allowed.has('metrics')) problems.push(`${at}: Prometheus cannot reach the metrics port`);
    if (PUBLIC_ROLES.includes(role) && allowed.size < 2) {
      problems.push(`${at}: the public role takes no ingress on its HTTP port`);
    }
  }
  return problems;
}

// --- run -----------------------------------------------------------------------------------------
const problems = [];
const dirs = kustomizations(k8sDir);
const base = dirs.find((d) => relative(k8sDir, d) === 'base');
if (!base) {
  console.error(`check-k8s: ${k8sDir} has no base kustomization`);
  process.exit(1);
}
let expected;
const summary = [];
for (const dir of [base, ...dirs.filter((d) => d !== base)]) {
  const where = relative(k8sDir, dir);
  let objects;
  try {
    objects = render(dir);
  } catch (error) {
    problems.push(`${where}: kubectl kustomize failed: ${error.stderr || error.message}`);
    continue;
  }
  if (!expected) {
    const result = baseExpectations(objects);
    expected = result.expected;
    problems.push(...result.problems);
  }
  problems.push(...(await validateSchemas(objects, where)));
  problems.push(...strictFields(objects, where));
  problems.push(...placement(objects, expected, where));
  problems.push(...scale(objects, where));
  problems.push(...hardening(objects, where));
  problems.push(...network(objects, where));
  summary.push(`${where}: ${objects.length} objects`);
}

// The scrape job of infra/k8s/prometheus watches the namespace the manifests create.
const scrapeFile = join(k8sDir, 'prometheus', 'prometheus.yml');
if (existsSync(scrapeFile) && expected) {
  const scrape = yaml.load(readFileSync(scrapeFile, 'utf8'));
  const watched = (scrape.scrape_configs ?? []).flatMap((job) =>
    (job.kubernetes_sd_configs ?? []).flatMap((sd) => sd.namespaces?.names ?? []),
  );
  if (!watched.includes(expected.namespace)) {
    problems.push(`prometheus/prometheus.yml: does not watch namespace ${expected.namespace}`);
  }
}

if (problems.length) {
  for (const p of problems) console.error(`check-k8s: ${p}`);
  process.exit(1);
}
console.log(
  `check-k8s: ${summary.join('; ')}; schemas (strict), namespace ${expected.namespace}, image ${expected.image}, scale, hardening and network policies OK`,
);
