import path from 'node:path';
import {
  AppsV1Api,
  AutoscalingV2Api,
  BatchV1Api,
  type ConfigurationOptions,
  CoreV1Api,
  KubeConfig,
  NetworkingV1Api,
  Observable,
  type ObservableMiddleware,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ConfigError, UserError } from '../../errors.ts';

/**
 * The one place a kubeconfig is read. Only what opsbot was given is loaded: the file in
 * KUBECONFIG, or the pod's service account when opsbot runs in a cluster and KUBECONFIG is unset.
 * Never `loadFromDefault` (it would fall back to ~/.kube/config or a localhost API). Contexts the
 * policy does not list get no API clients at all.
 */

export interface KubeApis {
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  autoscaling: AutoscalingV2Api;
  networking: NetworkingV1Api;
}

export interface KubeClients {
  /** Context names in the kubeconfig (allowed or not). */
  contextNames(): string[];
  /** The kubeconfig's current-context. */
  currentContext(): string | undefined;
  /** The namespace a kubeconfig context names, if any. */
  contextNamespace(context: string): string | undefined;
  /** API clients for a context the policy allows; a UserError for any other. */
  apis(context: string): KubeApis;
  /**
   * Options for one API call: the request timeout, and a header (the patch Content-Type) when
   * given. The generated client would otherwise wait on a stuck API server forever.
   */
  options(header?: { name: string; value: string }): ConfigurationOptions<ObservableMiddleware>;
}

export interface KubeClientOptions {
  /** KUBECONFIG: a kubeconfig file, or several separated by `:` (merged as kubectl does). */
  kubeconfig: string | undefined;
  /** Running in a pod: the service account is used when `kubeconfig` is unset. */
  inCluster: boolean;
  /** The contexts opsbot.yaml allows (policy.kubernetes.contexts). */
  allowedContexts: readonly string[];
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;
/** What loadFromCluster names the service account's context; opsbot.yaml lists it under that name. */
export const IN_CLUSTER_CONTEXT = 'inClusterContext';

/** undefined when neither a kubeconfig nor in-cluster config is available: Kubernetes is off. */
export function createKubeClients(options: KubeClientOptions): KubeClients | undefined {
  const config = loadKubeConfig(options);
  if (!config) return undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const allowed = new Set(options.allowedContexts);
  const byContext = new Map<string, KubeApis>();

  const timeout: ObservableMiddleware = {
    pre: (request) => {
      request.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(request));
    },
    post: (response) => new Observable(Promise.resolve(response)),
  };

  return {
    contextNames: () => config.getContexts().map((c) => c.name),
    currentContext: () => config.getCurrentContext() || undefined,
    contextNamespace: (context) => config.getContextObject(context)?.namespace || undefined,
    apis(context) {
      if (!allowed.has(context)) {
        throw new UserError('k8s_context_not_allowed', `Context \`${context}\` is not allowed.`, `opsbot.yaml lists ${[...allowed].map((c) => `\`${c}\``).join(', ') || 'none'} under kubernetes.contexts.`);
      }
      const existing = byContext.get(context);
      if (existing) return existing;
      if (!config.getContextObject(context)) {
        throw new UserError('k8s_context_missing', `Context \`${context}\` is allowed in opsbot.yaml, but the kubeconfig has no such context.`, `The kubeconfig has ${config.getContexts().map((c) => `\`${c.name}\``).join(', ') || 'none'}.`);
      }
      const scoped = forContext(config, context);
      const apis: KubeApis = {
        core: scoped.makeApiClient(CoreV1Api),
        apps: scoped.makeApiClient(AppsV1Api),
        batch: scoped.makeApiClient(BatchV1Api),
        autoscaling: scoped.makeApiClient(AutoscalingV2Api),
        networking: scoped.makeApiClient(NetworkingV1Api),
      };
      byContext.set(context, apis);
      return apis;
    },
    options(header) {
      const base: ConfigurationOptions<ObservableMiddleware> = { middleware: [timeout], middlewareMergeStrategy: 'append' };
      return header ? setHeaderOptions(header.name, header.value, base) : base;
    },
  };
}

function loadKubeConfig(options: KubeClientOptions): KubeConfig | undefined {
  const config = new KubeConfig();
  const files = (options.kubeconfig ?? '').split(path.delimiter).filter((f) => f !== '');
  if (files.length > 0) {
    // Several files merge as kubectl merges them; the first one's current-context wins.
    files.forEach((file, i) => {
      try {
        if (i === 0) config.loadFromFile(file);
        else {
          const more = new KubeConfig();
          more.loadFromFile(file);
          config.mergeConfig(more, true);
        }
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        throw new ConfigError(`KUBECONFIG: cannot load ${JSON.stringify(file)} (${typeof code === 'string' ? code : firstLine(err)})`);
      }
    });
    if (config.getContexts().length === 0) throw new ConfigError(`KUBECONFIG: ${JSON.stringify(options.kubeconfig)} has no contexts`);
    return config;
  }
  if (options.inCluster) {
    config.loadFromCluster();
    return config;
  }
  return undefined;
}

/** A copy of the config whose current context is `context`: one client set per context, never switched. */
function forContext(config: KubeConfig, context: string): KubeConfig {
  const scoped = new KubeConfig();
  scoped.loadFromOptions({ clusters: config.getClusters(), users: config.getUsers(), contexts: config.getContexts(), currentContext: context });
  return scoped;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unreadable';
}
