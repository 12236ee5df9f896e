import { createHash } from 'node:crypto';

/** What the stand-in's "player" got when it fetched one call's recordUrl. */
export interface RecordingFetch {
  url: string;
  /** HTTP status, absent when the request failed (refused, timed out, cut). */
  status?: number;
  contentType?: string;
  /** Bytes read (a body larger than the cap is read up to the cap). */
  bytes: number;
  /** SHA-256 of the bytes read, hex: a test compares it with MCN's file. */
  sha256?: string;
  error?: string;
  at: string;
  durationMs: number;
}

export interface PlayerStats {
  /** Calls whose recordUrl was queued for a fetch. */
  queued: number;
  /** Fetches finished, by HTTP status (`error` when there was none). */
  byStatus: Record<string, number>;
  bytes: number;
  inFlight: number;
  /** Links not fetched because the queue was full. */
  dropped: number;
}

export interface PlayerOptions {
  concurrency: number;
  timeoutMs: number;
  /** Most bytes read per recording (a player does not download forever). */
  maxBytes?: number;
  /** Most links waiting; more are dropped and counted. */
  maxQueue?: number;
}

/**
 * Plays recordings as Calltouch's cabinet would when someone presses play: a GET of the
 * recordUrl, the body read to the end. Off unless the stand-in is asked (`fetchRecordings`),
 * a few at a time, each bounded in time and size; results are kept per referenceId.
 */
export function createPlayer(options: PlayerOptions) {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const maxQueue = options.maxQueue ?? 10_000;
  const queue: { referenceId: string; url: string }[] = [];
  const results = new Map<string, RecordingFetch>();
  const played = new Set<string>();
  const closing = new AbortController();
  let stats: PlayerStats = fresh();
  let running = 0;

  function fresh(): PlayerStats {
    return { queued: 0, byStatus: {}, bytes: 0, inFlight: 0, dropped: 0 };
  }

  async function fetchOne(url: string): Promise<Omit<RecordingFetch, 'at' | 'durationMs' | 'url'>> {
    const signal = AbortSignal.any([closing.signal, AbortSignal.timeout(options.timeoutMs)]);
    const hash = createHash('sha256');
    let bytes = 0;
    let status: number | undefined;
    let contentType: string | undefined;
    try {
      const res = await fetch(url, { signal, redirect: 'manual' });
      status = res.status;
      contentType = res.headers.get('content-type') ?? undefined;
      if (res.body) {
        for await (const chunk of res.body) {
          const part = Buffer.from(chunk as Uint8Array);
          hash.update(part);
          bytes += part.length;
          if (bytes >= maxBytes) break;
        }
      }
      return {
        status,
        ...(contentType ? { contentType } : {}),
        bytes,
        sha256: hash.digest('hex'),
      };
    } catch (err) {
      return {
        ...(status === undefined ? {} : { status }),
        bytes,
        error: err instanceof Error ? err.message : String(err),
      };
    }
  }

  function pump(): void {
    while (running < options.concurrency && queue.length > 0 && !closing.signal.aborted) {
      const next = queue.shift();
      if (!next) return;
      running += 1;
      stats.inFlight = running;
      const started = Date.now();
      const generation = stats;
      void fetchOne(next.url).then((result) => {
        running -= 1;
        // A reset while this fetch ran started a new count: do not mix the two.
        if (generation === stats) {
          stats.inFlight = running;
          const key = result.error ? 'error' : String(result.status);
          stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
          stats.bytes += result.bytes;
          results.set(next.referenceId, {
            url: next.url,
            ...result,
            at: new Date(started).toISOString(),
            durationMs: Date.now() - started,
          });
        }
        pump();
      });
    }
  }

  return {
    /** Queues a fetch of `url` for the call `referenceId`, once per call (a re-import is not a play). */
    play(referenceId: string, url: string): void {
      if (closing.signal.aborted || played.has(referenceId)) return;
      played.add(referenceId);
      if (queue.length >= maxQueue) {
        stats.dropped += 1;
        return;
      }
      stats.queued += 1;
      queue.push({ referenceId, url });
      pump();
    },
    stats: (): PlayerStats => ({ ...stats, byStatus: { ...stats.byStatus }, inFlight: running }),
    results: (): Record<string, RecordingFetch> => structuredClone(Object.fromEntries(results)),
    reset(): void {
      queue.length = 0;
      results.clear();
      played.clear();
      stats = fresh();
    },
    close(): void {
      queue.length = 0;
      closing.abort();
    },
  };
}
