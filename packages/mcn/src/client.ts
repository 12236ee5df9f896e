import got, { type Response } from 'got';
import { setTimeout as sleep } from 'node:timers/promises';
import { RETRIED_GET_CODES, errorCode, limitAnswer } from '@touchline/http';
import { McnError, mcnRequestOutcome } from './errors.ts';
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

/** What {@link McnClient.readDay} read of one day: from `offset` to the end of the log. */
export interface CallLogSlice extends CallLogResult {
  /** Where the read started. */
  readonly offset: number;
  /** Rows of the day's log at the time of the read: the offset after its last row. */
  readonly end: number;
  /** The first row of each page read, by offset: where a later tail read may start. */
  readonly pageStarts: readonly { readonly offset: number; readonly date: string | undefined }[];
  /** The row of each call of `calls` (same order): where it stood in the day's log. */
  readonly rows: readonly number[];
}

export interface ReadDayOptions {
  /** The first row to read (0: the whole day). */
  readonly offset?: number;
  /** Rows the day had at the last read: the pages up to there are fetched concurrently. */
  readonly expectedEnd?: number;
  /** Pages in flight at once (default 3). */
  readonly concurrency?: number;
  /** Each page's outcome (`ok` or the error code, lower case), for request metrics. */
  readonly onPage?: (outcome: string) => void;
}

export interface McnClient extends RecordingSource {
  /**
   * All calls with `date` in dateFrom..dateTo (YYYY-MM-DD, inclusive, MCN's zone), paging with
   * limit/offset until a page is shorter than asked. Throws {@link McnError} when a page fails:
   * a range is read whole or not at all, so a checkpoint never skips a failed page.
   */
  fetchCallLog(dateFrom: string, dateTo: string): Promise<CallLogResult>;
  /**
   * One day of the call log from `offset` to its end — the tail of today, or the whole day —
   * the known pages concurrently within a small bound, then page by page until a page comes
   * back shorter than asked. Read whole or not at all (throws {@link McnError}).
   */
  readDay(day: string, options?: ReadDayOptions): Promise<CallLogSlice>;
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

  const observed = async (
    what: FailedRequest,
    query: Record<string, string | number>,
    onPage: ((outcome: string) => void) | undefined,
  ) => {
    try {
      const items = await fetchPage(what, query);
      onPage?.('ok');
      return items;
    } catch (err) {
      onPage?.(mcnRequestOutcome(err));
      throw err;
    }
  };

  const readDay: McnClient['readDay'] = async (day, opts = {}) => {
    if (!DAY_RE.test(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${day}`);
    const start = Math.max(0, opts.offset ?? 0);
    const page = (offset: number) =>
      observed(
        { what: `call_log ${day} offset ${offset}`, redact },
        { date_from: day, date_to: day, limit: pageSize, offset },
        opts.onPage,
      );
    // The pages the day had last time are there for sure: ask them at once, a few at a time.
    const known: number[] = [];
    for (let o = start; o + pageSize <= (opts.expectedEnd ?? 0); o += pageSize) known.push(o);
    const pages: { offset: number; items: unknown[] }[] = [];
    const concurrency = Math.max(1, opts.concurrency ?? 3);
    for (let i = 0; i < known.length; i += concurrency) {
      const batch = known.slice(i, i + concurrency);
      const items = await Promise.all(batch.map((o) => page(o)));
      batch.forEach((offset, j) => pages.push({ offset, items: items[j] ?? [] }));
    }
    // Then page by page until a short page: the end of the log now.
    let next = start + known.length * pageSize;
    const short = pages.find((p) => p.items.length < pageSize);
    if (!short) {
      for (;;) {
        if (pages.length >= MAX_PAGES)
          throw badResponse({ what: `call_log ${day}`, redact }, `more than ${MAX_PAGES} pages`);
        const items = await page(next);
        pages.push({ offset: next, items });
        if (items.length < pageSize) break;
        next += items.length;
      }
    }
    const calls: McnCall[] = [];
    const rows: number[] = [];
    const invalid: InvalidMcnRecord[] = [];
    const seen = new Set<string>();
    const pageStarts: { offset: number; date: string | undefined }[] = [];
    let end = start;
    for (const p of pages) {
      const parsed = parseCallLogItems(p.items);
      invalid.push(...parsed.invalid);
      for (const [i, call] of parsed.calls.entries()) {
        // Calls logged while we page shift the rows after them: a callid read on the previous
        // page is the same call, not a new one.
        if (seen.has(call.callid)) continue;
        seen.add(call.callid);
        calls.push(call);
        // Approximate when some records of the page did not parse; exact otherwise.
        rows.push(p.offset + i);
      }
      const first = parsed.calls[0];
      if (p.items.length > 0)
        pageStarts.push({
          offset: p.offset,
          date: typeof first?.date === 'string' ? first.date : undefined,
        });
      end = Math.max(end, p.offset + p.items.length);
      if (p.items.length < pageSize) break;
    }
    return { calls, invalid, pages: pages.length, offset: start, end, pageStarts, rows };
  };

  return {
    openRecording: (callid, opts) => recordings.openRecording(callid, opts),
    readDay,
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
