import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactText } from '@touchline/logger';
import { ONE_SHOT, connectRedis } from '@touchline/redis';

export interface DemoRedis {
  readonly url: string;
  /** True when the demo started this Redis (and will stop it). */
  readonly private: boolean;
  stop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = connectRedis(url, { ...ONE_SHOT, maxRetriesPerRequest: 0, connectTimeout: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export class NoRedisError extends Error {
  override readonly name = 'NoRedisError';
}

/**
 * Use REDIS_URL when that Redis answers; otherwise start a private `redis-server`
 * from PATH on a free port (nothing kept on disk), and where there is none, say how to get one.
 */
export async function provideRedis(url: string): Promise<DemoRedis> {
  if (await answers(url)) return { url, private: false, stop: async () => {} };
  const which = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (which.error || which.status !== 0) {
    throw new NoRedisError(
      `No Redis answers on ${redactText(url)} and there is no redis-server on the PATH.\n` +
        'Install Redis 7, then run the demo again:\n' +
        '  Debian/Ubuntu:  sudo apt-get install redis-server\n' +
        '  macOS:          brew install redis\n' +
        '  Docker:         docker run -d -p 6379:6379 redis:7\n' +
        'or point REDIS_URL at a running Redis.',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'touchline-demo-redis-'));
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--maxmemory-policy',
      'noeviction',
    ],
    // Its own process group: a Ctrl-C in the terminal reaches the demo alone, which stops Redis
    // last, after the roles have drained; if the demo dies, Redis goes with it.
    { stdio: 'ignore', detached: true },
  );
  process.once('exit', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const privateUrl = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await answers(privateUrl)); i++)
    await new Promise((r) => setTimeout(r, 50));
  return {
    url: privateUrl,
    private: true,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
