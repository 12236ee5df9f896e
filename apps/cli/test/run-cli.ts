import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../bin/touchline.js', import.meta.url));

/** A working directory with no `.env`: the commands see only the environment a test gives. */
export const EMPTY_DIR = mkdtempSync(join(tmpdir(), 'touchline-cli-test-'));

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs the real `touchline` (apps/cli/bin/touchline.js) in a child process with only PATH,
 * HOME and `env` in its environment, and resolves when it exits.
 */
export function runCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { timeoutMs?: number } = {},
): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: EMPTY_DIR,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `touchline ${args.join(' ')} still running after ${options.timeoutMs ?? 30_000} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A stack frame as Node prints one. */
export const STACK_FRAME = /^\s+at .+/m;
