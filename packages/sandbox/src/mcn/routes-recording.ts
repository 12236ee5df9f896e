import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mp3Stream } from './mp3.ts';

/** What one call's recording is at this moment. */
export type RecordingState =
  { state: 'ready'; seed: number; size: number } | { state: 'not_ready' } | { state: 'missing' };

export type RecordingOutcome =
  | 'ok'
  | 'partial'
  | 'notReady'
  | 'notFound'
  | 'rangeNotSatisfiable'
  | 'unauthorized'
  | 'badRequest'
  | 'unavailable'
  | 'held';

/** What the recording route needs from the stand-in. */
export interface RecordingOperations {
  readonly token: string;
  readonly accountId: string;
  readonly vpbxId: string;
  /** Honour Range (true) or answer 200 with the whole file, as some servers do. */
  readonly ranges: boolean;
  down(): boolean | 'timeout';
  hold(reply: FastifyReply): void;
  recording(callid: string): RecordingState;
  count(outcome: RecordingOutcome): void;
  /** A body started (+1) or its response closed (-1), with its bytes when it was sent whole. */
  stream(delta: 1 | -1, bytes?: number): void;
}

const error = (reply: FastifyReply, code: number, description: string) =>
  reply.code(code).send({ errors: { code, description } });

/**
 * One `Range` header read as MCN's web server would: a single `bytes=` range, resolved against
 * the size. Anything else (no header, several ranges, another unit, nonsense) is ignored and
 * the whole file is sent, which RFC 9110 allows.
 */
export function resolveByteRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') {
    const suffix = Number(to);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (to !== '' && Number(to) < start) return undefined;
  return start >= size ? 'unsatisfiable' : { start, end };
}

/**
 * `GET /v2/rest/account/{account_id}/vpbx/{vpbx_id}/call_log/record?call_id=…`: the call's
 * audio (`audio/mpeg`), Bearer auth like the call log, outages like the call log, `Range`
 * honoured (206 / 416) unless switched off. A call without a recording, an unknown call, and a
 * recording not written yet all answer 404, as a file server does.
 */
export function registerRecordingRoute(app: FastifyInstance, ops: RecordingOperations): void {
  // HEAD declared with GET: Fastify's implicit HEAD route would answer Content-Length 0.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/v2/rest/account/:accountId/vpbx/:vpbxId/call_log/record',
    handler: async (
      request: FastifyRequest<{
        Params: { accountId: string; vpbxId: string };
        Querystring: Record<string, string | string[] | undefined>;
      }>,
      reply: FastifyReply,
    ) => {
      const down = ops.down();
      if (down === 'timeout') {
        ops.count('held');
        ops.hold(reply);
        return reply;
      }
      if (down) {
        ops.count('unavailable');
        return reply
          .header('retry-after', '5')
          .code(503)
          .send({
            errors: { code: 503, description: 'Service Unavailable' },
          });
      }
      const [scheme, credential] = (request.headers.authorization ?? '').split(/\s+/, 2);
      if (scheme?.toLowerCase() !== 'bearer' || credential !== ops.token) {
        ops.count('unauthorized');
        return error(reply, 401, 'Unauthorized');
      }
      if (request.params.accountId !== ops.accountId || request.params.vpbxId !== ops.vpbxId) {
        ops.count('notFound');
        return error(reply, 404, 'Account or VPBX not found');
      }
      const callid = request.query['call_id'];
      if (typeof callid !== 'string' || callid === '') {
        ops.count('badRequest');
        return error(reply, 400, 'call_id: required, once');
      }
      const recording = ops.recording(callid);
      if (recording.state === 'not_ready') {
        ops.count('notReady');
        return error(reply, 404, 'Record not found');
      }
      if (recording.state === 'missing') {
        ops.count('notFound');
        return error(reply, 404, 'Record not found');
      }
      const { seed, size } = recording;
      const range = ops.ranges ? resolveByteRange(request.headers.range, size) : undefined;
      if (range === 'unsatisfiable') {
        ops.count('rangeNotSatisfiable');
        return reply.code(416).header('content-range', `bytes */${size}`).send();
      }
      const { start, end } = range ?? { start: 0, end: size - 1 };
      ops.count(range ? 'partial' : 'ok');
      reply
        .code(range ? 206 : 200)
        .header('content-type', 'audio/mpeg')
        .header('content-length', String(end - start + 1));
      if (ops.ranges) reply.header('accept-ranges', 'bytes');
      if (range) reply.header('content-range', `bytes ${start}-${end}/${size}`);
      if (request.method === 'HEAD') return reply.send();
      let bytes = 0;
      ops.stream(1);
      reply.raw.once('finish', () => (bytes = end - start + 1));
      reply.raw.once('close', () => ops.stream(-1, bytes));
      return reply.send(mp3Stream(seed, size, start, end));
    },
  });
}
