import got, { type Response } from 'got';
import { setTimeout as sleep } from 'node:timers/promises';
import { RETRIED_GET_CODES, errorCode, limitAnswer } from '@touchline/http';
import { McnError } from './errors.ts';
import {
  callLogPageSchema,
  describeIssues,
  parseCallLogItems,
  type InvalidMcnRecord,
  type McnCall,
} from './call-schema.ts';
import {
  createRecordingSource,
  type RecordingSource,
  type RecordingTimeouts,
} from './recording.ts';
import { errorFromStatus, errorFromTransport, type FailedRequest } from './to-mcn-error.ts';

/** The MCN API's largest page (`limit`). */
export const MCN_MAX_PAGE_SIZE = 1000;
const DEFAULT_TIMEOUT_MS = 15_000;
/** A range of one year at full pages is ~30k pages; anything past this is a server looping. */
const MAX_PAGES = 100_000;

export interface McnClientOptions {
  /** Base URL, e.g. `https://api.mcn.ru/v2/rest` (a trailing slash is fine). */
  apiUrl: string;
  token: string;
  accountId: string;
  vpbxId: string;
  /** Whole-request timeout of one page, in ms (default 15 000). */
  timeoutMs?: number;
  /** Calls asked per page, at most 1000 (default 1000). */
  pageSize?: number;
  /** Largest page read into memory, bytes (default 32 MiB: 1,000 calls are about 1 MiB). */
  maxAnswerBytes?: number;
  /** Timeouts of `openRecording` (see `src/recording.ts`). */
  recordingTimeouts?: RecordingTimeouts;
}

export interface CallLogResult {
  /** Every call of the range that parsed, each `callid` once, in the API's order. */
  calls: McnCall[];
  /** Records the schema refused, whole, with the reason. */
  invalid: InvalidMcnRecord[];
  /** Pages requested. */
  pages: number;
}

export interface McnClient extends RecordingSource {
  /**
   * All calls with `date` in dateFrom..dateTo (YYYY-MM-DD, inclusive, MCN's zone), paging with
   * limit/offset until a page is shorter than asked. Throws {@link McnError} when a page fails:
   * a range is read whole or not at all, so a checkpoint never skips a failed page.
   */
  fetchCallLog(dateFrom: string, dateTo: string): Promise<CallLogResult>;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Creates an MCN API client. No request is made until a method is called. */
export function createMcnClient(options: McnClientOptions): McnClient {
  const pageSize = options.pageSize ?? MCN_MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MCN_MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer 1..${MCN_MAX_PAGE_SIZE}, got ${pageSize}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxAnswerBytes = options.maxAnswerBytes ?? 32 * 1024 * 1024;
  const token = options.token;
  const redact = (text: string) => (token ? text.split(token).join('[REDACTED]') : text);
  const base = options.apiUrl.replace(/\/+$/, '');
  const url = `${base}/account/${encodeURIComponent(options.accountId)}/vpbx/${encodeURIComponent(options.vpbxId)}/call_log`;

  const http = got.extend({
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    timeout: { request: timeoutMs },
    throwHttpErrors: false,
    responseType: 'text',
    // A redirect would carry the Bearer token wherever it points (even https → http): a 3xx is
    // an answer like any other, and fails the page.
    followRedirect: false,
    retry: { limit: 0 },
  });

  /**
   * One page. Only a transport failure of this idempotent GET — a reset or refused connection —
   * is worth two quick retries, here (got's own retry lets some escape on Node 24: got#2469).
   * HTTP statuses and timeouts go back to the poller, which owns the schedule, so one slow API
   * does not multiply into three timeouts per page.
   */
  async function fetchPage(request: FailedRequest, searchParams: Record<string, string | number>) {
    let response: Response<string>;
    for (let attempt = 1; ; attempt++) {
      try {
        response = await limitAnswer(http.get(url, { searchParams }), maxAnswerBytes);
        break;
      } catch (err) {
        const code = errorCode(err);
        if (attempt >= 3 || code === undefined || !RETRIED_GET_CODES.includes(code))
          throw errorFromTransport(err, request);
        await sleep(Math.min(250 * 2 ** (attempt - 1), 1000));
      }
    }
    if (response.statusCode < 200 || response.statusCode > 299) {
      throw errorFromStatus(response.statusCode, response.headers, response.body, request);
    }
    let json: unknown;
    try {
      json = JSON.parse(response.body);
    } catch {
      throw badResponse(request, `body is not JSON (${response.body.length} bytes)`);
    }
    const page = callLogPageSchema.safeParse(json);
    if (!page.success) throw badResponse(request, `unexpected body: ${describeIssues(page.error)}`);
    return page.data.items;
  }

  const recordings = createRecordingSource({
    callLogUrl: url,
    token,
    redact,
    timeouts: options.recordingTimeouts,
  });

  return {
    openRecording: (callid, opts) => recordings.openRecording(callid, opts),
    async fetchCallLog(dateFrom, dateTo) {
      if (!DAY_RE.test(dateFrom) || !DAY_RE.test(dateTo)) {
        throw new RangeError(`dates must be YYYY-MM-DD, got ${dateFrom}..${dateTo}`);
      }
      const calls: McnCall[] = [];
      const invalid: InvalidMcnRecord[] = [];
      const seen = new Set<string>();
      let offset = 0;
      let pages = 0;
      for (;;) {
        const request: FailedRequest = {
          what: `call_log ${dateFrom}..${dateTo} offset ${offset}`,
          redact,
        };
        if (pages >= MAX_PAGES) throw badResponse(request, `more than ${MAX_PAGES} pages`);
        const items = await fetchPage(request, {
          date_from: dateFrom,
          date_to: dateTo,
          limit: pageSize,
          offset,
        });
        pages += 1;
        const parsed = parseCallLogItems(items);
        invalid.push(...parsed.invalid);
        let fresh = 0;
        for (const call of parsed.calls) {
          // Calls logged while we page can shift an offset window by a few rows; a callid seen
          // on the previous page is the same call, not a new one.
          if (seen.has(call.callid)) continue;
          seen.add(call.callid);
          calls.push(call);
          fresh += 1;
        }
        if (items.length < pageSize) break;
        if (fresh === 0 && parsed.calls.length > 0) {
          throw badResponse(request, 'a full page repeated calls already read (offset ignored?)');
        }
        offset += items.length;
      }
      return { calls, invalid, pages };
    },
  };
}

function badResponse(request: FailedRequest, detail: string): McnError {
  // Retryable: in practice this is a proxy's HTML error page or a truncated body, which the
  // next poll usually does not see again. A changed API keeps failing and alerts on lag.
  return new McnError(`MCN ${request.what}: ${request.redact(detail)}`, {
    code: 'BAD_RESPONSE',
    failure: { kind: 'unavailable', status: 200 },
  });
}
