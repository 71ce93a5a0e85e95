import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { duration, section, showValue } from '../config/fields.ts';
import { joinProblems } from '../config/policy.ts';
import { SEVERITIES, type Severity } from '../config/policy-schema.ts';
import { ConfigError } from '../errors.ts';
import { formatProblem, locateIssues, parseYamlSource } from '../yaml-source.ts';

/**
 * The escalation policy file (`incidents.escalation_file` in opsbot.yaml): per service and
 * severity, which Slack user groups are paged, how often an unacknowledged incident is paged
 * again, and after how long without an acknowledgement the next groups are paged too. The first
 * rule that matches an incident applies; an incident no rule matches pages nobody.
 *
 * ```yaml
 * defaults:
 *   repage_interval: 5m
 *   ack_timeout: 15m
 * policies:
 *   - service: api            # left out or "*": any service
 *     severities: [P1, P2]    # default P1 and P2
 *     page: [S0123ONCALL]     # Slack user group IDs
 *     escalate_to: [S0456LEADS]
 * ```
 */

export interface EscalationRule {
  /** null: any service. */
  service: string | null;
  severities: Severity[];
  page: string[];
  escalateTo: string[];
  repageIntervalMs: number;
  ackTimeoutMs: number;
  /** Position in `policies`, for messages. */
  index: number;
}

export interface EscalationPolicy {
  file: string;
  rules: EscalationRule[];
}

export const DEFAULT_REPAGE_INTERVAL = '5m';
export const DEFAULT_ACK_TIMEOUT = '15m';

const USERGROUP = /^S[A-Z0-9]{2,}$/;
const SERVICE = /^(\*|[A-Za-z0-9][A-Za-z0-9._-]*)$/;

const groups = (what: string) =>
  z
    .array(
      z.string({ error: (iss) => `expected a Slack user group ID like S0123ABCD, got ${showValue(iss.input)}` }).regex(USERGROUP, {
        error: (iss) => `expected a Slack user group ID like S0123ABCD (not a @handle), got ${showValue(iss.input)}`,
      }),
      { error: (iss) => `expected a list of Slack user group IDs ${what}, got ${showValue(iss.input)}` },
    );

const ruleSchema = section({
  service: z.string({ error: (iss) => `expected a service name (or "*" for any), got ${showValue(iss.input)}` }).regex(SERVICE, {
    error: (iss) => `expected a service name of letters, digits, ., - and _ (or "*" for any), got ${showValue(iss.input)}`,
  }).optional(),
  severities: z
    .array(z.enum(SEVERITIES, { error: (iss) => `expected one of ${SEVERITIES.join(', ')}, got ${showValue(iss.input)}` }), {
      error: (iss) => `expected a list of severities like [P1, P2], got ${showValue(iss.input)}`,
    })
    .min(1, { error: 'expected at least one severity' })
    .default(['P1', 'P2']),
  page: groups('to page').min(1, { error: 'expected at least one user group to page' }),
  escalate_to: groups('to page after the acknowledgement timeout').default([]),
  repage_interval: duration(DEFAULT_REPAGE_INTERVAL).optional(),
  ack_timeout: duration(DEFAULT_ACK_TIMEOUT).optional(),
});

const fileSchema = section({
  defaults: section({
    repage_interval: duration(DEFAULT_REPAGE_INTERVAL).prefault(DEFAULT_REPAGE_INTERVAL),
    ack_timeout: duration(DEFAULT_ACK_TIMEOUT).prefault(DEFAULT_ACK_TIMEOUT),
  }),
  policies: z.array(ruleSchema, { error: (iss) => `expected a list of escalation rules, got ${showValue(iss.input)}` }).default([]),
});

/** The policy file's text → rules, or a ConfigError whose one line starts `file:line:col: key.path:`. */
export function parseEscalationPolicy(text: string, file: string): EscalationPolicy {
  const source = parseYamlSource(text, file);
  const result = fileSchema.safeParse(source.data);
  if (!result.success) throw new ConfigError(joinProblems(locateIssues(result.error.issues, source).map((p) => formatProblem(file, p))));
  const { defaults, policies } = result.data;
  return {
    file,
    rules: policies.map((rule, index) => ({
      service: rule.service === undefined || rule.service === '*' ? null : rule.service,
      severities: rule.severities,
      page: rule.page,
      escalateTo: rule.escalate_to,
      repageIntervalMs: rule.repage_interval ?? defaults.repage_interval,
      ackTimeoutMs: rule.ack_timeout ?? defaults.ack_timeout,
      index,
    })),
  };
}

/** Where the file named in opsbot.yaml is: relative names are beside opsbot.yaml. */
export function escalationFilePath(configPath: string, file: string): string {
  return isAbsolute(file) ? file : join(dirname(configPath), file);
}

/** Reads and parses the file; a missing or unreadable file is a ConfigError naming it. */
export function loadEscalationPolicy(path: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): EscalationPolicy {
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new ConfigError(`${path}: cannot be read (${typeof code === 'string' ? code : String(err)}); it is named by incidents.escalation_file in opsbot.yaml`);
  }
  return parseEscalationPolicy(text, path);
}

/** The first rule for this service and severity. */
export function escalationRuleFor(policy: EscalationPolicy | undefined, incident: { service: string | null; severity: Severity }): EscalationRule | undefined {
  return policy?.rules.find((rule) => rule.severities.includes(incident.severity) && (rule.service === null || rule.service === incident.service));
}
