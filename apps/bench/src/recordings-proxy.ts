/**
 * The recordings proxy alone in a process, for `npm run bench -- recordings`: a Fastify app
 * with `registerRecordingRoutes` and the real MCN client, as the public HTTP role will mount
 * them, so the process's RSS is the proxy's own. Settings come from the environment the bench
 * sets; it prints `{"port": n}` on stdout once listening and exits on SIGTERM.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { createLogger } from '@touchline/logger';
import { createMcnClient } from '@touchline/mcn';
import { createRegistry } from '@touchline/metrics';
import { registerRecordingRoutes } from '@touchline/recordings';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const token = env('BENCH_MCN_TOKEN');
const logger = createLogger({ level: 'warn', name: 'recordings-bench', secrets: [token] });
const app = Fastify({ logger: false, forceCloseConnections: true });
registerRecordingRoutes(app, {
  source: createMcnClient({
    apiUrl: env('BENCH_MCN_URL'),
    token,
    accountId: env('BENCH_MCN_ACCOUNT'),
    vpbxId: env('BENCH_MCN_VPBX'),
  }),
  signingKeys: { keys: new Map([['v1', env('BENCH_SIGNING_KEY')]]) },
  maxStreams: Number(env('BENCH_MAX_STREAMS')),
  registry: createRegistry({ role: 'recordings-bench' }),
  logger,
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as AddressInfo).port })}\n`);
process.once('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
