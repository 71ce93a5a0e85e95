import { z } from 'zod';
import type { Role } from '../roles.ts';
import { channelId, duration, role, roleOrNone, section, showValue } from './fields.ts';

/**
 * opsbot.yaml: policy, as opposed to secrets and endpoints (those live in the environment).
 * The file is snake_case; the parsed Policy is camelCase with durations in milliseconds (`…Ms`).
 * Every key has a default, so an empty or missing file is a valid policy. New sections (incidents,
 * escalation, Kubernetes contexts, …) go in as new `section({...})` entries with defaults.
 */

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface EnvironmentPolicy {
  /** Least role that may change this environment (deploy, restart, scale, roll back). */
  roleToWrite: Role;
  /** Least role that may read its raw data (logs, agent transcripts, audit entries). */
  roleToReadRaw: Role;
}

export interface Policy {
  /** Where opsbot posts by default; unset means "the channel the request came from". */
  channels: { incidents?: string; alerts?: string; ci?: string };
  retention: {
    /** How long Slack event ids are remembered, so a retry is acked and not processed twice. */
    processedEventsMs: number;
    /** How long finished inbox entries are kept before they are pruned. */
    inboxMs: number;
  };
  roles: {
    /** What an unknown member of the workspace gets; null = nothing until granted. */
    default: Role | null;
    /** What Slack guests and Slack Connect users from other workspaces get. */
    guests: Role | null;
  };
  /** By environment name; `production` and `staging` always exist. */
  environments: Record<string, EnvironmentPolicy>;
  severities: Record<Severity, { description: string }>;
  autorun: {
    /** false: automatic actions never run; `/ops autorun off|on` is the run-time kill switch. */
    enabled: boolean;
  };
  /** By service name (the alert's `service`, `app`… label). */
  services: Record<string, { customerFacing: boolean }>;
  agents: {
    /** Turns of a thread the intent agent remembers, and for how long. */
    memory: { turns: number; ttlMs: number };
    tools: {
      maxCalls: number;
      maxResultChars: number;
      /**
       * Hosts an alert's generator URL may name for the Prometheus tool when PROMETHEUS_URL is
       * unset. Alert text is written by whoever sends the alert: it must not choose where opsbot
       * sends requests unless the host is listed here.
       */
      generatorUrlHosts: string[];
    };
    /** After this many model failures in a row, agents answer offline for `cooldownMs`. */
    breaker: { failures: number; cooldownMs: number };
    /** How long agent runs (inputs, transcripts, outputs) are kept. */
    retentionMs: number;
  };
  kubernetes: {
    /** Allowed kubeconfig contexts, each an environment with its allowed namespaces; nothing else is reachable. */
    contexts: Record<string, KubeContextPolicy>;
    /** Used when a command names no context; else the only context, or the kubeconfig's current one if allowed. */
    defaultContext?: string;
  };
  github: {
    /** `owner/repo` opsbot may act on; empty: any the token reaches. */
    repositories: string[];
    mergeMethod: 'merge' | 'squash' | 'rebase';
    /** Slack user id → GitHub login: nobody approves their own pull request through opsbot. */
    users: Record<string, string>;
    ci: {
      /** Re-run a failed run once by itself when the CI analyst calls it infrastructure or flaky (subject to `/ops autorun`). */
      rerunTransient: boolean;
      /** Review each opened pull request with the PR reviewer. */
      reviewPullRequests: boolean;
    };
  };
  /** Incidents: where they live, who may declare what, status reminders, the escalation file. */
  incidents: IncidentPolicy;
  /** Alert intake (issue 7): grouping, opsbot's posts in alert channels, the triage loop's incident threshold, silences. */
  alerts: AlertPolicy;
}

// ── alerts (issue 7, added) ──────────────────────────────────────────────────────────────────
export interface AlertPolicy {
  /** Labels alerts are grouped by (`service` = the alert's service by its service labels; `...` = every label). */
  groupBy: string[];
  /** Put before the text of opsbot's posts in alert channels (e.g. `[auto-ops]`); messages starting with it are never read as alerts. */
  replyPrefix?: string;
  /** The triage loop declares an incident for a group at or above this severity (P1 is highest). */
  incidentThreshold: Severity;
  /** The Silence buttons on a group's message, shortest first (at most 5). */
  silenceDurationsMs: number[];
}

export type IncidentMode = 'channel' | 'thread';

export interface IncidentPolicy {
  /** `channel`: each incident gets its own channel; `thread`: a thread in `channels.incidents`. */
  mode: IncidentMode;
  /** Incident channels are named `<prefix>-<n>-<slug of the title>`. */
  channelPrefix: string;
  /** Least role that may declare each severity. */
  declareRole: Record<Severity, Role>;
  /** Remind the commander when an open incident has had no status update for this long; 0: never. */
  statusReminderMs: number;
  /** The escalation policy file, relative to opsbot.yaml's folder; unset: nobody is paged. */
  escalationFile?: string;
}

export interface KubeNamespacePolicy {
  /** Overrides the environment's roles for this namespace (only ever stricter is sensible, any is allowed). */
  roleToWrite?: Role;
  roleToReadRaw?: Role;
}

export interface KubeContextPolicy {
  environment: string;
  namespaces: Record<string, KubeNamespacePolicy>;
}

export const DEFAULT_ENVIRONMENTS: Readonly<Record<string, EnvironmentPolicy>> = {
  production: { roleToWrite: 'deployer', roleToReadRaw: 'deployer' },
  staging: { roleToWrite: 'responder', roleToReadRaw: 'viewer' },
};

/** For an environment the defaults do not know: the production-like, stricter choice. */
export const UNKNOWN_ENVIRONMENT: EnvironmentPolicy = { roleToWrite: 'deployer', roleToReadRaw: 'deployer' };

export const DEFAULT_SEVERITIES: Readonly<Record<Severity, string>> = {
  P1: 'Critical: customer-facing outage, data loss or security breach. Page on-call now; all hands.',
  P2: 'Major: a core feature is down or badly degraded for many customers. Page on-call.',
  P3: 'Minor: limited impact or a workaround exists. Handle in working hours.',
  P4: 'Low: cosmetic or internal only, no customer impact. Track as a ticket.',
};

const ENVIRONMENT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** A whole number as YAML writes it (`turns: 10`). */
function count(min: number, max: number, fallback: number) {
  const message = (iss: { input?: unknown }) => `expected a whole number from ${min} to ${max}, got ${showValue(iss.input)}`;
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }).default(fallback);
}

const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]*$/;
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REPOSITORY = /^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/;

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CHANNEL_PREFIX = /^[a-z0-9][a-z0-9_-]{0,19}$/;
/** A Prometheus label name, or `...` (group by every label). */
const LABEL_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*|\.\.\.)$/;

const environmentEntry = section({
  role_to_write: role().optional(),
  role_to_read_raw: role().optional(),
});

const severityText = z
  .string({ error: (iss) => `expected a text describing when to use this severity, got ${showValue(iss.input)}` })
  .min(1, { error: 'expected a text describing when to use this severity, got an empty string' });

export const policySchema: z.ZodType<Policy> = section({
  channels: section({
    incidents: channelId().optional(),
    alerts: channelId().optional(),
    ci: channelId().optional(),
  }),
  retention: section({
    processed_events: duration('7d').prefault('7d'),
    inbox: duration('30d').prefault('30d'),
  }).transform((r) => ({ processedEventsMs: r.processed_events, inboxMs: r.inbox })),
  roles: section({
    default: roleOrNone().prefault('viewer'),
    guests: roleOrNone().prefault('none'),
  }),
  environments: z
    .preprocess(
      (value) => value ?? {},
      z.record(
        z.string().regex(ENVIRONMENT_NAME, { error: (iss) => `expected an environment name of lowercase letters, digits, - and _, got ${showValue(iss.input)}` }),
        environmentEntry,
        { error: (iss) => `expected a mapping of environment names, got ${showValue(iss.input)}` },
      ),
    )
    .transform((entries) => {
      const out: Record<string, EnvironmentPolicy> = { ...DEFAULT_ENVIRONMENTS };
      for (const [name, entry] of Object.entries(entries)) {
        const base = DEFAULT_ENVIRONMENTS[name] ?? UNKNOWN_ENVIRONMENT;
        out[name] = { roleToWrite: entry.role_to_write ?? base.roleToWrite, roleToReadRaw: entry.role_to_read_raw ?? base.roleToReadRaw };
      }
      return out;
    }),
  severities: section({
    P1: severityText.optional(),
    P2: severityText.optional(),
    P3: severityText.optional(),
    P4: severityText.optional(),
  }).transform((given) => {
    const out = {} as Record<Severity, { description: string }>;
    for (const severity of SEVERITIES) out[severity] = { description: given[severity] ?? DEFAULT_SEVERITIES[severity] };
    return out;
  }),
  autorun: section({
    enabled: z.boolean({ error: (iss) => `expected true or false, got ${showValue(iss.input)}` }).default(true),
  }),
  services: z.preprocess(
    (value) => value ?? {},
    z
      .record(
        z.string().regex(SERVICE_NAME, { error: (iss) => `expected a service name of letters, digits, ., - and _, got ${showValue(iss.input)}` }),
        section({ customer_facing: z.boolean({ error: (iss) => `expected true or false, got ${showValue(iss.input)}` }).default(false) }),
        { error: (iss) => `expected a mapping of service names, got ${showValue(iss.input)}` },
      )
      .transform((entries) => Object.fromEntries(Object.entries(entries).map(([name, entry]) => [name, { customerFacing: entry.customer_facing }]))),
  ),
  agents: section({
    memory: section({ turns: count(0, 50, 10), ttl: duration('24h').prefault('24h') }),
    tools: section({
      max_calls: count(0, 50, 8),
      max_result_chars: count(500, 100_000, 8000),
      generator_url_hosts: z
        .array(z.string().regex(/^[A-Za-z0-9.-]+(:\d+)?$/, { error: (iss) => `expected a host like prometheus.monitoring:9090, got ${showValue(iss.input)}` }), {
          error: (iss) => `expected a list of hosts, got ${showValue(iss.input)}`,
        })
        .default([]),
    }),
    breaker: section({ failures: count(1, 100, 3), cooldown: duration('5m').prefault('5m') }),
    retention: duration('90d').prefault('90d'),
  }).transform((a) => ({
    memory: { turns: a.memory.turns, ttlMs: a.memory.ttl },
    tools: { maxCalls: a.tools.max_calls, maxResultChars: a.tools.max_result_chars, generatorUrlHosts: a.tools.generator_url_hosts },
    breaker: { failures: a.breaker.failures, cooldownMs: a.breaker.cooldown },
    retentionMs: a.retention,
  })),
  kubernetes: section({
    contexts: z.preprocess(
      (value) => value ?? {},
      z.record(
        z.string().regex(CONTEXT_NAME, { error: (iss) => `expected a kubeconfig context name, got ${showValue(iss.input)}` }),
        section({
          environment: z.string({ error: (iss) => `expected the environment this context is (production, staging…), got ${showValue(iss.input)}` }).regex(ENVIRONMENT_NAME, {
            error: (iss) => `expected an environment name of lowercase letters, digits, - and _, got ${showValue(iss.input)}`,
          }),
          namespaces: z.preprocess(
            // A list of names is the common case; a mapping gives a namespace its own roles.
            (value) => (Array.isArray(value) ? Object.fromEntries(value.map((name) => [name, {}])) : value),
            z.record(
              z.string().regex(NAMESPACE_NAME, { error: (iss) => `expected a namespace name (lowercase letters, digits and -), got ${showValue(iss.input)}` }),
              z.preprocess((value) => value ?? {}, section({ role_to_write: role().optional(), role_to_read_raw: role().optional() })),
              { error: (iss) => `expected a list of namespaces, or a mapping of namespace to roles, got ${showValue(iss.input)}` },
            ),
          ),
        }),
        { error: (iss) => `expected a mapping of kubeconfig context names, got ${showValue(iss.input)}` },
      ),
    ),
    default_context: z.string().optional(),
  }).transform((k, ctx) => {
    const contexts: Record<string, KubeContextPolicy> = {};
    for (const [name, c] of Object.entries(k.contexts)) {
      const namespaces: Record<string, KubeNamespacePolicy> = {};
      for (const [ns, roles] of Object.entries(c.namespaces)) {
        namespaces[ns] = {
          ...(roles.role_to_write ? { roleToWrite: roles.role_to_write } : {}),
          ...(roles.role_to_read_raw ? { roleToReadRaw: roles.role_to_read_raw } : {}),
        };
      }
      contexts[name] = { environment: c.environment, namespaces };
    }
    if (k.default_context !== undefined && !(k.default_context in contexts)) {
      ctx.addIssue({ code: 'custom', path: ['default_context'], message: `expected one of the contexts listed under kubernetes.contexts (${Object.keys(contexts).join(', ') || 'none'}), got ${showValue(k.default_context)}` });
    }
    return { contexts, ...(k.default_context !== undefined ? { defaultContext: k.default_context } : {}) };
  }),
  github: section({
    repositories: z
      .array(z.string().regex(REPOSITORY, { error: (iss) => `expected owner/repo, got ${showValue(iss.input)}` }), { error: (iss) => `expected a list of owner/repo, got ${showValue(iss.input)}` })
      .default([]),
    merge_method: z.enum(['merge', 'squash', 'rebase'], { error: (iss) => `expected merge, squash or rebase, got ${showValue(iss.input)}` }).default('squash'),
    users: z
      .preprocess(
        (value) => value ?? {},
        z.record(
          z.string().regex(/^[UW][A-Z0-9]{2,}$/, { error: (iss) => `expected a Slack user ID like U0123ABCD, got ${showValue(iss.input)}` }),
          z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, { error: (iss) => `expected a GitHub login, got ${showValue(iss.input)}` }),
          { error: (iss) => `expected a mapping of Slack user IDs to GitHub logins, got ${showValue(iss.input)}` },
        ),
      ),
    ci: section({
      rerun_transient: z.boolean({ error: (iss) => `expected true or false, got ${showValue(iss.input)}` }).default(true),
      review_pull_requests: z.boolean({ error: (iss) => `expected true or false, got ${showValue(iss.input)}` }).default(false),
    }),
  }).transform((g) => ({
    repositories: g.repositories,
    mergeMethod: g.merge_method,
    users: g.users,
    ci: { rerunTransient: g.ci.rerun_transient, reviewPullRequests: g.ci.review_pull_requests },
  })),
  incidents: section({
    mode: z.enum(['channel', 'thread'], { error: (iss) => `expected channel or thread, got ${showValue(iss.input)}` }).default('channel'),
    channel_prefix: z
      .string({ error: (iss) => `expected a channel name prefix like inc, got ${showValue(iss.input)}` })
      .regex(CHANNEL_PREFIX, { error: (iss) => `expected a channel name prefix of lowercase letters, digits, - and _ (at most 20), like inc, got ${showValue(iss.input)}` })
      .default('inc'),
    declare_role: section({ P1: role().optional(), P2: role().optional(), P3: role().optional(), P4: role().optional() }),
    // YAML reads a bare 0 as a number; `0` and `off` both mean no reminders.
    status_reminder: z.preprocess((v) => (v === 0 || v === 'off' ? '0' : v), duration('30m', { allowZero: true })).prefault('30m'),
    escalation_file: z
      .string({ error: (iss) => `expected a file name like escalation.yaml, got ${showValue(iss.input)}` })
      .min(1, { error: 'expected a file name like escalation.yaml, got an empty string' })
      .optional(),
  }).transform((i) => {
    const declareRole = {} as Record<Severity, Role>;
    // Declaring is never blocked by default: in an emergency anyone may raise the alarm.
    for (const severity of SEVERITIES) declareRole[severity] = i.declare_role[severity] ?? 'viewer';
    return {
      mode: i.mode,
      channelPrefix: i.channel_prefix,
      declareRole,
      statusReminderMs: i.status_reminder,
      ...(i.escalation_file !== undefined ? { escalationFile: i.escalation_file } : {}),
    };
  }),
  // alerts (issue 7, added)
  alerts: section({
    group_by: z
      .array(z.string().regex(LABEL_NAME, { error: (iss) => `expected a label name like alertname (or ... for every label), got ${showValue(iss.input)}` }), {
        error: (iss) => `expected a list of label names, got ${showValue(iss.input)}`,
      })
      .min(1, { error: 'expected at least one label name' })
      .default(['alertname', 'service', 'namespace']),
    reply_prefix: z
      .string({ error: (iss) => `expected a short text like [auto-ops], got ${showValue(iss.input)}` })
      .max(40, { error: 'expected at most 40 characters' })
      .optional(),
    incident_threshold: z.enum(SEVERITIES, { error: (iss) => `expected one of ${SEVERITIES.join(', ')}, got ${showValue(iss.input)}` }).default('P2'),
    silence_durations: z
      .array(duration('4h'), { error: (iss) => `expected a list of durations like [1h, 4h, 24h], got ${showValue(iss.input)}` })
      .min(1, { error: 'expected at least one duration' })
      .max(5, { error: 'expected at most 5 durations (one button each)' })
      .prefault(['1h', '4h', '24h']),
  }).transform(
    (a): AlertPolicy => ({
      groupBy: a.group_by,
      ...(a.reply_prefix !== undefined && a.reply_prefix.trim() !== '' ? { replyPrefix: a.reply_prefix.trim() } : {}),
      incidentThreshold: a.incident_threshold,
      silenceDurationsMs: [...a.silence_durations].sort((x, y) => x - y),
    }),
  ),
});

export function defaultPolicy(): Policy {
  return policySchema.parse({});
}
