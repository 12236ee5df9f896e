import { Gauge, type Registry } from 'prom-client';

const cache = new WeakMap<Registry, ReturnType<typeof build>>();

function build(registry: Registry) {
  return {
    paused: new Gauge({
      name: 'touchline_leads_export_paused',
      help: 'Whether the points budget pauses the leads export now (1) or not (0).',
      registers: [registry],
    }),
    lag: new Gauge({
      name: 'touchline_leads_poll_lag_seconds',
      help: 'Now minus the newest instant of the Calltouch requests journal fully read and enqueued.',
      registers: [registry],
    }),
  };
}

/**
 * The export's own gauges, beside `touchline_leads_total` (docs/metrics.md):
 * a paused export and a growing lag are what an operator alerts on. Created once per registry.
 */
export function leadsExportMetrics(registry: Registry) {
  let group = cache.get(registry);
  if (!group) {
    group = build(registry);
    cache.set(registry, group);
  }
  return group;
}
