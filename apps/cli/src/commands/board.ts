import type { BoardConfig } from '@touchline/config';

/** `touchline board`: runs Bull Board until SIGTERM/SIGINT. */
export async function board(config: BoardConfig): Promise<void> {
  const { startBoard } = await import('@touchline/app-board');
  const running = await startBoard(config);
  process.stderr.write(
    `Bull Board on ${running.server.url()}${config.BOARD_READ_ONLY ? ' (read-only)' : ''}\n`,
  );
  await running.done;
}
