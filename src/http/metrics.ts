import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** One registry per app instance (never prom-client's global), so tests and benches can run several. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'opsbot_' });
  return {
    registry,
    commands: new Counter({
      name: 'opsbot_commands_total',
      help: 'Commands run, by command name and outcome (ok, error, denied, invalid, unknown).',
      labelNames: ['command', 'outcome'] as const,
      registers: [registry],
    }),
    ackLatency: new Histogram({
      name: 'opsbot_ack_latency_seconds',
      help: 'Time from a Slack request reaching the app to its acknowledgement.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    requests: new Counter({
      name: 'opsbot_slack_requests_total',
      help: 'Slack requests that passed the signature check, by intake outcome (accepted, duplicate, ignored).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'opsbot_slack_api_calls_total',
      help: 'Slack Web API calls, by method and outcome (ok, error, rate_limited, retried).',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    outboxDepth: new Gauge({ name: 'opsbot_outbox_depth', help: 'Slack calls waiting in the outbox.', registers: [registry] }),
    inboxDepth: new Gauge({ name: 'opsbot_inbox_depth', help: 'Accepted requests not yet finished.', registers: [registry] }),
    // Incidents (issue 6).
    incidentsDeclared: new Counter({
      name: 'opsbot_incidents_declared_total',
      help: 'Incidents declared, by severity.',
      labelNames: ['severity'] as const,
      registers: [registry],
    }),
    incidentsOpen: new Gauge({ name: 'opsbot_incidents_open', help: 'Incidents not resolved, by severity.', labelNames: ['severity'] as const, registers: [registry] }),
    incidentTimeToAcknowledge: new Histogram({
      name: 'opsbot_incident_time_to_acknowledge_seconds',
      help: 'From declaring an incident to its acknowledgement, by severity.',
      labelNames: ['severity'] as const,
      buckets: [60, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400],
      registers: [registry],
    }),
    incidentTimeToResolve: new Histogram({
      name: 'opsbot_incident_time_to_resolve_seconds',
      help: 'From declaring an incident to its resolution, by severity.',
      labelNames: ['severity'] as const,
      buckets: [300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200, 604800],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
