import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@touchline/logger';
import type { McnError, RecordingAudio, RecordingSource } from '@touchline/mcn';
import {
  mcnRequestMetrics,
  recordingsMetrics,
  type RecordingOutcome,
  type Registry,
} from '@touchline/metrics';
import { DEFAULT_RETRY_DELAYS_MS, openWithRetry } from './open-with-retry.ts';
import { pumpRecording } from './pump.ts';
import { formatRange, parseRangeHeader, parseUnsatisfiedRange, type RangeSpec } from './range.ts';
import { parseRecordingName } from './recording-name.ts';
import { planResponse } from './response-plan.ts';
import { RECORDINGS_PATH, verifyRecordingSignature, type SigningKeys } from './signature.ts';
import { createStreamSlots } from './stream-slots.ts';

export interface RecordingRoutesOptions {
  /** MCN's recordings: the MCN client (`createMcnClient`) or anything with `openRecording`. */
  readonly source: RecordingSource;
  /** Every version here verifies (the parsed RECORDINGS_SIGNING_KEY). */
  readonly signingKeys: Pick<SigningKeys, 'keys'>;
  readonly registry: Registry;
  readonly logger: Logger;
  /** Concurrent streams; more are answered 503 (default 32). */
  readonly maxStreams?: number;
  /** Pauses between MCN attempts (default 500, 1,000, 1,500 ms: 4 attempts over ~3 s). */
  readonly retryDelaysMs?: readonly number[];
  /** A listener that takes nothing for this long is cut off, ms (default 30,000). */
  readonly idleTimeoutMs?: number;
  /** Longest stream, ms (default 15 minutes: a 2-hour call at 128 kbit/s is ~115 MB). */
  readonly maxStreamMs?: number;
  /** Retry-After of a 503 when every stream slot is taken, s (default 2). */
  readonly busyRetryAfterSeconds?: number;
  /** Retry-After of a 502 when MCN gave none, s (default 10; MCN's own, capped at 300). */
  readonly upstreamRetryAfterSeconds?: number;
  readonly now?: () => Date;
}

export interface RecordingRoutes {
  /** Streams holding a slot now (each at most one MCN connection). */
  streamsInUse(): number;
}

type RecordingRequest = FastifyRequest<{
  Params: { name: string };
  Querystring: Record<string, string | string[] | undefined>;
}>;

/**
 * `GET` and `HEAD /v1/recordings/<encoded callid>.mp3?sig=…` on `app`: the signature is checked
 * before anything else (403, and MCN never hears of it), then MCN's recording streams through
 * as `audio/mpeg` with `Range` (206 / 416), HEAD, 404 for a call MCN does not know, 502 +
 * Retry-After when MCN fails, 503 + Retry-After past `maxStreams`. The MCN token is the
 * source's business: it appears in no URL, log line or label here.
 */
export function registerRecordingRoutes(
  app: FastifyInstance,
  options: RecordingRoutesOptions,
): RecordingRoutes {
  const log = options.logger.child({ component: 'recordings' });
  const metrics = recordingsMetrics(options.registry);
  const mcnRequests = mcnRequestMetrics(options.registry).requests;
  const slots = createStreamSlots(options.maxStreams ?? 32);
  const delaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const idleMs = options.idleTimeoutMs ?? 30_000;
  const maxMs = options.maxStreamMs ?? 15 * 60_000;
  const busyRetryAfter = String(options.busyRetryAfterSeconds ?? 2);
  const upstreamRetryAfter = options.upstreamRetryAfterSeconds ?? 10;
  const now = options.now ?? (() => new Date());
  const count = (outcome: RecordingOutcome) => metrics.requests.inc({ outcome });

  async function serve(request: RecordingRequest, reply: FastifyReply): Promise<FastifyReply> {
    const callid = parseRecordingName(request.params.name);
    const check =
      callid === undefined
        ? ({ ok: false, problem: 'malformed' } as const)
        : verifyRecordingSignature(callid, request.query, options.signingKeys, now());
    if (!check.ok || callid === undefined) {
      count('forbidden');
      log.debug({ problem: check.ok ? 'malformed' : check.problem }, 'recording refused');
      return reply.code(403).header('cache-control', 'no-store').send({ error: 'forbidden' });
    }
    const release = slots.tryAcquire();
    if (!release) {
      count('busy');
      return reply.code(503).header('retry-after', busyRetryAfter).send({ error: 'busy' });
    }
    metrics.active.inc();
    // Aborts MCN attempts and retry pauses when the listener leaves while we are still asking
    // MCN. Once the audio flows, the pump owns the end of the stream (and names its cause).
    const opening = { controller: new AbortController(), done: false };
    // 'close' comes once per response: after the last byte, or when the listener is gone.
    reply.raw.once('close', () => {
      release();
      metrics.active.dec();
      if (!reply.raw.writableFinished && !opening.done) opening.controller.abort();
    });
    return answer(request, reply, callid, opening);
  }

  async function answer(
    request: RecordingRequest,
    reply: FastifyReply,
    callid: string,
    opening: { controller: AbortController; done: boolean },
  ): Promise<FastifyReply> {
    const { signal } = opening.controller;
    const head = request.method === 'HEAD';
    const spec = parseRangeHeader(request.headers.range);
    const probe = head && spec === undefined;
    let upstream;
    try {
      upstream = await openWithRetry(options.source, callid, {
        range: probe ? 'bytes=0-0' : spec && formatRange(spec),
        signal,
        delaysMs,
        onAttempt: (outcome) => mcnRequests.inc({ kind: 'record', outcome }),
      });
      opening.done = true;
    } catch (err) {
      if (signal.aborted) {
        metrics.interrupted.inc({ cause: 'client_closed' });
        return reply.code(499).send();
      }
      return failed(reply, callid, err as McnError);
    }
    if (upstream.kind === 'range_not_satisfiable') {
      const size = parseUnsatisfiedRange(upstream.contentRange);
      // The probe's `bytes=0-0` is unsatisfiable only for an empty file.
      if (probe)
        return served(
          audio(reply)
            .code(200)
            .header('content-length', String(size ?? 0)),
        );
      return unsatisfiable(reply, size);
    }
    return stream(reply, upstream, spec, probe, head);
  }

  function audio(reply: FastifyReply): FastifyReply {
    return reply
      .header('content-type', 'audio/mpeg')
      .header('accept-ranges', 'bytes')
      .header('cache-control', 'private, max-age=3600')
      .header('x-content-type-options', 'nosniff');
  }

  function stream(
    reply: FastifyReply,
    upstream: RecordingAudio,
    spec: RangeSpec | undefined,
    probe: boolean,
    head: boolean,
  ): FastifyReply {
    const plan = planResponse(upstream, spec, probe);
    if (plan.kind !== 'send' || head) upstream.body.destroy();
    if (plan.kind === 'unsatisfiable') return unsatisfiable(reply, plan.size);
    if (plan.kind === 'bad_upstream') {
      count('upstream_error');
      log.warn({ reason: plan.reason }, 'recording: unusable answer from MCN');
      return reply
        .code(502)
        .header('retry-after', String(upstreamRetryAfter))
        .send({ error: 'upstream' });
    }
    audio(reply).code(plan.status);
    if (plan.contentLength !== undefined)
      reply.header('content-length', String(plan.contentLength));
    if (plan.contentRange) reply.header('content-range', plan.contentRange);
    if (head) return served(reply);
    const body = pumpRecording({
      upstream: upstream.body,
      window: plan.window,
      expectedBytes: plan.contentLength,
      idleMs,
      maxMs,
      onBytes: (bytes) => metrics.bytes.inc(bytes),
      onEnd: (interruption) => {
        if (interruption) metrics.interrupted.inc({ cause: interruption });
      },
    });
    count('served');
    return reply.send(body);
  }

  function served(reply: FastifyReply): FastifyReply {
    count('served');
    return reply.send();
  }

  function unsatisfiable(reply: FastifyReply, size: number | undefined): FastifyReply {
    count('range_not_satisfiable');
    reply.header('accept-ranges', 'bytes');
    if (size !== undefined) reply.header('content-range', `bytes */${size}`);
    return reply.code(416).send();
  }

  function failed(reply: FastifyReply, callid: string, error: McnError): FastifyReply {
    if (error.code === 'NOT_FOUND') {
      count('not_found');
      return reply.code(404).send({ error: 'not found' });
    }
    count('upstream_error');
    // The message names the call and MCN's answer; McnErrors never carry the token.
    log.warn({ callid, code: error.code, status: error.status }, error.message);
    const hinted =
      error.retryAfterMs === undefined ? undefined : Math.ceil(error.retryAfterMs / 1000);
    const retryAfter = Math.min(300, Math.max(1, hinted ?? upstreamRetryAfter));
    return reply.code(502).header('retry-after', String(retryAfter)).send({ error: 'upstream' });
  }

  // HEAD declared with GET: Fastify's implicit HEAD would run the GET and drain the stream.
  app.route({
    method: ['GET', 'HEAD'],
    url: `${RECORDINGS_PATH}:name`,
    handler: (request: RecordingRequest, reply) => serve(request, reply),
  });

  return { streamsInUse: () => slots.inUse() };
}
