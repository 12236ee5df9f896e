#!/usr/bin/env node
// Compiles the `touchline` command into plain JavaScript for the image (infra/Dockerfile, stage
// `build`): apps/cli/src/main.ts and every @touchline/* package it imports, bundled by esbuild
// into apps/cli/dist/ (touchline.mjs and the chunks of the commands it loads on demand). Other
// packages stay in node_modules (external), as the image's production install provides them.
// bin/touchline.js runs this output only where the TypeScript sources are not shipped (the image);
// a checkout runs its sources through tsx, so a development run never uses a stale build.
//
//   npm run build -w @touchline/cli        (node apps/cli/build.mjs [--outdir DIR])
//
// Code that finds files next to its own module (`new URL('./x', import.meta.url)`) sees the
// bundle's location instead: the Lua scripts of the limiter and the orders are copied next to
// it, and any other module that uses import.meta stops the build until it is looked at here.
import { build } from 'esbuild';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const args = process.argv.slice(2);
const outdir = resolve(
  args.includes('--outdir') ? args[args.indexOf('--outdir') + 1] : join(here, 'dist'),
);

/**
 * Modules that use import.meta, and why each works from the bundle (all chunks are written flat
 * into outdir, one directory below apps/cli, as src/ is).
 */
const IMPORT_META = {
  // ../package.json: apps/cli/package.json from src/ and from dist/ alike (the version).
  'apps/cli/src/main.ts': 'same depth',
  // ./<name>.lua: copied into outdir below.
  'packages/limiter/src/limiter.ts': 'lua',
  'packages/orders/src/scripts.ts': 'lua',
  // createRequire(import.meta.url) resolves @bull-board/* from node_modules: any depth works.
  'packages/board/src/board-server.ts': 'resolves packages',
};

rmSync(outdir, { recursive: true, force: true });
const result = await build({
  entryPoints: { touchline: join(here, 'src/main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'external-packages',
      setup(b) {
        // Bundle the workspace packages (their sources are TypeScript, not shipped); leave
        // every other package to node_modules.
        b.onResolve({ filter: /^[^./]/ }, (a) =>
          a.path.startsWith('@touchline/') || a.path.startsWith('node:')
            ? undefined
            : { path: a.path, external: true },
        );
      },
    },
  ],
});

const problems = [];
// Paths in the metafile are relative to esbuild's working directory, the current one.
const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, resolve(p)));
const luaDirs = new Set();
for (const input of inputs) {
  if (!readFileSync(join(root, input), 'utf8').includes('import.meta')) continue;
  const how = IMPORT_META[input];
  if (!how) {
    problems.push(
      `${input} uses import.meta: check it works from ${relative(root, outdir)} and list it in apps/cli/build.mjs`,
    );
  }
  if (how === 'lua') luaDirs.add(dirname(join(root, input)));
}
const copied = new Map();
for (const dir of luaDirs) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
    if (copied.has(file))
      problems.push(`two Lua scripts named ${file}: ${copied.get(file)} and ${dir}`);
    copied.set(file, dir);
    copyFileSync(join(dir, file), join(outdir, file));
  }
}
if (!existsSync(join(outdir, 'touchline.mjs'))) problems.push('no touchline.mjs was written');
if (problems.length) {
  for (const p of problems) process.stderr.write(`apps/cli/build.mjs: ${p}\n`);
  process.exit(1);
}
const outputs = Object.keys(result.metafile.outputs).filter((o) => o.endsWith('.mjs'));
process.stdout.write(
  `apps/cli/build.mjs: ${inputs.length} modules → ${outputs.length} files in ${relative(process.cwd(), outdir) || '.'} (+ ${copied.size} Lua scripts: ${[...copied.keys()].map((f) => basename(f)).join(', ')})\n`,
);
