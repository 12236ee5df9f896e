import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './run-cli.ts';

/**
 * What bin/touchline.js runs (issue 16, item 8): a checkout its TypeScript sources through tsx,
 * so that an edit is never shadowed by an old build; the image (no sources) the compiled
 * JavaScript; a checkout without tsx its compiled output, or a message. Each case is a copy of
 * the real bin in a scratch apps/cli/ whose sources and build are stand-ins that say which ran.
 */
const REPO_NODE_MODULES = fileURLToPath(new URL('../../../node_modules', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'touchline-entry-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let n = 0;
function layout(options: { sources: boolean; compiled: boolean; tsx: boolean }): string {
  const root = join(scratch, String((n += 1)));
  const cli = join(root, 'apps/cli');
  mkdirSync(join(cli, 'bin'), { recursive: true });
  copyFileSync(CLI, join(cli, 'bin/touchline.js'));
  writeFileSync(join(cli, 'package.json'), JSON.stringify({ type: 'module' }));
  const stand_in = (what: string) =>
    `export async function main(argv: string[]): Promise<void> {\n  process.stdout.write('${what} ' + argv.slice(2).join(' '));\n}\n`;
  if (options.sources) {
    mkdirSync(join(cli, 'src'));
    // TypeScript only tsx can run on Node 20: a type annotation.
    writeFileSync(join(cli, 'src/main.ts'), stand_in('sources'));
  }
  if (options.compiled) {
    mkdirSync(join(cli, 'dist'));
    writeFileSync(
      join(cli, 'dist/touchline.mjs'),
      stand_in('compiled').replace(': string[]', '').replace(': Promise<void>', ''),
    );
  }
  if (options.tsx) symlinkSync(REPO_NODE_MODULES, join(root, 'node_modules'));
  else mkdirSync(join(root, 'node_modules'));
  return join(cli, 'bin/touchline.js');
}

const run = (bin: string) =>
  spawnSync(process.execPath, [bin, 'status', '--json'], { encoding: 'utf8', cwd: scratch });

describe('bin/touchline.js', () => {
  it('a checkout runs its sources, even beside a (stale) build', () => {
    const result = run(layout({ sources: true, compiled: true, tsx: true }));
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('sources status --json');
  });

  it('the image (no sources, no tsx) runs the compiled command', () => {
    const result = run(layout({ sources: false, compiled: true, tsx: false }));
    expect(result.stdout).toBe('compiled status --json');
  });

  it('a checkout installed without dev dependencies runs its build', () => {
    const result = run(layout({ sources: true, compiled: true, tsx: false }));
    expect(result.stdout).toBe('compiled status --json');
  });

  it('with neither tsx nor a build it says what to do, exit 69', () => {
    const result = run(layout({ sources: true, compiled: false, tsx: false }));
    expect(result.status).toBe(69);
    expect(result.stderr).toMatch(
      /run `npm ci` \(with dev dependencies\), or compile .*npm run build/s,
    );
  });
});
