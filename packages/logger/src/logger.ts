import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { createRedactor, REDACTED, SECRET_KEYS } from './redact.ts';

export type { Logger } from 'pino';

export interface CreateLoggerOptions {
  readonly level?: string;
  /** Role or component name, on every line as `role`. */
  readonly name?: string;
  /** Secret values to scrub wherever they appear (tokens from the configuration). */
  readonly secrets?: Iterable<string | undefined>;
  /** Where lines go; stdout by default. */
  readonly destination?: DestinationStream;
}

const redactPaths = SECRET_KEYS.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  return [
    `*${k}`,
    `*.headers${k}`,
    `req.headers${k}`,
    `*.*.headers${k}`,
    k.startsWith('.') ? key : k,
  ];
});

/**
 * A structured JSON logger (one line per event). Secrets are removed twice: known field names
 * by pino's redaction, and secret values or `apikey=` query strings anywhere in the line text.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const scrub = createRedactor(options.secrets ?? []);
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    base: options.name ? { role: options.name } : {},
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: redactPaths, censor: REDACTED },
    hooks: {
      streamWrite: (line) => scrub(line),
    },
  };
  return pino(base, options.destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A log destination appending to `path` (directories created), for roles that own the terminal. */
export function fileDestination(path: string): DestinationStream {
  return pino.destination({ dest: path, mkdir: true, sync: false });
}
