import type { FastifyReply } from 'fastify';
import type { SandboxCall } from './calls-validation.ts';
import type { FaultSettings, ItemNaming } from './faults.ts';
import type { Journal } from './journal.ts';
import type { StandInEndpoint, StandInState } from './state.ts';
import type { ItemIssue } from './validation.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The Calltouch endpoint a route serves; counted, rate-limited, faulted. */
    endpoint?: StandInEndpoint;
    /** Admin routes under /__sandbox/: neither counted nor limited. */
    admin?: boolean;
  }
}

export interface StandInCredentials {
  atsCode: string;
  atsToken: string;
  apiToken: string;
  siteId: string;
}

/** What the route modules share. */
export interface StandInContext {
  credentials: StandInCredentials;
  state: StandInState;
  journal: Journal;
  timeZone: string;
  /** Ids the import answers with, as the real service returns a queue log id. */
  nextLogId(): number;
  /** The faults in force (per-order refusals, how refusals name items). */
  faults(): FaultSettings;
  /** Accepted calls, for the recordings player (after they are stored). */
  accepted(calls: readonly SandboxCall[]): void;
}

export function unauthorized(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(401).send({ success: false, message: `unauthorized: ${what}` });
}

/** 400 naming every bad item: the whole request is refused, nothing of it is kept. */
export function rejected(
  reply: FastifyReply,
  message: string,
  issues: readonly ItemIssue[],
  naming: ItemNaming = 'both',
): FastifyReply {
  return reply
    .code(400)
    .send(
      naming === 'none'
        ? { success: false, message }
        : { success: false, message, errors: issues.map((i) => named(i, naming)) },
    );
}

/** An issue as a refusal with `naming` shows it: index and id, one of them, or neither. */
export function named(issue: ItemIssue, naming: ItemNaming): ItemIssue {
  const { index, referenceId, orderNumber, ...rest } = issue;
  const byIndex = naming === 'both' || naming === 'index';
  const byId = naming === 'both' || naming === 'id';
  return {
    ...(byIndex && index !== undefined ? { index } : {}),
    ...(byId && referenceId !== undefined ? { referenceId } : {}),
    ...(byId && orderNumber !== undefined ? { orderNumber } : {}),
    ...rest,
  };
}

export const header = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;
