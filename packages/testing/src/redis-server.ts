import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { waitFor } from './wait-for.ts';

/** A free TCP port on loopback, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits until something on loopback `port` answers PING (a starting Redis or Sentinel). */
async function waitUntilAnswers(port: number, what: string): Promise<void> {
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await waitFor(
      async () => {
        if (probe.status !== 'ready') {
          probe.disconnect();
          await probe.connect().catch(() => undefined);
        }
        return (await probe.ping().catch(() => '')) === 'PONG';
      },
      { timeoutMs: 10_000, intervalMs: 50, message: what },
    );
  } finally {
    probe.disconnect();
  }
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** SIGKILLs the server (as a crash would) and waits for it to exit. Data on disk stays. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory (AOF is replayed if enabled). */
  restart(): Promise<void>;
  /** Stops it and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts a private `redis-server` on a free port, for tests that restart, kill or reconfigure
 * Redis. `args` are extra server options, e.g. `['--appendonly', 'yes']`.
 */
export async function startRedisServer(args: string[] = []): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'touchline-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;

  const launch = async () => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...args],
      { stdio: 'ignore' },
    );
    await waitUntilAnswers(port, `redis-server on port ${port}`);
  };
  const kill = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  };

  await launch();
  return {
    url,
    port,
    dir,
    kill,
    restart: launch,
    stop: async () => {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisSentinel {
  /** The Sentinel's own port (what `redis+sentinel://` URLs name). */
  readonly port: number;
  /** `redis+sentinel://127.0.0.1:<port>/<name>` */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts one `redis-server --sentinel` on a free port that monitors the master on
 * `masterPort` as `name`, with a quorum of one and short timeouts, for failover tests.
 */
export async function startRedisSentinel(
  masterPort: number,
  name = 'touchline-master',
): Promise<RedisSentinel> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'touchline-sentinel-'));
  const configFile = join(dir, 'sentinel.conf');
  await writeFile(
    configFile,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1`,
      `sentinel down-after-milliseconds ${name} 1000`,
      `sentinel failover-timeout ${name} 5000`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [configFile, '--sentinel'], { stdio: 'ignore' });
  await waitUntilAnswers(port, `redis sentinel on port ${port}`);
  return {
    port,
    url: `redis+sentinel://127.0.0.1:${port}/${name}`,
    stop: async () => {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
