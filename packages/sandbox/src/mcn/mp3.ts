import { Readable } from 'node:stream';

/**
 * Small valid MP3 files, made in code: MPEG-1 Layer III frames of silence. Each frame is a
 * 4-byte header (128 kbit/s, 48 kHz, mono, no CRC, no padding: exactly 384 bytes a frame,
 * 24 ms of audio), 17 bytes of side information that are all zero (no main data: every granule
 * decodes to silence), and 363 bytes that the format calls ancillary data and decoders skip.
 * The ancillary bytes are filled from a generator seeded by the call, so every recording is a
 * distinct, reproducible byte sequence — a test can tell one call's audio from another's —
 * and any byte range can be produced without holding the file: memory stays flat at 1 MB or
 * 100 MB.
 */
export const MP3_FRAME_BYTES = 384;
const HEADER = Buffer.from([0xff, 0xfb, 0x94, 0xc0]);
const SIDE_INFO_BYTES = 17;
const ANCILLARY_OFFSET = HEADER.length + SIDE_INFO_BYTES;
/** Frames produced per chunk of a stream (~64 KB). */
const FRAMES_PER_CHUNK = 170;

/** The size of a recording of at least `bytes`: a whole number of frames, at least one. */
export function mp3Size(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / MP3_FRAME_BYTES)) * MP3_FRAME_BYTES;
}

/** A 32-bit seed from text (FNV-1a), e.g. from a seed and a callid. */
export function seedOf(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Writes frame `index` of the recording seeded `seed` into `out` at `at`. */
function writeFrame(seed: number, index: number, out: Buffer, at: number): void {
  HEADER.copy(out, at);
  out.fill(0, at + HEADER.length, at + ANCILLARY_OFFSET);
  // mulberry32 per frame, 4 bytes per step: cheap enough to stream 10 MB recordings.
  let state = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  const end = at + MP3_FRAME_BYTES;
  for (let i = at + ANCILLARY_OFFSET; i < end; i += 4) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const word = (t ^ (t >>> 14)) >>> 0;
    for (let k = 0; k < 4 && i + k < end; k++) out[i + k] = (word >>> (k * 8)) & 0xff;
  }
}

/** Bytes `start..end` (inclusive) of the recording seeded `seed` that is `size` bytes long. */
export function mp3Bytes(seed: number, size: number, start = 0, end = size - 1): Buffer {
  const chunks: Buffer[] = [];
  for (const chunk of mp3Chunks(seed, size, start, end)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The same bytes as a stream, produced a chunk at a time as the reader asks. */
export function mp3Stream(seed: number, size: number, start = 0, end = size - 1): Readable {
  return Readable.from(mp3Chunks(seed, size, start, end), { objectMode: false });
}

function* mp3Chunks(seed: number, size: number, start: number, end: number): Generator<Buffer> {
  if (size % MP3_FRAME_BYTES !== 0) throw new RangeError('size must be a whole number of frames');
  const last = Math.min(end, size - 1);
  let frame = Math.floor(start / MP3_FRAME_BYTES);
  const lastFrame = Math.floor(last / MP3_FRAME_BYTES);
  while (frame <= lastFrame) {
    const count = Math.min(FRAMES_PER_CHUNK, lastFrame - frame + 1);
    const chunk = Buffer.allocUnsafe(count * MP3_FRAME_BYTES);
    for (let i = 0; i < count; i++) writeFrame(seed, frame + i, chunk, i * MP3_FRAME_BYTES);
    const from = frame * MP3_FRAME_BYTES;
    yield chunk.subarray(Math.max(0, start - from), Math.min(chunk.length, last - from + 1));
    frame += count;
  }
}
