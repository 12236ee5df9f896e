import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/stop-during-start.ts', import.meta.url));

/**
 * SIGTERM while the components are still starting (a role stopped while Redis is connecting, or
 * right after its launch): nothing starts after it, the component starting closes once its start
 * is done, every component started closes, and the process ends by itself with 0. It used to
 * start the rest and leave them open, ending only through "handles still open after stop".
 */
describe('a stop during the start', () => {
  it('starts nothing more, closes what started (the one starting included) and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const messages = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(code).toBe(0);
    expect(messages).toEqual([
      'first starting',
      'first started',
      'slow starting',
      'fixture shutting down',
      'slow started',
      'slow closed',
      'first closed',
      'fixture stopped',
    ]);
  }, 20_000);
});
