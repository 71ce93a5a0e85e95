import type { ChatPort } from '../../slack/chat-port.ts';
import type { ActionCatalog, ActionDefinition } from '../action.ts';
import type { GitHubOps } from '../../integrations/github/github-types.ts';
import { createGitHubActions, GITHUB_ACTION_NAMES } from './github-actions.ts';
import { createHttpAction, createHttpPostAction } from './http.ts';
import type { KubeOps } from '../../integrations/kubernetes/kube-types.ts';
import type { AuditRepo } from '../../store/types.ts';
import { createK8sActions, K8S_ACTION_NAMES } from './k8s-actions.ts';
import { createK8sReadActions, K8S_READ_ACTION_NAMES } from './k8s-read-actions.ts';
import { createShellAction } from './shell.ts';
import { type RunLocator, createSlackMessageAction } from './slack-message.ts';
import { createWaitUntilAction } from './wait-until.ts';

export interface ActionCatalogDeps {
  chat: ChatPort;
  runLocation: RunLocator;
  /** The whole environment shell steps inherit (PATH, HOME, LANG), before their own `env`. */
  baseEnv: Readonly<Record<string, string>>;
  /** Where shell steps run, and what their relative `cwd` is resolved against (default `.`: opsbot's working directory). */
  workDir?: string;
  fetch?: typeof fetch;
  /** Between SIGTERM and SIGKILL for a cancelled or timed-out shell step (default 5 s). */
  shellKillGraceMs?: number;
  /** Absent without GITHUB_TOKEN: the github.* actions still validate and fail at run time saying so. */
  github?: GitHubOps;
  /** Absent without a kubeconfig: the k8s.* actions still validate and fail at run time saying so. */
  kube?: KubeOps;
  /** Where the k8s.* writes record their before and after. */
  audit?: Pick<AuditRepo, 'append'>;
}

/** Every action a workflow step may name. The Kubernetes/GitHub issue adds `k8s.*` and `github.*` here. */
/** Every action's name, for `opsbot validate`, which checks workflows without building the catalog. */
export const ACTION_NAMES: readonly string[] = ['shell', 'shell.idempotent', 'http', 'http.post', 'wait-until', 'slack.message', ...GITHUB_ACTION_NAMES, ...K8S_ACTION_NAMES, ...K8S_READ_ACTION_NAMES];

export function createActionCatalog(deps: ActionCatalogDeps): ActionCatalog {
  const shell = {
    baseEnv: deps.baseEnv,
    ...(deps.workDir !== undefined ? { workDir: deps.workDir } : {}),
    ...(deps.shellKillGraceMs !== undefined ? { killGraceMs: deps.shellKillGraceMs } : {}),
  };
  const http = deps.fetch ? { fetch: deps.fetch } : {};
  const actions = [
    anyInput(createShellAction(shell)),
    anyInput(createShellAction(shell, { idempotent: true })),
    anyInput(createHttpAction(http)),
    anyInput(createHttpPostAction(http)),
    anyInput(createWaitUntilAction(http)),
    anyInput(createSlackMessageAction({ chat: deps.chat, runLocation: deps.runLocation })),
    ...createGitHubActions(deps.github ? { github: deps.github } : {}),
    ...createK8sActions({ ...(deps.kube ? { kube: deps.kube } : {}), ...(deps.audit ? { audit: deps.audit } : {}) }),
    // Read-only k8s.* actions the shipped playbooks collect with (issue 6).
    ...createK8sReadActions(deps.kube ? { kube: deps.kube } : {}),
  ];
  return new Map(actions.map((action) => [action.name, action]));
}

/**
 * The catalog holds actions of different input types; the engine only ever hands `run` what the
 * same action's `parse` returned, which is what makes forgetting the type here sound.
 */
function anyInput<Input>(action: ActionDefinition<Input>): ActionDefinition<never> {
  return action as unknown as ActionDefinition<never>;
}
