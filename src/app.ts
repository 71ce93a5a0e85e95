import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'pino';
import { createAgentRunner, type AgentRunner } from './agents/agent-runner.ts';
import { createAutorunSwitch } from './autorun-switch.ts';
import { createLlmClient } from './agents/llm-client.ts';
import { githubTools } from './agents/tools/github-tools.ts';
import { kubernetesTools } from './agents/tools/kubernetes-tools.ts';
import { prometheusQueryTool } from './agents/tools/prometheus-query-tool.ts';
import type { Clock } from './clock.ts';
import { bootstrapAdmins } from './commands/bootstrap-admins.ts';
import type { Invocation } from './commands/command.ts';
import { createDispatcher } from './commands/dispatch.ts';
import { builtinCommands, featureCommands } from './commands/index.ts';
import { createRegistry } from './commands/registry.ts';
import type { Config } from './config.ts';
import { ConfigError, errorMessage } from './errors.ts';
import { createMetrics } from './http/metrics.ts';
import { createHttpServer, type Route, sendJson } from './http/server.ts';
import { WORKFLOW_WEBHOOK_PREFIX } from './http/workflow-webhook.ts';
import { GITHUB_INBOX_KIND, GITHUB_WEBHOOK_PATH } from './http/github-webhook.ts';
import { createAutoReview } from './integrations/github/auto-review.ts';
import { createCiServices } from './integrations/github/ci-services.ts';
import { createGitHubClient, type GitHubTiming } from './integrations/github/github-client.ts';
import { createGitHubOps } from './integrations/github/github-ops.ts';
import { createKubeClients } from './integrations/kubernetes/kube-client.ts';
import { createKubeOps } from './integrations/kubernetes/kube-ops.ts';
import { boltLogger } from './logger.ts';
import { createRedactor } from './redact.ts';
import { type BoltSlack, createBoltSlack } from './slack/bolt-app.ts';
import { createCallerResolver } from './slack/caller-resolver.ts';
import { createFreeTextHandler } from './slack/free-text.ts';
import type { ChatPort } from './slack/chat-port.ts';
import { createInboxWorker } from './slack/inbox-worker.ts';
import { createIntake, type Intake } from './slack/intake.ts';
import { createOutbox } from './slack/outbox.ts';
import { createReplier } from './slack/replier.ts';
import { createRequestHandlers, viewSubmissionErrors } from './slack/request-handlers.ts';
import { createSlackChat } from './slack/slack-chat.ts';
import { createWebClient, webClientOptions } from './slack/web-client.ts';
import { type Checkpointer, startCheckpointer } from './store/checkpointer.ts';
import { createGroupCommit } from './store/group-commit.ts';
import { openDatabase } from './store/open-database.ts';
import { createStore } from './store/store.ts';
import type { Store } from './store/types.ts';
import type { WorkflowEngine } from './workflows/engine.ts';
import { createWorkflowRuntime } from './workflows/workflow-runtime.ts';
import { createIncidentRuntime } from './incidents/incident-runtime.ts';
import type { IncidentService } from './incidents/incident-service.ts';
import { createHomeSections } from './slack/home-sections.ts';
import { createAlertTriage } from './alerts/triage-loop.ts';
import type { AlertTriage } from './alerts/triage-types.ts';
import { type AlertRuntime, createAlertRuntime } from './alerts/alert-runtime.ts';
import { createApproverCheck } from './workflows/approvers.ts';
import { incidentPlaybookButtons } from './incidents/incident-playbooks.ts';
import { alertGroupId } from './alerts/alert-group-id.ts';
import { toAlertGroup } from './alerts/alert-group.ts';
import { createAlertGroupRepo } from './store/alert-group-repo.ts';
import { playbookViewCommands } from './slack/views/playbook-views.ts';
import { createPlaybookRunner } from './workflows/playbook-runner.ts';
import type { PlaybookRunner } from './workflows/playbook-runner-types.ts';
import { createPlaybookTimeline } from './workflows/playbook-timeline.ts';

export interface HostInfo {
  hostname: string;
  pid: number;
  isProcessAlive(pid: number): boolean;
}

export interface AppDeps {
  config: Config;
  log: Logger;
  clock: Clock;
  host: HostInfo;
  /** Called when the app must not go on (another instance took the database over). */
  onFatal?: (err: Error) => void;
  /** On-demand workflow definitions (default `workflows`). */
  workflowsDir?: string;
  /** Alert-triggered playbooks, same schema (default `playbooks`). */
  playbooksDir?: string;
  /** The environment shell steps inherit: PATH, HOME and LANG only (main.ts fills it). Default: none. */
  baseEnv?: Record<string, string>;
  /**
   * The folder shell steps run in: relative paths in a workflow (`data/releases`, a step's `cwd`)
   * land under it. main.ts passes the process's working directory; absent, `.` is resolved by
   * Node against the same, once, here.
   */
  workDir?: string;
  /** Reads the variables workflows name as their webhook token (`triggers.webhook.token_env`). */
  secretEnv?: (name: string) => string | undefined;
  /** Octokit's retry, rate-limit and pacing timers (tests shrink them); default GitHub's guidance. */
  githubTiming?: Partial<GitHubTiming>;
}

export interface OpsApp {
  readonly store: Store;
  readonly chat: ChatPort;
  readonly metrics: ReturnType<typeof createMetrics>;
  /** Starts listening and working; resolves with the HTTP base URL. */
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** Resolves when no accepted request is being worked on (tests and the local shell wait on it). */
  idle(): Promise<void>;
  /** Workflow runs: the engine the commands drive. */
  readonly workflows: WorkflowEngine;
  /** The LLM agents (offline without ANTHROPIC_API_KEY). */
  readonly agents: AgentRunner;
  /** Incidents; other features report onto a timeline with `incidents.recordEvent(…)`. */
  readonly incidents: IncidentService;
  /** Playbook runs (issue 6): by a click, or by themselves where policy, switch and playbook allow. */
  readonly playbooks: PlaybookRunner;
  /** The alert triage loop (issue 7): alert intake calls `alertTriage.triage(…)` once per new group. */
  readonly alertTriage: AlertTriage;
  /** Alert intake (issue 7): webhooks, alert channels and backfill, grouping, group messages, silences. */
  readonly alerts: AlertRuntime;
}

const HEARTBEAT_MS = 10_000;
const RETENTION_SWEEP_MS = 60 * 60_000;
/** Per HTTP attempt to the Messages API; a triage with tools makes several. */
const LLM_TIMEOUT_MS = 60_000;
const LLM_MAX_RETRIES = 2;
/** How long stop() lets queued Slack calls go out (a busy channel is paced at one post a second); workflow messages dropped then are recovered at the next start. */
const STOP_DRAIN_MS = 5_000;

/** The composition root: wires every service from its dependencies and starts nothing. */
export function createApp(deps: AppDeps): OpsApp {
  const { config, clock } = deps;
  const log = deps.log;
  const redactor = createRedactor(config.secrets);
  const { botToken } = config.slack;
  if (!botToken) throw new ConfigError('SLACK_BOT_TOKEN: required to start the Slack app');

  const store = createStore(openDatabase(config.databasePath), { isProcessAlive: deps.host.isProcessAlive });
  const metrics = createMetrics();
  const slackLogger = boltLogger(log.child({ component: 'slack' }));
  const clientOptions = webClientOptions({ apiUrl: config.slack.apiUrl, logger: slackLogger });
  const client = createWebClient({ token: botToken, apiUrl: config.slack.apiUrl, logger: slackLogger });
  const outbox = createOutbox({
    client,
    clock,
    log: log.child({ component: 'outbox' }),
    onDepthChange: (depth: number) => metrics.outboxDepth.set(depth),
    onCall: (method: string, outcome: string) => metrics.slackCalls.inc({ method, outcome }),
  });
  const chat = createSlackChat({ outbox, client, log: log.child({ component: 'chat' }) });

  let bot: { userId: string; botId: string; teamId: string } | undefined;
  const recordRequest = createIntake({ store, clock, log: log.child({ component: 'intake' }), command: config.slack.command, alertChannels: config.alerts.channels, redact: (text) => redactor.redactString(text) });
  const intake: Intake = {
    setBot: (identity) => recordRequest.setBot(identity),
    accept(body) {
      const result = recordRequest.accept(body);
      metrics.requests.inc({ outcome: result.outcome });
      return result;
    },
  };

  // After the ack, a request's outcome row and its inbox completion commit together, grouped.
  const groupCommit = createGroupCommit(store, log.child({ component: 'store' }));
  const callers = createCallerResolver({
    roles: store.roles,
    client,
    clock,
    log,
    policy: { memberRole: config.policy.roles.default, guestRole: config.policy.roles.guests },
    teamId: () => bot?.teamId,
  });
  // GitHub (issue 5): one client for the pr/ci commands, the CI-failure flow, the github.* actions
  // and the agents' read-only tools. Without GITHUB_TOKEN there is none, and they say so.
  const github = config.github.token
    ? createGitHubOps({
        client: createGitHubClient({
          token: config.github.token,
          baseUrl: config.github.apiUrl,
          userAgent: 'opsbot',
          log,
          clock,
          ...(deps.githubTiming ? { timing: deps.githubTiming } : {}),
        }),
        policy: config.policy.github,
        clock,
        log,
      })
    : undefined;
  // Kubernetes (issue 5): only KUBECONFIG's file, or the pod's service account; only the contexts
  // opsbot.yaml allows get API clients. Without either there is none, and the k8s commands say so.
  const kubeClients = createKubeClients({ kubeconfig: config.kubeconfig, inCluster: config.inCluster, allowedContexts: Object.keys(config.policy.kubernetes.contexts) });
  const kube = kubeClients ? createKubeOps({ clients: kubeClients, policy: config.policy.kubernetes, clock, log }) : undefined;
  const workflows = createWorkflowRuntime({
    store,
    chat,
    client,
    clock,
    log,
    roleOf: async (userId) => (await callers.resolve(userId)).role,
    dryRun: config.dryRun,
    workflowsDir: deps.workflowsDir ?? 'workflows',
    playbooksDir: deps.playbooksDir ?? 'playbooks',
    baseEnv: deps.baseEnv ?? {},
    // Resolved once, so a later chdir in the process cannot move where steps run.
    workDir: path.resolve(deps.workDir ?? '.'),
    secretEnv: deps.secretEnv ?? (() => undefined),
    ...(github ? { github } : {}),
    ...(kube ? { kube } : {}),
  });
  const agents = createAgentRunner({
    ...(config.anthropic.apiKey
      ? {
          llm: createLlmClient({
            apiKey: config.anthropic.apiKey,
            ...(config.anthropic.baseUrl ? { baseUrl: config.anthropic.baseUrl } : {}),
            model: config.anthropic.model,
            timeoutMs: LLM_TIMEOUT_MS,
            maxRetries: LLM_MAX_RETRIES,
            clock,
            log,
          }),
        }
      : {}),
    runs: store.agentRuns,
    audit: store.audit,
    tools: [
      prometheusQueryTool({ url: config.prometheus.url, generatorHosts: config.policy.agents.tools.generatorUrlHosts, clock }),
      ...(github ? githubTools({ github, clock }) : []),
      ...(kube ? kubernetesTools({ kube }) : []),
    ],
    limits: config.policy.agents.tools,
    breaker: config.policy.agents.breaker,
    redactor,
    clock,
    log,
  });
  const autorun = createAutorunSwitch(store);
  // Incidents (issue 6): declare, channel or thread, timeline, paging and PagerDuty, postmortem.
  // Reads the escalation file now (a bad one stops start-up); its timers start in start().
  const incidentAlertGroups = createAlertGroupRepo(store.db);
  const incidents = createIncidentRuntime({
    config,
    store,
    chat,
    slackCall: (method, args) => outbox.call(method, args),
    callers,
    agents,
    ...(github ? { github } : {}),
    metrics,
    clock,
    log,
    redact: (text) => redactor.redactString(text),
    // "Run playbook" buttons: playbooks matching the incident's linked alert groups, or the incident itself.
    playbooksFor: (incident) =>
      incidentPlaybookButtons(incident, {
        definitions: () => workflows.definitions.values(),
        // The alerts that led to the incident carry the labels playbooks target.
        linkedAlertGroups: (linked) =>
          incidentAlertGroups.forIncident(linked.id).map((g) => ({ id: alertGroupId(g.id), group: toAlertGroup(g.key, incidentAlertGroups.alerts(g.id).map((a) => a.alert)) })),
      }),
  });
  // Playbooks (issue 6): started by a click (`playbook run`, the incident and alert-group buttons)
  // or by the triage loop; medium and high risk wait for an approval first; the run's start,
  // approvals and end go on its incident's timeline, observed from the engine's events.
  const playbookTimeline = createPlaybookTimeline({ store, incidents: incidents.service, log: log.child({ component: 'playbooks' }) });
  workflows.observe(playbookTimeline);
  const playbooks = createPlaybookRunner({
    engine: workflows.engine,
    definitions: () => workflows.definitions,
    store,
    policy: config.policy,
    autorun,
    incidents: incidents.service,
    timeline: playbookTimeline,
    ...(kube ? { kube } : {}),
    chat,
    clock,
    log,
    redact: (text) => redactor.redactString(text),
  });
  // Alert triage (issue 7): triage → fix ⇄ review within one model-call budget per new alert
  // group, an incident at the policy's threshold, auto-run as the policy allows, one reply in
  // the group's thread.
  const alertTriage = createAlertTriage({
    agents,
    playbooks: () => [...workflows.definitions.values()].filter((d) => d.source === 'playbook'),
    chat,
    autorun,
    audit: store.audit,
    policy: {
      autorunEnabled: config.policy.autorun.enabled,
      services: config.policy.services,
      declareIncidentAt: config.policy.alerts.incidentThreshold,
      ...(config.policy.alerts.replyPrefix ? { replyPrefix: config.policy.alerts.replyPrefix } : {}),
    },
    maxIterations: config.maxTriageIterations,
    dryRun: config.dryRun,
    clock,
    commandPrefix: config.slack.command,
    incidents: { incidents: incidents.service, declarer: () => bot?.userId ?? 'system', permalink: (channel, ts) => incidents.slack.permalink(channel, ts) },
    playbookRunner: playbooks,
  });
  // Alert intake (issue 7): POST /webhooks/alertmanager and /webhooks/grafana, messages in
  // ALERT_CHANNELS, `opsbot triage` backfill; grouped by the policy's windows into one Slack
  // message per group, triaged once per new group by the loop above.
  const alerts = createAlertRuntime({
    config,
    store,
    chat,
    slackCall: (method, args) => outbox.call(method, args),
    incidents: incidents.service,
    triage: alertTriage,
    clock,
    log,
  });
  const viewCommands = { ...workflows.viewCommands, ...incidents.viewCommands, ...playbookViewCommands(() => workflows.definitions) };
  const homeSections = createHomeSections({
    incidents: incidents.service,
    store,
    isApprover: createApproverCheck({ client, clock, log, roleOf: async (userId) => (await callers.resolve(userId)).role }).isApprover,
    permalink: (channel, ts) => incidents.slack.permalink(channel, ts),
    clock,
    log,
  });
  // The GitHub webhook (POST /webhooks/github), the CI-failure flow and the `ci` commands.
  const ci = createCiServices({
    config,
    store,
    chat,
    agents,
    autorun,
    github,
    clock,
    log,
    ...(github ? { reviewPullRequest: createAutoReview({ github, agents, chat, policy: config.policy, dryRun: config.dryRun }) } : {}),
  });
  const registry = createRegistry([...builtinCommands, ...featureCommands]);
  const dispatcher = createDispatcher({
    registry,
    store,
    clock,
    commandPrefix: config.slack.command,
    deps: {
      store,
      registry,
      workflows: workflows.services,
      policy: config.policy,
      autorun,
      ci: ci.actions,
      // The pr commands (PrCommandDeps).
      agents,
      ...(github ? { github } : {}),
      dryRun: config.dryRun,
      // The k8s commands (K8sCommandDeps).
      ...(kube ? { kube: { ops: kube, dryRun: config.dryRun } } : {}),
      // The incident commands (IncidentCommandDeps).
      incidents: incidents.service,
      // The playbook commands (PlaybookCommandDeps).
      playbooks,
      // The alert commands (AlertCommandDeps; `policy` above).
      alerts: alerts.service,
    },
    recordOutcome: (entry) => groupCommit.add(() => store.audit.append(entry)),
    freeText: createFreeTextHandler({
      runner: agents,
      registry,
      workflows: () => [...workflows.definitions.values()].filter((d) => d.source === 'workflow'),
      store,
      clock,
      policy: config.policy,
      commandPrefix: config.slack.command,
      redact: (text) => redactor.redactString(text),
    }),
    redact: (text) => redactor.redactString(text),
  });

  const dispatch = async (invocation: Invocation, requestLog: Logger) => {
    const caller = await callers.resolve(invocation.userId);
    const reply = createReplier({ chat, invocation, log: requestLog });
    const result = await dispatcher.dispatch(invocation, caller, reply, requestLog);
    metrics.commands.inc({ command: result.command ?? 'unknown', outcome: result.outcome });
    return result.outcome;
  };

  const worker = createInboxWorker({
    store,
    clock,
    log: log.child({ component: 'inbox' }),
    handlers: {
      ...createRequestHandlers({
        chat,
        callers,
        dispatch,
        makeReplier: (invocation, requestLog) => createReplier({ chat, invocation, log: requestLog }),
        botUserId: () => bot?.userId,
        commandName: config.slack.command,
        viewCommands,
        homeSections,
      }),
      // Recorded GitHub deliveries (POST /webhooks/github).
      [GITHUB_INBOX_KIND]: ci.inboxHandler,
      // 📌 reactions on incident messages, and "Declare incident from message".
      reaction: incidents.handlers.reaction,
      shortcut: incidents.handlers.shortcut,
      // Messages in ALERT_CHANNELS (the intake records them only there).
      message: alerts.messageHandler,
    },
    onDepthChange: (depth) => metrics.inboxDepth.set(depth),
    commit: (write) => groupCommit.add(write),
  });

  let slack: BoltSlack | undefined;
  let checkpointer: Checkpointer | undefined;
  let started = false;
  const slackEvents = (req: IncomingMessage, res: ServerResponse) => {
    // Until auth.test has passed there is no app to hand the request to; Slack retries a 503.
    if (!slack?.requestListener) return sendJson(res, 503, { ok: false, error: 'starting' });
    slack.requestListener(req, res);
  };
  const routes: Route[] = [
    { method: 'POST', path: '/slack/events', handler: slackEvents },
    { method: 'POST', path: WORKFLOW_WEBHOOK_PREFIX, prefix: true, handler: workflows.webhook },
    { method: 'POST', path: GITHUB_WEBHOOK_PATH, handler: ci.webhook((id, request) => worker.schedule(id, request)) },
    // POST /webhooks/alertmanager and /webhooks/grafana.
    ...alerts.routes,
    { method: 'GET', path: '/healthz', handler: (_req, res) => sendJson(res, 200, { ok: true }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: (_req, res) => {
        // Ready once start-up is through: Slack's auth.test passed and interrupted runs were resumed.
        const checks = { database: databaseOk(store), slack: bot !== undefined, workflows: started };
        const ok = checks.database && checks.slack && checks.workflows;
        sendJson(res, ok ? 200 : 503, { ok, checks });
      },
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        metrics.inboxDepth.set(store.inbox.depth());
        const body = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(body);
      },
    },
  ];
  const http = createHttpServer(routes, log.child({ component: 'http' }));

  const owner = `${deps.host.hostname}:${deps.host.pid}:${clock.now()}`;
  const timers: Array<() => void> = [];
  const every = (ms: number, fn: () => void) => {
    const tick = () => {
      try {
        fn();
      } catch (err) {
        log.error({ err }, 'periodic task failed');
      }
      timers.push(clock.setTimer(tick, ms));
    };
    timers.push(clock.setTimer(tick, ms));
  };

  async function authTest(): Promise<{ userId: string; botId: string; teamId: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await client.auth.test();
        return { userId: String(res.user_id), botId: String(res.bot_id), teamId: String(res.team_id) };
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        if (code === 'invalid_auth' || code === 'not_authed' || code === 'account_inactive' || code === 'token_revoked') {
          throw new ConfigError(`SLACK_BOT_TOKEN: Slack rejected the token (${code}); copy the Bot User OAuth Token again`);
        }
        log.warn({ err, attempt }, 'auth.test failed; retrying');
        await clock.sleep(Math.min(30_000, 500 * 2 ** attempt));
      }
    }
  }

  return {
    store,
    chat,
    metrics,
    agents,
    async start() {
      store.lock.acquire({ owner, host: deps.host.hostname, pid: deps.host.pid }, clock.now());
      if (!store.db.memory) checkpointer = startCheckpointer(store.db, { log: log.child({ component: 'checkpointer' }) });
      bootstrapAdmins(store, config.admins, clock.now());
      const { url } = await http.listen(config.http.port, config.http.host);
      bot = await authTest();
      // Before any request can reach a command: interrupted runs are taken up (or paused) first.
      await workflows.engine.resume();
      workflows.ui.recover();
      workflows.markReady();
      workflows.scheduler.start();
      intake.setBot({ userId: bot.userId, botId: bot.botId });
      alerts.setBot({ userId: bot.userId, botId: bot.botId });
      slack = createBoltSlack({
        mode: config.mode === 'socket' ? 'socket' : 'http',
        botToken,
        signingSecret: config.slack.signingSecret,
        appToken: config.slack.appToken,
        command: config.slack.command,
        bot,
        clientOptions,
        logger: slackLogger,
        intake,
        onAccepted: (id, request) => worker.schedule(id, request),
        onAck: (ms) => metrics.ackLatency.observe(ms / 1000),
        viewErrors: (body) => viewSubmissionErrors(viewCommands, body),
      });
      await slack.start();
      worker.resumeUnfinished();
      // Alert group messages decided and not delivered, triage cut off, windows that came due while down.
      alerts.start();
      // Pages, reminders and PagerDuty retries due while opsbot was down run now.
      incidents.start();
      every(HEARTBEAT_MS, () => {
        try {
          store.lock.heartbeat(owner, clock.now());
        } catch (err) {
          // Paused past the stale time and another instance took over: two must never work one file.
          log.fatal({ err }, 'instance lock lost; stopping');
          deps.onFatal?.(err as Error);
        }
      });
      every(RETENTION_SWEEP_MS, () => {
        const now = clock.now();
        store.events.prune(now - config.policy.retention.processedEventsMs);
        store.inbox.prune(now - config.policy.retention.inboxMs);
        store.agentRuns.prune(now - config.policy.agents.retentionMs);
        store.threadMemory.prune(now - config.policy.agents.memory.ttlMs);
      });
      started = true;
      log.info({ url, mode: config.mode, bot: bot.userId, dryRun: config.dryRun }, 'opsbot started');
      return { url };
    },
    async stop() {
      for (const cancel of timers.splice(0)) cancel();
      incidents.stop();
      alerts.stop();
      workflows.scheduler.stop();
      await http.close();
      await slack?.stop();
      await worker.stop();
      await incidents.idle();
      // Running steps are aborted and left for the next start to resume, as after a crash.
      await workflows.engine.stop();
      const giveUp = new AbortController();
      await Promise.race([
        outbox.drain().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'outbox not drained')),
        clock.sleep(STOP_DRAIN_MS, giveUp.signal).then(
          () => log.warn({ queued: outbox.depth() }, 'stopping with Slack calls still queued'),
          () => undefined,
        ),
      ]);
      giveUp.abort();
      outbox.stop();
      groupCommit.flush();
      await checkpointer?.stop();
      store.lock.release(owner);
      store.close();
    },
    async idle() {
      // Inbox work ingests alerts whose messages and triage run after it: wait for both.
      await worker.idle();
      await alerts.idle();
      await worker.idle();
    },
    workflows: workflows.engine,
    incidents: incidents.service,
    alertTriage,
    playbooks,
    alerts,
  };
}

function databaseOk(store: Store): boolean {
  try {
    store.db.prepare('select 1').get();
    return true;
  } catch {
    return false;
  }
}
