/**
 * What `REDIS_URL` points at: one Redis (`redis://`, `rediss://`), or a master found through
 * Sentinel (`redis+sentinel://`). Pure parsing, so that validation at start-up and the client
 * that connects read the URL the same way.
 *
 * Sentinel form: `redis+sentinel://[[user]:password@]host[:port][,host[:port]…]/<master name>[/db]`
 * with `?sentinelPassword=…` (and `sentinelUsername`) when the Sentinels themselves require auth.
 * The user and password are the master's; a Sentinel port defaults to 26379.
 */
export type RedisTarget =
  | { readonly kind: 'direct'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly { readonly host: string; readonly port: number }[];
      readonly name: string;
      readonly username?: string;
      readonly password?: string;
      readonly db?: number;
      readonly sentinelUsername?: string;
      readonly sentinelPassword?: string;
    };

const SENTINEL_RE =
  /^redis\+sentinel:\/\/(?:(?<user>[^:@/]*)(?::(?<password>[^@/]*))?@)?(?<hosts>[^/?#]+)\/(?<name>[^/?#]+)(?:\/(?<db>[^/?#]*))?\/?(?:\?(?<query>[^#]*))?$/;
const SENTINEL_QUERY = new Set(['sentinelUsername', 'sentinelPassword']);

const decode = (value: string | undefined) =>
  value === undefined || value === '' ? undefined : decodeURIComponent(value);

/** Parses `REDIS_URL`; throws an Error whose message says what is wrong (never the password). */
export function parseRedisUrl(value: string): RedisTarget {
  if (!value.startsWith('redis+sentinel://')) {
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      throw new Error('expected a URL (redis://, rediss:// or redis+sentinel://...)');
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:')
      throw new Error(`expected redis://, rediss:// or redis+sentinel://, not ${protocol}//`);
    return { kind: 'direct', url: value };
  }
  const match = SENTINEL_RE.exec(value);
  const groups = match?.groups;
  if (!groups?.['hosts'] || !groups['name'])
    throw new Error(
      'expected redis+sentinel://[:password@]host:26379[,host:26379…]/<master name>[/db]',
    );
  const sentinels = groups['hosts'].split(',').map((entry) => {
    const hostPort = /^(?<host>\[[^\]]+\]|[^:[\]]+)(?::(?<port>\d+))?$/.exec(entry.trim());
    const host = hostPort?.groups?.['host'];
    const port = Number(hostPort?.groups?.['port'] ?? 26379);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535)
      throw new Error(`a Sentinel address must be host or host:port, not "${entry}"`);
    return { host: host.replace(/^\[|\]$/g, ''), port };
  });
  const dbText = groups['db'];
  if (dbText && !/^\d+$/.test(dbText))
    throw new Error(`the database must be a number, not "${dbText}"`);
  const db = dbText ? Number(dbText) : undefined;
  const query = new URLSearchParams(groups['query'] ?? '');
  for (const key of query.keys())
    if (!SENTINEL_QUERY.has(key))
      throw new Error(`unknown option "${key}" (known: ${[...SENTINEL_QUERY].join(', ')})`);
  return {
    kind: 'sentinel',
    sentinels,
    name: decodeURIComponent(groups['name']),
    ...defined({
      username: decode(groups['user']),
      password: decode(groups['password']),
      db,
      sentinelUsername: query.get('sentinelUsername') ?? undefined,
      sentinelPassword: query.get('sentinelPassword') ?? undefined,
    }),
  };
}

/** The entries of `o` that are not undefined (for exact optional properties). */
function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
