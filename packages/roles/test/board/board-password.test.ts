import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CLI, ROOT, TEST_REDIS_URL, freePort, useTestRedis } from '@touchline/testing';

const db = useTestRedis('board-pw');

/** Runs `touchline board` to its exit; resolves with the exit code and stderr. */
async function runBoard(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, 'board'], {
    cwd: ROOT,
    env: {
      ...process.env,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: db.newPrefix(),
      LOG_LEVEL: 'error',
      BOARD_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  // A board that starts instead of refusing would run forever: stopped here, it fails the test.
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { code, stderr };
}

/**
 * Off loopback, a weak board password is a configuration error (sysexits 78, one message),
 * before anything listens (issue 12 item 15): `change-me` is what infra/k8s/base/secret.example.yaml
 * ships, and anything shorter than 12 characters falls to a guess.
 */
describe('touchline board refuses a weak password off loopback', () => {
  it.each([
    ['the example password', 'change-me'],
    ['a password of 11 characters', 'abcdef12345'],
  ])('%s: exit 78 naming BOARD_PASSWORD, without echoing it', async (_what, password) => {
    const { code, stderr } = await runBoard({
      BOARD_HOST: '0.0.0.0',
      BOARD_USERNAME: 'ops',
      BOARD_PASSWORD: password,
    });
    expect(code).toBe(78);
    expect(stderr).toMatch(/BOARD_PASSWORD: .*at least 12 characters/);
    if (password !== 'change-me') expect(stderr).not.toContain(password);
  });
});
