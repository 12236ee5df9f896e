import type { TouchlineStatus } from './collect-status.ts';

export interface FormatStatusOptions {
  /** ANSI colour for problems and live roles; only for a TTY (and never with NO_COLOR). */
  readonly color?: boolean;
}

const NONE = '-';

/** `42s`, `12m 5s`, `3h 2m`, `2d 3h`: ages an operator reads at a glance. */
export function formatDuration(totalSeconds: number | undefined): string {
  if (totalSeconds === undefined) return NONE;
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${Math.floor((s % 3_600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3_600)}h`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** Left-aligns the first column and right-aligns numbers, two spaces apart. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number> = new Set(),
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The terminal summary of `touchline status` (pure: the same data as `--json`). */
export function formatStatus(status: TouchlineStatus, options: FormatStatusOptions = {}): string {
  const paint = (code: number) => (text: string) =>
    options.color ? `\u001b[${code}m${text}\u001b[0m` : text;
  const red = paint(31);
  const green = paint(32);
  const yellow = paint(33);
  const bold = paint(1);
  const out: string[] = [];
  const utc = (ms: number | undefined) =>
    ms === undefined ? NONE : `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;
  out.push(bold(`Touchline status`) + `  prefix ${status.prefix}  at ${utc(status.at)}`, '');

  const flowRows = status.flows.map((f) => [
    f.flow,
    count(f.pending),
    count(f.waiting),
    count(f.prioritized),
    f.pending ? formatDuration(f.oldestPendingSeconds) : NONE,
    `${f.deliveredAtLeast ? '≥' : ''}${count(f.deliveredLastHour)}`,
    count(f.parked),
  ]);
  // Colour goes on after alignment, so padding is computed on the visible text.
  out.push(
    ...formatTable(
      ['FLOW', 'PENDING', 'LIVE', 'BACKLOG', 'OLDEST', 'DELIVERED 1H', 'PARKED'],
      flowRows,
      new Set([1, 2, 3, 4, 5, 6]),
    ).map((line, i) =>
      i > 0 && status.flows[i - 1]!.parked ? line.replace(/(\S+)$/, (m) => red(m)) : line,
    ),
  );
  out.push(
    '  live: waiting, ahead of everything (a call that ended within CALLS_LIVE_WINDOW_MINUTES);',
    '  backlog: backfill, catch-up and replayed items, sent as the live lane leaves room',
  );
  if (status.flows.some((f) => f.parked))
    out.push(
      yellow('  parked items: open the failed tab in `touchline board`, or `touchline replay`'),
    );
  out.push('');

  const p = status.points;
  const spentBy = Object.entries(p.spent)
    .filter(([, n]) => n > 0)
    .map(([e, n]) => `${e} ${count(n)}`)
    .join(', ');
  const left =
    p.budget === undefined
      ? 'no daily budget set (counted only)'
      : `${count(p.remaining ?? 0)} left of ${count(p.budget)}`;
  out.push(
    `Points ${p.day}:  spent ${count(p.spentTotal)}${spentBy ? ` (${spentBy})` : ''}, ${left}`,
  );
  if (p.exhaustedByCalltouch) out.push(red('  Calltouch answered that the points are exhausted'));
  for (const [endpoint, reason] of Object.entries(p.paused))
    out.push(yellow(`  paused: ${endpoint}: ${reason}`));

  const m = status.mcn;
  out.push(
    m.lastPollAt === undefined
      ? `MCN poll:  never ran on this prefix`
      : `MCN poll:  last ${formatDuration(m.lastPollAgeSeconds)} ago, lag ${formatDuration(m.lagSeconds)}, checkpoint ${m.checkpoint ?? NONE}`,
  );
  if (m.lastError) out.push(red(`  last error: ${m.lastError}`));

  const ld = status.leads;
  out.push(
    ld.lastPollAt === undefined
      ? `Leads:     the export never ran on this prefix`
      : `Leads:     last export ${formatDuration(ld.lastPollAgeSeconds)} ago, every lead created before ${utc(ld.checkpoint)} enqueued`,
  );
  if (ld.pausedUntil !== undefined)
    out.push(
      yellow(
        `  paused by the points budget for ${formatDuration((ld.pausedUntil - status.at) / 1000)}${ld.pausedReason ? `: ${ld.pausedReason}` : ''}`,
      ),
    );
  if (ld.lastError) out.push(red(`  last error: ${ld.lastError}`));

  const l = status.limiter;
  out.push(
    `Limiter:   ${l.requestsPerSecond} requests/s now (egress ${l.egressId}), 429 pauses ${count(l.penalties)}` +
      (l.pausedUntil
        ? red(`, paused for ${formatDuration((l.pausedUntil - status.at) / 1000)}`)
        : ''),
  );
  out.push('');

  if (status.roles.length === 0) {
    out.push(yellow('Roles:     no heartbeat on this prefix (no role running, or an old version)'));
  } else {
    const rows = status.roles.map((r) => [
      r.role,
      r.instanceId,
      r.alive ? 'alive' : 'gone',
      `${formatDuration(r.lastSeenSeconds)} ago`,
    ]);
    out.push(
      ...formatTable(['ROLE', 'INSTANCE', 'STATE', 'LAST SEEN'], rows).map((line, i) =>
        i === 0
          ? line
          : line.replace(/\b(alive|gone)\b/, (s) => (s === 'alive' ? green(s) : red(s))),
      ),
    );
  }
  return `${out.join('\n')}\n`;
}
