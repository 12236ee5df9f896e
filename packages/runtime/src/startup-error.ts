import type { FastifyInstance } from 'fastify';

/** sysexits EX_CONFIG: what `touchline` exits with when the configuration does not fit. */
export const EXIT_CONFIG = 78;

export interface StartupErrorOptions {
  /** The status the process exits with (sysexits; apps/cli/src/exit-codes.ts). */
  readonly exitCode: number;
  /** Structured fields of the log line (`variable`, `port`, `code`, …). */
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/**
 * A start-up failure an operator fixes outside the code — a port in use, an address that is not
 * this machine's: its message is one line that names the variable to change, and it is reported
 * without a stack trace (runComponents logs it, `touchline` prints it and exits with `exitCode`).
 * Anything else that fails at start-up is a bug and keeps its stack trace.
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  readonly exitCode: number;
  readonly fields: Readonly<Record<string, unknown>>;

  constructor(message: string, options: StartupErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.exitCode = options.exitCode;
    this.fields = options.fields ?? {};
  }
}

/** True when `err` is a {@link StartupError}, also across duplicated module copies. */
export function isStartupError(err: unknown): err is StartupError {
  return (
    err instanceof StartupError ||
    (err instanceof Error &&
      err.name === 'StartupError' &&
      typeof (err as Partial<StartupError>).exitCode === 'number')
  );
}

/** Where a component listens, and the variables an operator sets to move it. */
export interface ListenTarget {
  readonly port: number;
  readonly host?: string;
  /** The variable that sets the port: `METRICS_PORT`, `CRM_LISTENER_PORT`, `BOARD_PORT`, … */
  readonly portVariable: string;
  /** The variable that sets the interface, when there is one (`BOARD_HOST`). */
  readonly hostVariable?: string;
}

/**
 * What a failed `listen` means to an operator: a {@link StartupError} naming the variable for
 * the errors a configuration change fixes (EADDRINUSE, EACCES, EADDRNOTAVAIL), the error itself
 * otherwise.
 */
export function listenFailure(err: unknown, target: ListenTarget): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { port, portVariable, hostVariable } = target;
  const host = target.host ?? '0.0.0.0';
  const fields = { variable: portVariable, port, host, code };
  const fail = (message: string) =>
    new StartupError(message, { exitCode: EXIT_CONFIG, fields, cause: err });
  switch (code) {
    case 'EADDRINUSE':
      return fail(`${portVariable} ${port} is in use (EADDRINUSE); set another port`);
    case 'EACCES':
      return fail(
        `${portVariable} ${port} needs privileges this process does not have (EACCES); set a port above 1023`,
      );
    case 'EADDRNOTAVAIL':
      return fail(
        `${portVariable} ${port}: ${host} is not an address of this machine (EADDRNOTAVAIL)` +
          (hostVariable ? `; set ${hostVariable} to one of its addresses` : ''),
      );
    default:
      return err;
  }
}

/** `app.listen` on `target`, failing with {@link listenFailure}'s error. */
export async function listenOn(app: FastifyInstance, target: ListenTarget): Promise<void> {
  try {
    await app.listen({ port: target.port, host: target.host ?? '0.0.0.0' });
  } catch (err) {
    throw listenFailure(err, target);
  }
}
