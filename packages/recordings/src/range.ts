/**
 * Byte ranges as a player uses them to seek (RFC 9110 §14). Only single ranges are served:
 * a player asks one at a time; several ranges, other units or nonsense are ignored, and the
 * whole file goes out with 200, which the RFC allows.
 */

/** `bytes=a-b` / `bytes=a-` (`end` absent) or `bytes=-n` (the last n bytes). */
export type RangeSpec = { start: number; end?: number } | { suffix: number };

/** A range resolved against a known size: inclusive byte positions. */
export interface ByteWindow {
  start: number;
  end: number;
}

const RANGE_RE = /^bytes=(\d{0,15})-(\d{0,15})$/i;

/** The client's Range header, or undefined when it is absent or to be ignored. */
export function parseRangeHeader(header: string | string[] | undefined): RangeSpec | undefined {
  if (typeof header !== 'string') return undefined;
  const match = RANGE_RE.exec(header.trim());
  if (!match) return undefined;
  const [, from = '', to = ''] = match;
  if (from === '' && to === '') return undefined;
  if (from === '') return { suffix: Number(to) };
  const start = Number(from);
  if (to === '') return { start };
  const end = Number(to);
  return end < start ? undefined : { start, end };
}

/** The header to send MCN for `spec`. */
export function formatRange(spec: RangeSpec): string {
  if ('suffix' in spec) return `bytes=-${spec.suffix}`;
  return `bytes=${spec.start}-${spec.end ?? ''}`;
}

/** `spec` against a file of `size` bytes; 'unsatisfiable' when no byte of it exists. */
export function resolveRange(spec: RangeSpec, size: number): ByteWindow | 'unsatisfiable' {
  if ('suffix' in spec) {
    if (spec.suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  if (spec.start >= size) return 'unsatisfiable';
  return { start: spec.start, end: Math.min(spec.end ?? size - 1, size - 1) };
}

/** A `Content-Range` of a 206 (`bytes 100-199/4224`, size `*` when unknown). */
export interface ContentRange extends ByteWindow {
  size: number | undefined;
}

/** Reads a 206's Content-Range; undefined when it is not one. */
export function parseContentRange(header: string | undefined): ContentRange | undefined {
  const match = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const size = match[3] === '*' ? undefined : Number(match[3]);
  if (end < start || (size !== undefined && end >= size)) return undefined;
  return { start, end, size };
}

/** The size a 416's `Content-Range: bytes *\/4224` states, when it does. */
export function parseUnsatisfiedRange(header: string | undefined): number | undefined {
  const match = /^bytes \*\/(\d{1,15})$/i.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

export const formatContentRange = (window: ByteWindow, size: number | undefined): string =>
  `bytes ${window.start}-${window.end}/${size ?? '*'}`;
