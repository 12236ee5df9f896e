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
  /** The port it listens on, once started (an HTTP server; 0 in the config asks the OS). */
  port?(): number;
}
