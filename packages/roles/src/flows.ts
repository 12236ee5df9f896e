import { callsFlowSpec } from '@touchline/calls';
import { leadsFlowSpec } from '@touchline/leads';
import { ordersFlowSpec } from '@touchline/orders';
import type { FlowSpec } from '@touchline/queue';

/**
 * Every flow of the pipeline: what Bull Board shows, `status` reads and `replay` moves. A new
 * flow is registered here and with the role that delivers it (docs/architecture.md).
 */
export const FLOW_SPECS: readonly FlowSpec<unknown>[] = [
  callsFlowSpec,
  ordersFlowSpec,
  leadsFlowSpec,
];

export const FLOW_NAMES = FLOW_SPECS.map((flow) => flow.name);
