/**
 * A long-lived part of a role (a poller, a worker pool, an HTTP server). `start` and `close`
 * are idempotent; `close` stops producing first and releases only what the component owns.
 */
export interface Component {
  readonly name: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Whether the component can do its work now (e.g. Redis reachable); feeds `/readyz`. */
  ready?(): Promise<boolean>;
}

/** Wraps start/close so that repeated or concurrent calls run the underlying step once. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => (pending ??= fn());
}
