import { Command, InvalidArgumentError, Option } from 'commander';
import { schemas } from '@touchline/config';
import { loadConfig } from './load-config.ts';
import { runRoleCommand } from './commands/run-role.ts';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const parseDate = (value: string): string => {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new InvalidArgumentError(`expected a date YYYY-MM-DD, got "${value}"`);
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

/** The `touchline` program: one command per role of the pipeline (README, Commands). */
export function createProgram(): Command {
  const program = new Command('touchline')
    .description(
      'Touchline moves MCN calls and CRM deals into Calltouch, and Calltouch leads back to the ' +
        'CRM, at the highest rate Calltouch accepts. Configuration comes from the environment and .env.',
    )
    .showHelpAfterError()
    .addHelpText('after', '\nRun `touchline <command> --help` for the options of a command.');

  program
    .command('worker')
    .description(
      'BullMQ workers: batch calls and orders, send them to Calltouch under the shared limiter, retry',
    )
    .action(async () => {
      const { workerRole } = await import('@touchline/roles');
      await runRoleCommand('worker', schemas.worker, () => [workerRole()]);
    });

  program
    .command('mcn-poller')
    .description(
      'MCN producer: read the virtual PBX call log every MCN_POLL_INTERVAL_SECONDS and enqueue new calls',
    )
    .action(async () => {
      const { mcnPollerRole } = await import('@touchline/roles');
      await runRoleCommand('mcn-poller', schemas.mcnPoller, () => [mcnPollerRole()]);
    });

  program
    .command('crm-listener')
    .description(
      'CRM webhook service: POST /v1/orders on CRM_LISTENER_PORT, deals durably queued before 202',
    )
    .action(async () => {
      const { crmListenerRole } = await import('@touchline/roles');
      await runRoleCommand('crm-listener', schemas.crmListener, () => [crmListenerRole()]);
    });

  program
    .command('leads')
    .description(
      'Leads export: read new Calltouch requests and deliver each to LEADS_WEBHOOK_URL, signed',
    )
    .action(async () => {
      const { leadsRole } = await import('@touchline/roles');
      await runRoleCommand('leads', schemas.leads, () => [leadsRole()]);
    });

  program
    .command('board')
    .description(
      'Bull Board on BOARD_PORT: every queue, parked items, retry (basic auth off loopback)',
    )
    .action(async () => {
      const { boardRole } = await import('@touchline/roles');
      await runRoleCommand('board', schemas.board, () => [boardRole()]);
    });

  program
    .command('all')
    .description('Every role above in one process: the single-machine deployment')
    .action(async () => {
      const { allRoles } = await import('@touchline/roles');
      await runRoleCommand('all', schemas.all, () => allRoles());
    });

  program
    .command('sandbox')
    .description(
      'Local stand-ins for the Calltouch and MCN APIs, with real limits and fault injection',
    )
    .action(async () => {
      const config = loadConfig(schemas.sandbox);
      const { runSandbox } = await import('./commands/sandbox.ts');
      await runSandbox(config);
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
      const { loadEnv } = await import('@touchline/config');
      const { runDemo } = await import('./demo/demo.ts');
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
    .action(async (opts: { from: string; to: string }) => {
      const config = loadConfig(schemas.backfill);
      const { backfill } = await import('./commands/backfill.ts');
      process.exitCode = await backfill(config, opts.from, opts.to);
    });

  program
    .command('replay')
    .description('Move parked or failed items back into the pipeline (all by default)')
    .addOption(new Option('--flow <flow>', 'only this flow').choices(['calls', 'orders', 'leads']))
    .action(async (opts: { flow?: 'calls' | 'orders' | 'leads' }) => {
      const config = loadConfig(schemas.base);
      const { replay } = await import('./commands/replay.ts');
      process.exitCode = await replay(config, opts.flow);
    });

  program
    .command('status')
    .description('Queue depths, points left, last poll, oldest pending item')
    .option('--json', 'print the same as JSON on stdout')
    .action(async (opts: { json?: boolean }) => {
      const config = loadConfig(schemas.status);
      const { status } = await import('./commands/status.ts');
      process.exitCode = await status(config, { json: opts.json === true });
    });

  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await createProgram().parseAsync([...argv]);
}
