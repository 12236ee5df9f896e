import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/unhandled-rejection.ts', import.meta.url));

describe('an unhandled rejection', () => {
  it('is logged, closes every component and ends the process with status 70, even with a handle left open', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // A process that does not end (the defect this test is about) does not outlive the test.
    onTestFinished(() => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    const lines = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; err?: { message?: string } });
    const messages = lines.map((l) => l.msg);
    expect(code).toBe(70);
    const logged = lines.find((l) => l.msg === 'unhandled rejection: stopping');
    expect(logged?.err?.message).toBe('a rejection nobody awaited');
    // Closed in reverse order of starting, then the process says it stopped; the fixture's own
    // interval is still open, so it says so and exits.
    expect(messages.slice(messages.indexOf('unhandled rejection: stopping'))).toEqual([
      'unhandled rejection: stopping',
      'fixture shutting down',
      'buggy closed',
      'careful closed',
      'fixture stopped',
      'fixture: handles still open after stop; exiting',
    ]);
  }, 20_000);
});
