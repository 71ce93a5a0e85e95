import type { Logger } from 'pino';
import type { AgentRunner } from '../../agents/agent-runner.ts';
import type { AutorunSwitch } from '../../autorun-switch.ts';
import type { Clock } from '../../clock.ts';
import type { Config } from '../../config.ts';
import { createGitHubWebhook } from '../../http/github-webhook.ts';
import type { Route } from '../../http/server.ts';
import type { ChatPort } from '../../slack/chat-port.ts';
import type { InboxHandler } from '../../slack/inbox-worker.ts';
import { createCiRunRepo } from '../../store/ci-run-repo.ts';
import type { Store } from '../../store/types.ts';
import { type CiActions, createCiActions } from './ci-actions.ts';
import { createCiFailureFlow } from './ci-failure.ts';
import { createGitHubEventHandler } from './github-event-handler.ts';
import type { GitHubOps, PrRef } from './github-types.ts';
import { classifyGitHubEvent } from './webhook-events.ts';

export interface CiServicesDeps {
  config: Pick<Config, 'github' | 'policy' | 'dryRun'>;
  store: Store;
  chat: ChatPort;
  agents: AgentRunner;
  autorun: AutorunSwitch;
  /** Absent without GITHUB_TOKEN: failures are still reported, saying what could not be fetched. */
  github: GitHubOps | undefined;
  clock: Clock;
  log: Logger;
  /** The automatic review of opened pull requests (`github.ci.review_pull_requests`). */
  reviewPullRequest?: (pr: PrRef, log: Logger) => Promise<void>;
}

export interface CiServices {
  /** For the `ci …` commands. */
  actions: CiActions;
  /** The inbox handler of recorded GitHub deliveries. */
  inboxHandler: InboxHandler;
  /** `POST /webhooks/github`; accepted deliveries go to `onAccepted` (the inbox worker). */
  webhook(onAccepted: (inboxId: number, request: { kind: string; body: Record<string, unknown> }) => void): Route['handler'];
}

/** The GitHub webhook, the CI-failure flow and the `ci` commands' actions, wired for app.ts. */
export function createCiServices(deps: CiServicesDeps): CiServices {
  const { config, store, clock } = deps;
  const log = deps.log.child({ component: 'ci' });
  const ciRuns = createCiRunRepo(store.db);
  const refresh: { flow?: ReturnType<typeof createCiFailureFlow> } = {};
  const actions = createCiActions({
    github: deps.github,
    ciRuns,
    audit: store.audit,
    clock,
    dryRun: config.dryRun,
    policy: config.policy,
    log,
    onChange: async (key) => refresh.flow?.refresh(key),
  });
  const flow = createCiFailureFlow({ github: deps.github, ciRuns, actions, agents: deps.agents, chat: deps.chat, autorun: deps.autorun, policy: config.policy, dryRun: config.dryRun, clock, log });
  refresh.flow = flow;
  return {
    actions,
    inboxHandler: createGitHubEventHandler({ ci: flow, ...(deps.reviewPullRequest ? { reviewPullRequest: deps.reviewPullRequest } : {}) }),
    webhook: (onAccepted) =>
      createGitHubWebhook({
        secret: config.github.webhookSecret,
        store,
        clock,
        log: deps.log.child({ component: 'github-webhook' }),
        classify: (event, payload) => classifyGitHubEvent(event, payload, { repositories: config.policy.github.repositories, reviewPullRequests: config.policy.github.ci.reviewPullRequests }),
        onAccepted,
      }),
  };
}
