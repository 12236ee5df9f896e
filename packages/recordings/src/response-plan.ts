import { formatContentRange, parseContentRange, resolveRange, type RangeSpec } from './range.ts';

/** What MCN's audio answer says about its body. */
export interface UpstreamAudio {
  readonly status: 200 | 206;
  readonly contentLength: number | undefined;
  readonly contentRange: string | undefined;
}

/** How to answer the listener, decided from the request and MCN's headers alone. */
export type ResponsePlan =
  | {
      kind: 'send';
      status: 200 | 206;
      /** Absent when MCN did not say: the body then goes out chunked. */
      contentLength: number | undefined;
      contentRange?: string;
      /** MCN sent the whole file for a range: drop `skip` bytes, pass `take`. */
      window?: { skip: number; take: number };
    }
  | { kind: 'unsatisfiable'; size: number }
  | { kind: 'bad_upstream'; reason: string };

/**
 * Pure: maps (the listener's range, whether this is a HEAD probe, MCN's answer) to our answer.
 * A HEAD without Range asks MCN for `bytes=0-0` (the probe), so it learns the size from
 * Content-Range without MCN sending the file.
 */
export function planResponse(
  upstream: UpstreamAudio,
  spec: RangeSpec | undefined,
  probe: boolean,
): ResponsePlan {
  if (upstream.status === 206) {
    if (!spec && !probe) return bad('a 206 to a request without Range');
    const range = parseContentRange(upstream.contentRange);
    if (!range)
      return bad(`a 206 without a valid Content-Range (${upstream.contentRange ?? 'none'})`);
    const length = range.end - range.start + 1;
    if (upstream.contentLength !== undefined && upstream.contentLength !== length) {
      return bad('a 206 whose Content-Length disagrees with its Content-Range');
    }
    if (probe) return { kind: 'send', status: 200, contentLength: range.size };
    return {
      kind: 'send',
      status: 206,
      contentLength: length,
      contentRange: formatContentRange(range, range.size),
    };
  }
  const size = upstream.contentLength;
  if (spec && size !== undefined) {
    // MCN ignored the Range and sends the whole file: slice it here.
    const window = resolveRange(spec, size);
    if (window === 'unsatisfiable') return { kind: 'unsatisfiable', size };
    const take = window.end - window.start + 1;
    return {
      kind: 'send',
      status: 206,
      contentLength: take,
      contentRange: formatContentRange(window, size),
      window: { skip: window.start, take },
    };
  }
  // No Range, the probe, or a body of unknown size that cannot be sliced without holding it:
  // the whole file, which RFC 9110 allows in answer to a Range.
  return { kind: 'send', status: 200, contentLength: size };
}

const bad = (reason: string): ResponsePlan => ({
  kind: 'bad_upstream',
  reason: `MCN sent ${reason}`,
});
