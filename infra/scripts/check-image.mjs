#!/usr/bin/env node
// The image of infra/Dockerfile, checked without Docker.
//
// 1. The Dockerfile: every stage starts from a supported Node LTS (22 or 24); the stage that
//    installs copies nothing from the build context but the lock file and the package.json of
//    every workspace (all of them, so that npm ci finds them) before it runs `npm ci --omit=dev`
//    (a source edit keeps the dependency layer cached); a build stage compiles the command with
//    apps/cli/build.mjs; the last stage copies the installed tree from the first, the compiled
//    command from the build stage and no sources (no `COPY . .`), installs nothing itself, runs
//    as `node`, has a HEALTHCHECK, STOPSIGNAL SIGTERM and starts with `node`.
// 2. The same production tree, built in a temporary directory the way the Dockerfile builds it:
//    the manifests, the Dockerfile's own `npm ci` command, the build stage's command (run from
//    this checkout, whose install has esbuild, writing into the tree), then what the runtime
//    stage copies from the build context. It must hold no TypeScript source, no tsx and no
//    esbuild. Its size is printed beside the full install of the checkout.
// 3. That tree runs the compiled JavaScript: `touchline --version` and `--help`; `touchline all`
//    (every role in one process) against `touchline sandbox`, both from the tree, on a read-only
//    bind mount of the tree with /tmp read-only too (a mount namespace, when the machine allows
//    one): what a container with a read-only root file system and no writable volume sees; then
//    `touchline demo` (the sandbox and every role, calls, orders and leads flowing) with a
//    writable TMPDIR, which the demo needs for its log file and private Redis.
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
import { createServer } from 'node:net';
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
const BUILD_COMMAND = /^node apps\/cli\/build\.mjs\b/;
const build = stages.find(
  (st) => st !== final && st.body.some((i) => i.keyword === 'RUN' && BUILD_COMMAND.test(i.args)),
);
if (!build?.name) {
  problems.push('Dockerfile: no named build stage that runs node apps/cli/build.mjs');
}
/** `COPY` instructions of the runtime stage: from another stage or from the build context. */
const copies = (final?.body ?? [])
  .filter((i) => i.keyword === 'COPY')
  .map((i) => {
    const from = /--from=(\S+)/.exec(i.args)?.[1];
    const parts = i.args.split(/\s+/).filter((p) => !p.startsWith('--'));
    return { from, sources: parts.slice(0, -1), dest: parts.at(-1), args: i.args };
  });
if (final) {
  const body = final.body;
  const at = (pred) => body.findIndex(pred);
  const fromInstall = at(
    (i) => i.keyword === 'COPY' && install?.name && i.args.includes(`--from=${install.name}`),
  );
  if (fromInstall < 0)
    problems.push('Dockerfile: the runtime stage does not copy the installed tree');
  if (
    build?.name &&
    !copies.some(
      (c) =>
        c.from === build.name &&
        c.sources.includes('/app/apps/cli/dist') &&
        /^apps\/cli\/dist\/?$/.test(c.dest),
    )
  ) {
    problems.push(`Dockerfile: the runtime stage does not copy apps/cli/dist from ${build.name}`);
  }
  for (const c of copies.filter((c) => !c.from)) {
    if (c.sources.some((src) => src === '.' || src === './' || /(^|\/)src\/?$/.test(src))) {
      problems.push(
        `Dockerfile: the runtime stage copies sources (COPY ${c.args}): it runs the compiled command`,
      );
    }
  }
  if (!copies.some((c) => !c.from && c.sources.includes('apps/cli/bin'))) {
    problems.push('Dockerfile: the runtime stage does not copy apps/cli/bin (the entry point)');
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
  `check-image: Dockerfile: ${stages.length} stages (${stages.map((s) => `${s.name ?? 'runtime'} ${s.image}`).join(', ')}); manifests only before "${npmCi}"; the runtime stage has the compiled command and no sources`,
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
const copy = (file, dest = file) => {
  mkdirSync(dirname(join(tree, dest)), { recursive: true });
  copyFileSync(join(root, file), join(tree, dest));
};
/** Files of the checkout that the build context (Dockerfile.dockerignore) lets in. */
const contextFiles = () => {
  const ignored = dockerignore();
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\0')
    .filter(
      (f) => f && !ignored(f) && existsSync(join(root, f)) && statSync(join(root, f)).isFile(),
    );
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());
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
  const prod = nodeModulesSize(tree);

  // The runtime stage's COPY instructions, in order: the installed tree is already here; the
  // build stage's output is built from this checkout into the tree; the rest comes from the
  // build context.
  const files = contextFiles();
  for (const c of copies) {
    if (c.from === install.name) continue;
    if (c.from === build.name) {
      const command = build.body
        .filter((i) => i.keyword === 'RUN' && BUILD_COMMAND.test(i.args))
        .at(-1)
        .args.split(/\s+/);
      const out = spawnSync(
        process.execPath,
        [join(root, command[1]), ...command.slice(2), '--outdir', join(tree, c.dest)],
        { cwd: root, encoding: 'utf8' },
      );
      if (out.status !== 0) {
        problems.push(`${command.join(' ')} failed: ${out.stderr.slice(-2000)}`);
        finish();
      }
      continue;
    }
    if (c.from) {
      problems.push(`check-image: cannot follow COPY ${c.args}`);
      continue;
    }
    for (const src of c.sources) {
      const under = files.filter((f) => f === src || f.startsWith(`${src.replace(/\/$/, '')}/`));
      if (under.length === 0) problems.push(`Dockerfile: COPY ${c.args}: nothing in the context`);
      for (const file of under) copy(file, join(c.dest, file.slice(src.replace(/\/$/, '').length)));
    }
  }
  const shipped = execFileSync(
    'find',
    [tree, '-path', join(tree, 'node_modules'), '-prune', '-o', '-type', 'f', '-print'],
    { encoding: 'utf8' },
  )
    .split('\n')
    .filter(Boolean);
  const typescript = shipped.filter((f) => /\.[cm]?tsx?$/.test(f) && !f.endsWith('.d.ts'));
  if (typescript.length) {
    problems.push(
      `the image ships TypeScript sources: ${typescript.slice(0, 5).join(', ')}${typescript.length > 5 ? ', …' : ''}`,
    );
  }
  for (const pkg of ['tsx', 'esbuild']) {
    if (existsSync(join(tree, 'node_modules', pkg))) problems.push(`the image installs ${pkg}`);
  }
  const code = du(tree) - prod;
  const full = nodeModulesSize(root);
  console.log(
    `check-image: production tree (${npmCi}, ${installSeconds} s): node_modules ${mb(prod)} + the compiled command and manifests ${mb(code)}; ` +
      `the checkout's full install: node_modules ${mb(full)}`,
  );
  if (problems.length) finish();

  // --- 3. it runs the compiled command, read-only -------------------------------------------------
  const cli = join(tree, 'apps/cli/bin/touchline.js');
  const version = spawnSync(process.execPath, [cli, '--version'], { cwd: tree, encoding: 'utf8' });
  const expected = JSON.parse(readFileSync(join(root, 'apps/cli/package.json'), 'utf8')).version;
  if (version.status !== 0 || version.stdout.trim() !== expected) {
    problems.push(
      `touchline --version from the production tree: ${version.stdout}${version.stderr}`,
    );
  }
  const help = spawnSync(process.execPath, [cli, '--help'], { cwd: tree, encoding: 'utf8' });
  if (help.status !== 0 || !/Usage: touchline/.test(help.stdout)) {
    problems.push(`touchline --help from the production tree failed: ${help.stderr.slice(-1500)}`);
    finish();
  }
  /**
   * `node <cli> <args>` in the tree; with a mount namespace, on a read-only bind mount of the
   * tree, and with /tmp read-only too unless `writableTmp`.
   */
  const readOnly =
    spawnSync('unshare', [
      '--mount',
      'sh',
      '-c',
      `mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"`,
      tree,
    ]).status === 0;
  const run = (args, env, { writableTmp = false } = {}) => {
    const mounts = [
      'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0"',
      writableTmp ? 'true' : 'mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp',
      'cd "$0" && node="$1" && cli="$2" && shift 2 && exec "$node" "$cli" "$@"',
    ];
    const [command, commandArgs] = readOnly
      ? ['unshare', ['--mount', 'sh', '-c', mounts.join(' && '), tree, process.execPath, cli]]
      : [process.execPath, [cli]];
    const child = spawn(command, [...commandArgs, ...args], {
      cwd: tree,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    const exited = new Promise((resolve) =>
      child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (c) => resolve(c)),
    );
    return {
      child,
      output: () => out,
      async stop(signal = 'SIGTERM') {
        if (child.exitCode === null) child.kill(signal);
        const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout')]);
        if (code === 'timeout') child.kill('SIGKILL');
        return code;
      },
    };
  };
  const freePort = () =>
    new Promise((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address();
        server.close(() => resolve(port));
      });
    });
  const waitFor = async (condition, ms) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) {
      if (await condition()) return true;
    }
    return false;
  };

  // Every role from the compiled command, nothing writable: the sandbox and `all`.
  const [ctPort, mcnPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const sandbox = run(['sandbox'], {
    SANDBOX_CALLTOUCH_PORT: String(ctPort),
    SANDBOX_MCN_PORT: String(mcnPort),
  });
  const sandboxUp = await waitFor(() => sandbox.output().includes('MCN stand-in'), 30_000);
  const env = Object.fromEntries(
    sandbox
      .output()
      .split('\n')
      .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
  const prefix = `tlimage-${process.pid}`;
  const all = run(['all'], {
    ...env,
    QUEUE_PREFIX: prefix,
    METRICS_PORT: String(metricsPort),
    CRM_LISTENER_PORT: String(await freePort()),
    CRM_WEBHOOK_SECRET: 'check-image-crm-secret',
    BOARD_PORT: String(await freePort()),
    BOARD_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  const allUp =
    sandboxUp &&
    (await waitFor(async () => {
      if (all.child.exitCode !== null) return true;
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
      return res?.status === 200 && all.output().includes('"msg":"all started"');
    }, 60_000));
  const allCode = await all.stop();
  const sandboxCode = await sandbox.stop();
  if (!allUp || allCode !== 0) {
    problems.push(
      `touchline all from the compiled command${readOnly ? ' (read-only, /tmp read-only)' : ''} did not start and stop cleanly (exit ${allCode}):\n${all.output().slice(-3000)}\n${sandbox.output().slice(-1000)}`,
    );
  }
  if (sandboxCode !== 0) problems.push(`touchline sandbox stopped with ${sandboxCode}`);
  const keys = spawnSync(
    'redis-cli',
    ['-u', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', '--scan', '--pattern', `${prefix}:*`],
    { encoding: 'utf8' },
  );
  const leftover = (keys.stdout ?? '').split('\n').filter(Boolean);
  if (leftover.length)
    spawnSync('redis-cli', [
      '-u',
      process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      'unlink',
      ...leftover,
    ]);

  // The whole pipeline from the compiled command: `touchline demo` until every flow has logged.
  const work = mkdtempSync(join(tmpdir(), 'touchline-image-tmp-'));
  const demo = run(['demo'], { TMPDIR: work, LOG_LEVEL: 'info' }, { writableTmp: true });
  const logText = () => {
    const log = readdirSync(work).find((f) => f.endsWith('.log'));
    return log ? readFileSync(join(work, log), 'utf8') : '';
  };
  const wanted = [
    '"component":"mcn-poller"',
    '"component":"leads-export"',
    '"component":"crm-listener"',
  ];
  const ran = await waitFor(
    () => demo.child.exitCode !== null || wanted.every((w) => logText().includes(w)),
    60_000,
  );
  const flowing = ran && wanted.every((w) => logText().includes(w));
  const demoCode = await demo.stop('SIGINT');
  if (!flowing)
    problems.push(
      `touchline demo from the compiled command did not get every role going:\n${demo.output().slice(-3000)}\n${logText().slice(-2000)}`,
    );
  if (demoCode !== 0)
    problems.push(
      `touchline demo from the compiled command stopped with ${demoCode}:\n${demo.output().slice(-2000)}`,
    );
  rmSync(work, { recursive: true, force: true });
  if (!problems.length) {
    console.log(
      'check-image: the compiled command runs from the production tree: --version, --help, ' +
        'sandbox + all' +
        (readOnly
          ? ' on a read-only tree with /tmp read-only, demo (writable TMPDIR)'
          : ' and demo (read-only mounts skipped: no mount namespace here)'),
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
