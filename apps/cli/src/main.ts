import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CommandFailure, EXIT, EXIT_CODES_HELP, type ExitCode } from './exit-codes.ts';

// Only commander and this file load before a command runs: each action imports what it needs,
// so `touchline --help` and `touchline status` do not load the roles, Fastify and BullMQ.

/** A calendar date: `2024-02-31` has the right shape, but no such day (a round trip says so). */
const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const parseDate = (value: string): string => {
  const date = new Date(`${value}T00:00:00Z`);
  if (
    !DATE.test(value) ||
    Number.isNaN(date.getTime()) ||
    date.toISOString().slice(0, 10) !== value
  ) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD that exists, got "${value}"`);
  }
  return value;
};

const parseCount = (value: string, name: string): number => {
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`--${name} expects a whole number, got "${value}"`);
  return Number(value);
};
const FAULTS = ['5xx', '429', 'mcn-outage', 'slow'];
const parseFaults = (value: string): string[] => {
  const list = value
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  const unknown = list.filter((f) => !FAULTS.includes(f));
  if (unknown.length)
    throw new InvalidArgumentError(`unknown fault ${unknown.join(', ')}: use ${FAULTS.join(', ')}`);
  return list;
};

/** The version of the `touchline` package (apps/cli/package.json; from src/ or dist/ alike). */
export function cliVersion(): string {
  const manifest = JSON.parse(
    readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
  ) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

/** The `touchline` program: one command per role of the pipeline (README, Commands). */
export function createProgram(): Command {
  const program = new Command('touchline')
    .description(
      'Touchline moves MCN calls and CRM deals into Calltouch, and Calltouch leads back to the ' +
        'CRM, at the highest rate Calltouch accepts. Configuration comes from the environment and .env.',
    )
    .version(cliVersion(), '-V, --version', 'print the version')
    // Commander throws instead of exiting, so that main() maps its usage errors to 64. Set
    // before the commands are added: they inherit it.
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      'after',
      `\nRun \`touchline <command> --help\` for the options of a command.\n${EXIT_CODES_HELP}`,
    );

  const role = (name: string, description: string, run: () => Promise<void>) =>
    program.command(name).description(description).action(run);

  role(
    'worker',
    'BullMQ workers: batch calls and orders, send them to Calltouch under the shared limiter, retry',
    async () => {
      const [{ schemas }, { workerRole }, { runRoleCommand }] = await Promise.all([
        import('@touchline/config'),
        import('@touchline/roles'),
        import('./commands/run-role.ts'),
      ]);
      await runRoleCommand('worker', schemas.worker, () => [workerRole()]);
    },
  );
  role(
    'mcn-poller',
    'MCN producer: read the virtual PBX call log every MCN_POLL_INTERVAL_SECONDS and enqueue new calls',
    async () => {
      const [{ schemas }, { mcnPollerRole }, { runRoleCommand }] = await Promise.all([
        import('@touchline/config'),
        import('@touchline/roles'),
        import('./commands/run-role.ts'),
      ]);
      await runRoleCommand('mcn-poller', schemas.mcnPoller, () => [mcnPollerRole()]);
    },
  );
  role(
    'crm-listener',
    'CRM webhook service: POST /v1/orders on CRM_LISTENER_PORT, deals durably queued before 202',
    async () => {
      const [{ schemas }, { crmListenerRole }, { runRoleCommand }] = await Promise.all([
        import('@touchline/config'),
        import('@touchline/roles'),
        import('./commands/run-role.ts'),
      ]);
      await runRoleCommand('crm-listener', schemas.crmListener, () => [crmListenerRole()]);
    },
  );
  role(
    'leads',
    'Leads export: read new Calltouch requests and deliver each to LEADS_WEBHOOK_URL, signed',
    async () => {
      const [{ schemas }, { leadsRole }, { runRoleCommand }] = await Promise.all([
        import('@touchline/config'),
        import('@touchline/roles'),
        import('./commands/run-role.ts'),
      ]);
      await runRoleCommand('leads', schemas.leads, () => [leadsRole()]);
    },
  );
  role(
    'board',
    'Bull Board on BOARD_PORT: every queue, parked items, retry (basic auth off loopback)',
    async () => {
      const [{ schemas }, { boardRole }, { runRoleCommand }] = await Promise.all([
        import('@touchline/config'),
        import('@touchline/roles'),
        import('./commands/run-role.ts'),
      ]);
      await runRoleCommand('board', schemas.board, () => [boardRole()]);
    },
  );
  role('all', 'Every role above in one process: the single-machine deployment', async () => {
    const [{ schemas }, { allRoles }, { runRoleCommand }] = await Promise.all([
      import('@touchline/config'),
      import('@touchline/roles'),
      import('./commands/run-role.ts'),
    ]);
    await runRoleCommand('all', schemas.all, () => allRoles());
  });

  program
    .command('sandbox')
    .description(
      'Local stand-ins for the Calltouch and MCN APIs, with real limits and fault injection',
    )
    .action(async () => {
      const [{ schemas }, { loadConfig }, { runSandbox }] = await Promise.all([
        import('@touchline/config'),
        import('./load-config.ts'),
        import('./commands/sandbox.ts'),
      ]);
      await runSandbox(loadConfig(schemas.sandbox));
    });

  program
    .command('demo')
    .description('sandbox + all wired together: the whole pipeline on one machine in one command')
    .option(
      '--backlog <calls>',
      'calls waiting at MCN when the demo starts',
      (v) => parseCount(v, 'backlog'),
      0,
    )
    .option(
      '--faults <list>',
      'comma-separated fault profile: 5xx, 429, mcn-outage, slow',
      (v) => parseFaults(v),
      [] as string[],
    )
    .option(
      '--workers <n>',
      'worker processes (1 runs everything in one process)',
      (v) => parseCount(v, 'workers'),
      1,
    )
    .action(async (opts: { backlog: number; faults: string[]; workers: number }) => {
      const [{ loadEnv }, { runDemo }] = await Promise.all([
        import('@touchline/config'),
        import('./demo/demo.ts'),
      ]);
      process.exitCode = await runDemo(loadEnv(), { ...opts, workers: Math.max(1, opts.workers) });
      process.exit();
    });

  program
    .command('backfill')
    .description(
      'Import a past date range of MCN calls; exits when the range is enqueued, with a summary',
    )
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD (in MCN_TIMEZONE)', parseDate)
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)', parseDate)
    .option('--json', 'print the summary as JSON on stdout')
    .addHelpText(
      'after',
      '\nProgress (days read, calls read and enqueued, calls/s) goes to stderr: one line updated' +
        ' in place on a terminal, a line per day otherwise.',
    )
    .action(async (opts: { from: string; to: string; json?: boolean }) => {
      if (opts.from > opts.to) {
        throw new CommandFailure(`--from ${opts.from} is after --to ${opts.to}`, EXIT.USAGE);
      }
      const [{ schemas }, { loadConfig }, { backfill }] = await Promise.all([
        import('@touchline/config'),
        import('./load-config.ts'),
        import('./commands/backfill.ts'),
      ]);
      process.exitCode = await backfill(loadConfig(schemas.backfill), opts.from, opts.to, {
        json: opts.json === true,
      });
    });

  program
    .command('replay')
    .description('Move parked or failed items back into the pipeline (all by default)')
    .addOption(new Option('--flow <flow>', 'only this flow').choices(['calls', 'orders', 'leads']))
    .option('--json', 'print the summary as JSON on stdout')
    .action(async (opts: { flow?: 'calls' | 'orders' | 'leads'; json?: boolean }) => {
      const [{ schemas }, { loadConfig }, { replay }] = await Promise.all([
        import('@touchline/config'),
        import('./load-config.ts'),
        import('./commands/replay.ts'),
      ]);
      process.exitCode = await replay(loadConfig(schemas.base), {
        ...(opts.flow ? { flow: opts.flow } : {}),
        json: opts.json === true,
      });
    });

  program
    .command('status')
    .description(
      'Queue depths, points left, the MCN poll and the leads export, oldest pending item',
    )
    .option('--json', 'print the same as JSON on stdout')
    .action(async (opts: { json?: boolean }) => {
      const [{ schemas }, { loadConfig }, { status }] = await Promise.all([
        import('@touchline/config'),
        import('./load-config.ts'),
        import('./commands/status.ts'),
      ]);
      process.exitCode = await status(loadConfig(schemas.status), { json: opts.json === true });
    });

  return program;
}

/**
 * The exit status for what a command threw, after saying what went wrong on stderr:
 * commander's own errors (it has printed them) are usage errors (64) unless it only showed help
 * or the version (0); a CommandFailure or a StartupError (packages/runtime/src/startup-error.ts)
 * is one line and its own status; anything else is a bug (70), printed with its stack trace.
 */
export function exitCodeFor(
  err: unknown,
  command: string,
  write: (text: string) => void = (text) => process.stderr.write(text),
): ExitCode {
  const who = command ? `touchline ${command}` : 'touchline';
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  if (err instanceof CommandFailure) {
    write(`${who}: ${err.message}\n`);
    return err.exitCode;
  }
  if (isStartupError(err)) {
    write(`${who}: ${err.message}\n`);
    return err.exitCode;
  }
  write(
    `${who}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return EXIT.SOFTWARE;
}

/** A StartupError without loading @touchline/runtime (and Fastify) to ask `instanceof`. */
const isStartupError = (err: unknown): err is Error & { exitCode: ExitCode } =>
  err instanceof Error &&
  err.name === 'StartupError' &&
  Object.values(EXIT).includes((err as { exitCode?: unknown }).exitCode as ExitCode);

export async function main(argv: readonly string[]): Promise<void> {
  // A reader that went away (`touchline status | head -3`) is not an error of the command: end
  // quietly, as Unix tools do, rather than with an unhandled EPIPE and its stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  const program = createProgram();
  let command = '';
  program.hook('preAction', (_program, action) => {
    command = action.name();
  });
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    process.exitCode = exitCodeFor(err, command);
  }
}

// Run directly (`node apps/cli/dist/touchline.mjs`, the compiled entry), not only through
// bin/touchline.js, which imports this module and calls main() itself.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv);
}
