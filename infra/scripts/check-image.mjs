#!/usr/bin/env node
// The image of infra/Dockerfile, checked without Docker.
//
// 1. The Dockerfile: every stage starts from a supported Node LTS (22 or 24); the stage that
//    installs copies nothing from the build context but the lock file and the package.json of
//    every workspace (all of them, so that npm ci finds them) before it runs `npm ci --omit=dev`
//    (a source edit keeps the dependency layer cached); the last stage copies the installed tree
//    from that stage, then the sources, installs nothing itself, runs as `node`, has a
//    HEALTHCHECK, STOPSIGNAL SIGTERM and starts with `node`.
// 2. The same production tree, built in a temporary directory the way the Dockerfile builds it:
//    the manifests, the Dockerfile's own `npm ci` command, then the sources that
//    Dockerfile.dockerignore lets into the build context. Its size is printed beside the full
//    install of the checkout (the image's layers above the base image).
// 3. That tree runs: `touchline --help`, then `touchline demo` (the sandbox and every role in one
//    process) until the MCN poller, the leads export and the CRM listener have logged, on a
//    read-only bind mount of the tree (a mount namespace, when the machine allows one) with a
//    writable TMPDIR: what a container with a read-only root file system and an emptyDir on /tmp
//    sees.
//
//   node infra/scripts/check-image.mjs [--keep DIR] [--static] [--dockerfile FILE]
//
// --keep: build the tree in DIR and keep it; --static: the Dockerfile only (1.); --dockerfile:
// check another Dockerfile (e.g. an older commit's).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(infra, '..');
const args = process.argv.slice(2);
const problems = [];
/** The production tree's directory, once made (--keep: where, and keep it). */
let tree;
const keep = args.includes('--keep') ? args[args.indexOf('--keep') + 1] : undefined;
const SUPPORTED_NODE = /^node:(22|24)([.-].*)?$/;

// --- 1. the Dockerfile ---------------------------------------------------------------------------
/** Instructions of a Dockerfile: continuation lines joined, comments and blank lines dropped. */
export function instructions(text) {
  const out = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!current && (line === '' || line.startsWith('#'))) continue;
    if (current && line.startsWith('#')) continue;
    current += (current ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (!line.endsWith('\\')) {
      const [keyword, ...rest] = current.split(/\s+/);
      out.push({ keyword: keyword.toUpperCase(), args: rest.join(' ') });
      current = '';
    }
  }
  return out;
}

function stagesOf(list) {
  const argDefaults = {};
  const stages = [];
  for (const ins of list) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=');
      argDefaults[name] = value;
    } else if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const resolved = image.replace(/\$\{?(\w+)\}?/g, (_, v) => argDefaults[v] ?? '');
      stages.push({
        image: resolved,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        body: [],
      });
    } else if (stages.length) {
      stages.at(-1).body.push(ins);
    }
  }
  return stages;
}

/** The workspaces of the root package.json, as directories (globs `dir/*` expanded). */
function workspaces() {
  const globs = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  return globs.flatMap((glob) =>
    glob.endsWith('/*')
      ? readdirSync(join(root, glob.slice(0, -2)))
          .map((d) => `${glob.slice(0, -2)}/${d}`)
          .filter((d) => existsSync(join(root, d, 'package.json')))
      : [glob],
  );
}

const dockerfile = readFileSync(
  args.includes('--dockerfile')
    ? args[args.indexOf('--dockerfile') + 1]
    : join(infra, 'Dockerfile'),
  'utf8',
);
const stages = stagesOf(instructions(dockerfile));
for (const stage of stages) {
  if (!SUPPORTED_NODE.test(stage.image)) {
    problems.push(`Dockerfile: FROM ${stage.image}: not a supported Node LTS (22 or 24)`);
  }
}
const install = stages.find((s) =>
  s.body.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args)),
);
const final = stages.at(-1);
let npmCi;
if (!install || install === final) {
  problems.push('Dockerfile: npm ci must run in a stage of its own, before the runtime stage');
}
if (install) {
  const runIndex = install.body.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
  npmCi = /npm ci[^&;|]*/.exec(install.body[runIndex].args)[0].trim();
  if (!/--omit=dev\b/.test(npmCi))
    problems.push(`Dockerfile: "${npmCi}" installs dev dependencies`);
  const copied = new Set();
  for (const ins of install.body.slice(0, runIndex)) {
    if (ins.keyword === 'ADD') problems.push(`Dockerfile: ADD before npm ci: ${ins.args}`);
    if (ins.keyword !== 'COPY') continue;
    const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    if (/--from=/.test(ins.args))
      problems.push(`Dockerfile: COPY --from before npm ci: ${ins.args}`);
    const dest = parts.at(-1);
    for (const src of parts.slice(0, -1)) {
      if (!/(^|\/)(package\.json|package-lock\.json)$/.test(src)) {
        problems.push(`Dockerfile: COPY ${src} before npm ci: every source edit would reinstall`);
      } else {
        const target = dest.endsWith('/') ? `${dest}${src.split('/').at(-1)}` : dest;
        if (target.replace(/^\.\//, '') !== src) {
          problems.push(`Dockerfile: COPY ${src} ${dest}: the manifest must keep its path`);
        }
        copied.add(src);
      }
    }
  }
  const expected = [
    'package.json',
    'package-lock.json',
    ...workspaces().map((w) => `${w}/package.json`),
  ];
  for (const file of expected) {
    if (!copied.has(file)) problems.push(`Dockerfile: ${file} is not copied before npm ci`);
  }
  for (const file of copied) {
    if (!expected.includes(file))
      problems.push(`Dockerfile: copies ${file}, which is no workspace of package.json`);
  }
}
if (final) {
  const body = final.body;
  const at = (pred) => body.findIndex(pred);
  const fromInstall = at(
    (i) => i.keyword === 'COPY' && install?.name && i.args.includes(`--from=${install.name}`),
  );
  const sources = at((i) => i.keyword === 'COPY' && /^\.\s+\.$/.test(i.args.trim()));
  if (fromInstall < 0)
    problems.push('Dockerfile: the runtime stage does not copy the installed tree');
  if (sources < 0) problems.push('Dockerfile: the runtime stage does not COPY . .');
  if (fromInstall >= 0 && sources >= 0 && sources < fromInstall) {
    problems.push('Dockerfile: the sources are copied before the dependencies');
  }
  if (body.some((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args))) {
    problems.push('Dockerfile: the runtime stage installs packages itself');
  }
  const user = body.filter((i) => i.keyword === 'USER').at(-1)?.args;
  if (user !== 'node') problems.push(`Dockerfile: runs as ${user ?? 'root'}, not node`);
  if (!body.some((i) => i.keyword === 'HEALTHCHECK')) problems.push('Dockerfile: no HEALTHCHECK');
  if (!body.some((i) => i.keyword === 'STOPSIGNAL' && i.args === 'SIGTERM')) {
    problems.push('Dockerfile: no STOPSIGNAL SIGTERM');
  }
  const cmd = body.filter((i) => i.keyword === 'CMD').at(-1)?.args ?? '';
  if (!/^\[\s*"node"/.test(cmd))
    problems.push('Dockerfile: CMD does not start node (npx swallows SIGTERM)');
}
if (problems.length || args.includes('--static')) finish();
console.log(
  `check-image: Dockerfile: ${stages.length} stages (${stages.map((s) => `${s.name ?? 'runtime'} ${s.image}`).join(', ')}); manifests only before "${npmCi}"`,
);

// --- 2. the production tree ------------------------------------------------------------------------
/** Dockerfile.dockerignore as a predicate: the last matching pattern wins, `!` re-includes. */
function dockerignore() {
  const patterns = readFileSync(join(infra, 'Dockerfile.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const body = (negate ? l.slice(1) : l).replace(/^\//, '');
      const source = body
        .split(/(\*\*\/|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '*'
              ? '[^/]*'
              : part === '?'
                ? '[^/]'
                : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const { negate, regex } of patterns) if (regex.test(path)) ignored = !negate;
    return ignored;
  };
}

const du = (path) =>
  Number(execFileSync('du', ['-sk', path], { encoding: 'utf8' }).split('\t')[0]) * 1024;
const nodeModulesSize = (dir) =>
  execFileSync('find', [dir, '-name', 'node_modules', '-type', 'd', '-prune'], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .reduce((sum, d) => sum + du(d), 0);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

tree = keep ?? mkdtempSync(join(tmpdir(), 'touchline-image-'));
mkdirSync(tree, { recursive: true });
const copy = (file) => {
  mkdirSync(dirname(join(tree, file)), { recursive: true });
  copyFileSync(join(root, file), join(tree, file));
};
try {
  for (const file of [
    'package.json',
    'package-lock.json',
    ...workspaces().map((w) => `${w}/package.json`),
  ]) {
    copy(file);
  }
  const started = Date.now();
  const [, , ...npmArgs] = npmCi.split(/\s+/);
  const ci = spawnSync('npm', ['ci', ...npmArgs, '--prefer-offline'], {
    cwd: tree,
    encoding: 'utf8',
  });
  if (ci.status !== 0) {
    problems.push(`${npmCi} failed: ${ci.stderr.slice(-2000)}`);
    finish();
  }
  const installSeconds = ((Date.now() - started) / 1000).toFixed(0);
  const ignored = dockerignore();
  const files = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: root,
      encoding: 'utf8',
    },
  )
    .split('\0')
    .filter(
      (f) => f && !ignored(f) && existsSync(join(root, f)) && statSync(join(root, f)).isFile(),
    );
  for (const file of files) copy(file);
  const prod = nodeModulesSize(tree);
  const sources = du(tree) - prod;
  const full = nodeModulesSize(root);
  console.log(
    `check-image: production tree (${npmCi}, ${installSeconds} s): node_modules ${mb(prod)} + sources ${mb(sources)}; ` +
      `the checkout's full install: node_modules ${mb(full)}`,
  );

  // --- 3. it runs, read-only ----------------------------------------------------------------------
  const cli = join(tree, 'apps/cli/bin/touchline.js');
  const help = spawnSync(process.execPath, [cli, '--help'], { cwd: tree, encoding: 'utf8' });
  if (help.status !== 0 || !/Usage: touchline/.test(help.stdout)) {
    problems.push(`touchline --help from the production tree failed: ${help.stderr.slice(-1500)}`);
    finish();
  }
  const readOnly =
    spawnSync('unshare', [
      '--mount',
      'sh',
      '-c',
      `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"`,
      tree,
    ]).status === 0;
  const work = mkdtempSync(join(tmpdir(), 'touchline-image-tmp-'));
  const command = readOnly
    ? [
        'unshare',
        [
          '--mount',
          'sh',
          '-c',
          'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && cd "$0" && exec "$1" "$2" demo',
          tree,
          process.execPath,
          cli,
        ],
      ]
    : [process.execPath, [cli, 'demo']];
  const child = spawn(command[0], command[1], {
    cwd: tree,
    env: { ...process.env, TMPDIR: work, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
  const logText = () => {
    const log = readdirSync(work).find((f) => f.endsWith('.log'));
    return log ? readFileSync(join(work, log), 'utf8') : '';
  };
  const wanted = [
    '"component":"mcn-poller"',
    '"component":"leads-export"',
    '"component":"crm-listener"',
  ];
  for (
    let i = 0;
    i < 600 && child.exitCode === null && !wanted.every((w) => logText().includes(w));
    i += 1
  ) {
    await sleep(100);
  }
  const ran = wanted.every((w) => logText().includes(w));
  child.kill('SIGINT');
  const code = await Promise.race([
    new Promise((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
    ),
    sleep(30_000).then(() => 'timeout'),
  ]);
  if (code === 'timeout') child.kill('SIGKILL');
  if (!ran)
    problems.push(
      `touchline demo from the production tree did not get every role going:\n${out.slice(-3000)}\n${logText().slice(-2000)}`,
    );
  if (code !== 0)
    problems.push(
      `touchline demo from the production tree stopped with ${code}:\n${out.slice(-2000)}`,
    );
  rmSync(work, { recursive: true, force: true });
  if (!problems.length) {
    console.log(
      `check-image: touchline --help and touchline demo (every role) run from the production tree` +
        (readOnly
          ? ', mounted read-only, with a writable TMPDIR'
          : ' (read-only mount skipped: no mount namespace here)'),
    );
  }
} finally {
  if (!keep) rmSync(tree, { recursive: true, force: true });
}
finish();

function finish() {
  if (problems.length) {
    for (const p of problems) console.error(`check-image: ${p}`);
    if (!keep && tree && existsSync(tree)) rmSync(tree, { recursive: true, force: true });
    process.exit(1);
  }
  console.log('check-image: OK');
  process.exit(0);
}
