import type { ItemOutcome } from './outcome.ts';

/**
 * What one request of a bisection came back with: accepted (with the answer), or refused —
 * with the error that says so (`cause`), for a sender that reads which items it names.
 */
export type SendResult<R = unknown> =
  | { readonly ok: true; readonly answer?: R }
  | {
      readonly ok: false;
      readonly kind: 'rejected';
      readonly reason: string;
      readonly cause?: unknown;
    };

/**
 * Isolates the items a request rejects. Calltouch rejects a whole batch when any item is bad
 * (and does not say reliably which one), so a rejected batch is split in halves until each bad
 * item stands alone: the good ones are delivered, each bad one is parked with the answer to a
 * request of its own. When the first half of a rejected batch goes through, the second half is
 * known to hold the bad items and is split without being sent whole.
 *
 * `send` throws for anything that is not a rejection (429, 5xx, timeouts): that aborts the
 * bisection, and the caller handles the items not yet settled.
 */
export async function bisect<T extends { readonly id: string }>(
  items: readonly T[],
  send: (items: readonly T[]) => Promise<SendResult<unknown>>,
  settle: (item: T, outcome: ItemOutcome) => void,
  onRejectedSingle?: (item: T, reason: string) => Promise<ItemOutcome | undefined>,
  knownBad = false,
): Promise<void> {
  if (items.length === 0) return;
  if (!knownBad || items.length === 1) {
    const result = await send(items);
    if (result.ok) {
      for (const item of items) settle(item, { kind: 'delivered' });
      return;
    }
    if (items.length === 1) {
      const [item] = items as [T];
      const fallback = onRejectedSingle ? await onRejectedSingle(item, result.reason) : undefined;
      settle(item, fallback ?? { kind: 'rejected', reason: result.reason });
      return;
    }
  }
  const middle = Math.ceil(items.length / 2);
  const left = items.slice(0, middle);
  const right = items.slice(middle);
  let leftHadBad = false;
  await bisect(
    left,
    send,
    (item, outcome) => {
      if (outcome.kind !== 'delivered') leftHadBad = true;
      settle(item, outcome);
    },
    onRejectedSingle,
  );
  await bisect(right, send, settle, onRejectedSingle, !leftHadBad);
}
