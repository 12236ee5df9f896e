/**
 * The last path segment of a recording URL: `<encoded callid>.mp3`.
 *
 * MCN call ids are usually `116-1763888690.6016868`, but nothing promises that: a callid may
 * hold '/', '?', '%', '#', spaces or any Unicode. Percent-encoding is not safe in a path that
 * crosses ingresses and proxies (`%2F` is decoded, refused or normalised by some), so bytes
 * outside `A-Z a-z 0-9 . _ -` are written `~XX` (UTF-8 byte, upper-case hex) — `~` is itself
 * unreserved and passes every proxy untouched, and ordinary callids stay readable in access
 * logs. Decoding is strict and canonical: one callid has exactly one name.
 */

const SAFE_BYTE = (b: number) =>
  (b >= 0x30 && b <= 0x39) || // 0-9
  (b >= 0x41 && b <= 0x5a) || // A-Z
  (b >= 0x61 && b <= 0x7a) || // a-z
  b === 0x2d || // -
  b === 0x2e || // .
  b === 0x5f; // _

const NAME_RE = /^(?:[A-Za-z0-9._-]|~[0-9A-F]{2})+$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const EXTENSION = '.mp3';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `callid` can be named at all: non-empty and well-formed Unicode (no lone surrogates). */
export function isNameableCallid(callid: string): boolean {
  return callid !== '' && !LONE_SURROGATE.test(callid);
}

/** `116-1.2/3` → `116-1.2~2F3`. Throws a RangeError for a callid that cannot round-trip. */
export function encodeCallid(callid: string): string {
  if (!isNameableCallid(callid)) {
    throw new RangeError('a recording callid must be non-empty, well-formed Unicode');
  }
  let out = '';
  for (const byte of Buffer.from(callid, 'utf8')) {
    out += SAFE_BYTE(byte)
      ? String.fromCharCode(byte)
      : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The inverse of {@link encodeCallid}; undefined for anything it would not have produced. */
export function decodeCallid(encoded: string): string | undefined {
  if (!NAME_RE.test(encoded)) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '~') {
      bytes.push(Number.parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  let callid: string;
  try {
    callid = utf8.decode(Uint8Array.from(bytes));
  } catch {
    return undefined;
  }
  // `~41` for "A" decodes, but is not how "A" is written: one name per callid.
  return isNameableCallid(callid) && encodeCallid(callid) === encoded ? callid : undefined;
}

/** `<encoded callid>.mp3`. */
export function recordingName(callid: string): string {
  return `${encodeCallid(callid)}${EXTENSION}`;
}

/** The callid a path segment names, or undefined when it is not a recording name. */
export function parseRecordingName(name: string): string | undefined {
  if (!name.endsWith(EXTENSION)) return undefined;
  return decodeCallid(name.slice(0, -EXTENSION.length));
}
