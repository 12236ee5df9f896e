/**
 * The one way an identifier that comes from outside — an MCN callid, a CRM order number, a
 * Calltouch request id — becomes part of a Redis key or a BullMQ job id. Such identifiers are
 * data, not syntax: they may contain any character, including the `:` that separates the parts
 * of a key (`<prefix>:order:<orderNumber>:lock`) and that BullMQ refuses in a job id.
 *
 * The encoding escapes `%` and `:` as `%25` and `%3A` — percent-encoding restricted to the two
 * characters that matter — so it is injective (every `%` of the output starts an escape, so the
 * input can be read back) and its output never contains `:`. A key built as
 * `<prefix>:<kind>:<keyPart(id)>` can therefore never equal another identifier's key with a
 * suffix: `order:V%3Alock` is order `V:lock`, `order:V:lock` is order `V`'s lock.
 * Everything else is kept as it is, so ids stay readable in Bull Board.
 */
export function keyPart(id: string): string {
  return id.replace(/%/g, '%25').replace(/:/g, '%3A');
}

/** The inverse of {@link keyPart} (for tests and tools that read keys back). */
export function fromKeyPart(part: string): string {
  return part.replace(/%3A/g, ':').replace(/%25/g, '%');
}

/**
 * A job id: `<kind>-<keyPart(id)>`, or `<kind>-<keyPart(id)>-<n>` for the n-th state of one
 * identifier (an order's seq). Never a bare integer (BullMQ refuses those) and never with `:`.
 * Injective over (kind, id, n): the kind has no `-` and `n` is a whole number written last.
 */
export function toJobId(kind: string, id: string, n?: number): string {
  if (!/^[a-z]+$/.test(kind))
    throw new RangeError(`job id kind must be lowercase letters: ${kind}`);
  if (n !== undefined && !Number.isSafeInteger(n)) throw new RangeError(`not a whole number: ${n}`);
  return n === undefined ? `${kind}-${keyPart(id)}` : `${kind}-${keyPart(id)}-${n}`;
}
