#!/usr/bin/env node
// The `touchline` command. It runs one of two things, decided by what is installed:
// - a checkout (`npm ci`): the TypeScript sources, through tsx. What runs is always what is on
//   disk, with no build step: `npx touchline <command>` works right after `npm ci`, and an edit
//   is never shadowed by an old build.
// - the image (infra/Dockerfile): the JavaScript compiled from those sources by esbuild
//   (apps/cli/build.mjs, into apps/cli/dist/). The image ships no TypeScript and no tsx, and
//   needs no writable /tmp (tsx compiles into one).
// A checkout installed without dev dependencies (no tsx) runs the compiled output when there is
// one (`npm run build -w @touchline/cli`, again after every update).
// In containers, run `node apps/cli/bin/touchline.js <command>` (npx does not forward SIGTERM).
import { existsSync } from 'node:fs';

const sources = new URL('../src/main.ts', import.meta.url);
const compiled = new URL('../dist/touchline.mjs', import.meta.url);

/** tsx's loader, when this install has it (a dev dependency). */
async function tsx() {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    if (err?.code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
}

const loader = existsSync(sources) ? await tsx() : undefined;
let entry;
if (loader) {
  loader.register();
  entry = sources;
} else if (existsSync(compiled)) {
  entry = compiled;
} else {
  process.stderr.write(
    'touchline: nothing to run. A checkout runs its TypeScript sources through tsx, a dev\n' +
      'dependency: run `npm ci` (with dev dependencies), or compile the command with\n' +
      '`npm run build -w @touchline/cli`.\n',
  );
  process.exit(69); // sysexits EX_UNAVAILABLE: a program it needs is not installed
}
const { main } = await import(entry.href);
await main(process.argv);
