import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** A logger whose lines are kept in memory, so tests can assert on what an operator would read. */
export function memoryLogger(level = 'debug'): {
  logger: Logger;
  lines: () => Record<string, unknown>[];
} {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = pino({ level, formatters: { level: (label) => ({ level: label }) } }, stream);
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}
