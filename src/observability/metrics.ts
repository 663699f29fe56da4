import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, one registry per service instance so tests can run several side by side.
 * Capabilities receive the `Metrics` object and record into it; `/metrics` renders `registry`.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'elevate_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'elevate_http_requests_total',
      help: 'HTTP requests served, by route and status class',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'elevate_http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    armRequests: new Counter({
      name: 'elevate_arm_requests_total',
      help: 'Calls Elevate made to Azure Resource Manager, by purpose and status',
      labelNames: ['purpose', 'status'] as const,
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'elevate_decisions_total',
      help: 'Operation decisions, by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    auditAppends: new Counter({
      name: 'elevate_audit_appends_total',
      help: 'Audit log appends, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    tokenExchanges: new Counter({
      name: 'elevate_obo_exchanges_total',
      help: 'On-behalf-of token exchanges, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    signIns: new Counter({
      name: 'elevate_signins_total',
      help: 'Completed browser sign-ins, by outcome (completed, refused) and refusal reason',
      labelNames: ['outcome', 'reason'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
