import type { AllConfig } from '@touchline/config';
import type { RoleDefinition } from '@touchline/runtime';
import { boardRole } from './board.ts';
import { crmListenerRole } from './crm-listener.ts';
import { leadsRole } from './leads.ts';
import { mcnPollerRole } from './mcn-poller.ts';
import { workerRole } from './worker.ts';

/**
 * `touchline all`: every role in one process — the single-machine deployment. The roles are
 * the same definitions the separate commands run; listed so that producers (the listener, the
 * poller) start last and stop first, and the worker and the leads export share one Calltouch
 * stack (one limiter connection, one points budget).
 */
export function allRoles(): RoleDefinition<AllConfig>[] {
  return [boardRole(), workerRole(), leadsRole(), crmListenerRole(), mcnPollerRole()];
}
