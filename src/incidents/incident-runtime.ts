import type { Logger } from 'pino';
import type { AgentRunner } from '../agents/agent-runner.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import { SEVERITIES } from '../config/policy-schema.ts';
import type { Metrics } from '../http/metrics.ts';
import type { GitHubOps } from '../integrations/github/github-types.ts';
import type { CallerResolver } from '../slack/caller-resolver.ts';
import type { ChatPort } from '../slack/chat-port.ts';
import type { InboxHandler } from '../slack/inbox-worker.ts';
import type { ViewCommand } from '../slack/request-handlers.ts';
import type { PlaybookButton } from '../slack/views/incident-messages.ts';
import { createIncidentRepo } from '../store/incident-repo.ts';
import { createPagerDutyEventRepo } from '../store/pagerduty-event-repo.ts';
import type { Store } from '../store/types.ts';
import { escalationFilePath, loadEscalationPolicy } from './escalation-policy.ts';
import type { IncidentMetrics } from './incident-core.ts';
import { createIncidentService, type IncidentService } from './incident-service.ts';
import { createIncidentSlack, type IncidentSlack, type SlackCall } from './incident-slack.ts';
import { createIncidentHandlers, incidentViewCommands } from './incident-slack-handlers.ts';
import { createDueTimer } from '../due-timer.ts';
import type { Incident } from './incident-types.ts';
import { createPagerDutyClient } from './pagerduty-client.ts';
import { createPagerDutySender } from './pagerduty-sender.ts';

/**
 * Incidents as the app runs them: the escalation file read at start-up (a bad one stops start-up
 * with its file:line), PagerDuty when a routing key is configured, the service, its Slack
 * handlers and modals, and the one timer loop for pages, reminders and PagerDuty retries.
 */

export interface IncidentRuntimeDeps {
  config: Pick<Config, 'policy' | 'pagerduty' | 'dryRun' | 'configPath'> & { slack: Pick<Config['slack'], 'command'> };
  store: Store;
  chat: ChatPort;
  /** Slack Web API calls through the outbox. */
  slackCall: SlackCall;
  callers: CallerResolver;
  agents: AgentRunner;
  github?: GitHubOps;
  metrics?: Metrics;
  clock: Clock;
  log: Logger;
  redact(text: string): string;
  /** "Run playbook" buttons for an incident (the playbook feature). */
  playbooksFor?(incident: Incident): readonly PlaybookButton[];
  /** Reads the escalation file; default the filesystem. */
  readFile?: (path: string) => string;
}

export interface IncidentRuntime {
  service: IncidentService;
  /** Permalinks and the other Slack calls incidents make (App Home links through it too). */
  slack: IncidentSlack;
  viewCommands: Record<string, ViewCommand>;
  /** Inbox handlers: `reaction` (📌) and `shortcut` (declare from a message). */
  handlers: { reaction: InboxHandler; shortcut: InboxHandler };
  /** Arms the timers from what is stored (after a restart: what came due meanwhile runs now). */
  start(): void;
  stop(): void;
  /** Resolves when no timer run is in progress. */
  idle(): Promise<void>;
}

export function createIncidentRuntime(deps: IncidentRuntimeDeps): IncidentRuntime {
  const { config, store, clock } = deps;
  const log = deps.log.child({ component: 'incidents' });
  const policy = config.policy;
  const escalation = policy.incidents.escalationFile
    ? loadEscalationPolicy(escalationFilePath(config.configPath, policy.incidents.escalationFile), deps.readFile)
    : undefined;
  const repo = createIncidentRepo(store.db);
  const slack = createIncidentSlack({ call: deps.slackCall, log });

  const pagerDutyEvents = createPagerDutyEventRepo(store.db);
  const routingKey = config.pagerduty.routingKey;
  const sender = routingKey
    ? createPagerDutySender({
        repo: pagerDutyEvents,
        client: createPagerDutyClient({ url: config.pagerduty.eventsUrl, routingKey }),
        clock,
        log: log.child({ component: 'pagerduty' }),
        onDone(event, result, at) {
          const incident = repo.get(event.incident);
          if (!incident) return;
          const text = result.sent ? `PagerDuty ${event.action} accepted` : `PagerDuty ${event.action} failed: ${result.error}`;
          service.core.commit(incident, { event: { kind: 'pagerduty', text, who: null, at }, action: 'pagerduty', actor: { userId: 'system', channel: null }, details: { action: event.action, sent: result.sent } });
        },
      })
    : undefined;

  const metrics = deps.metrics;
  const incidentMetrics: IncidentMetrics | undefined = metrics && {
    declared: (severity) => metrics.incidentsDeclared.inc({ severity }),
    acknowledged: (severity, seconds) => metrics.incidentTimeToAcknowledge.observe({ severity }, seconds),
    resolved: (severity, seconds) => metrics.incidentTimeToResolve.observe({ severity }, seconds),
    open: (counts) => {
      for (const severity of SEVERITIES) metrics.incidentsOpen.set({ severity }, counts[severity]);
    },
  };

  // The closures below run only after start(), when `service` exists.
  const timers = createDueTimer({ name: 'incident timers', clock, log, nextDue: () => service.nextDue(), run: () => service.runDue() });
  const service: IncidentService = createIncidentService({
    repo,
    audit: store.audit,
    transaction: (fn) => store.transaction(fn),
    chat: deps.chat,
    slack,
    clock,
    log,
    policy,
    ...(escalation ? { escalation } : {}),
    ...(sender ? { pagerduty: { sender, events: pagerDutyEvents } } : {}),
    agents: deps.agents,
    ...(deps.github ? { github: deps.github } : {}),
    ...(incidentMetrics ? { metrics: incidentMetrics } : {}),
    dryRun: config.dryRun,
    commandPrefix: config.slack.command,
    redact: deps.redact,
    ...(deps.playbooksFor ? { playbooksFor: deps.playbooksFor } : {}),
    onTimersChanged: () => timers.poke(),
  });
  if (escalation) log.info({ file: escalation.file, rules: escalation.rules.length }, 'escalation policy loaded');

  return {
    service,
    slack,
    viewCommands: incidentViewCommands(),
    handlers: createIncidentHandlers({ service, slack, chat: deps.chat, callers: deps.callers, policy, log }),
    start() {
      service.core.reportOpen();
      timers.start();
    },
    stop: () => timers.stop(),
    idle: () => timers.idle(),
  };
}
