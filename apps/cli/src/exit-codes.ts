/**
 * The exit status of every `touchline` command, after sysexits.h, listed in
 * `touchline --help` and the README:
 * - 0 done (a long-running role: stopped by SIGTERM/SIGINT);
 * - 64 usage: an unknown command or option, a missing or invalid value, `--from` after `--to`;
 * - 69 unavailable: Redis (or, for `backfill`, the MCN API) does not answer a one-shot command;
 * - 70 internal error: a bug — an unexpected exception (with its stack trace), a role that
 *   does not stop within its limit;
 * - 78 configuration: a bad or missing variable, or a port the configuration names that cannot
 *   be listened on (in use, privileged, not an address of this machine).
 * A second SIGTERM/SIGINT stops a role at once with 130 (the shell's 128 + SIGINT).
 */
export const EXIT = {
  OK: 0,
  USAGE: 64,
  UNAVAILABLE: 69,
  SOFTWARE: 70,
  CONFIG: 78,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The table `touchline --help` ends with. */
export const EXIT_CODES_HELP = `
Exit status (sysexits):
  0   done
  64  usage: unknown command or option, missing or invalid value
  69  unavailable: Redis (or the MCN API, for backfill) does not answer
  70  internal error: a bug; the message has its stack trace
  78  configuration: a bad or missing variable, or a port that cannot be listened on`;

/**
 * A failure an operator can act on: printed as one line, `touchline <command>: <message>`,
 * without a stack trace, and the command exits with `exitCode`.
 */
export class CommandFailure extends Error {
  override readonly name = 'CommandFailure';
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}
