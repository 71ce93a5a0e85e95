import { z } from 'zod';
import { REMEDIATIONS, type Remediation, type Severity } from '../agents/taxonomy.ts';
import { showValue } from '../config/fields.ts';
import type { AlertMatcher, ParamDefinition, Pattern, PlaybookSpec, Risk, ValueMatcher } from './definition.ts';
import { type Ctx, expecting, fail, flag, isMapping, mapping, matching, orEmpty, record, text } from './schema-kit.ts';

/**
 * The keys only a playbook (`playbooks/<name>.yaml`) takes on top of the workflow schema, and the
 * PlaybookSpec they become. playbooks/README.md documents them for the people writing playbooks.
 *
 * ```yaml
 * match:                           # any one entry matching is enough; each needs at least one condition
 *   - labels: { alertname: KubePodCrashLooping, namespace: /prod-.+/ }   # every label listed must match
 *     annotations: { summary: /crash loop/i }                            # exact text, or /regex/ on the whole value
 *     services: [api, checkout]    # the alert's service label (see playbook-match.ts)
 *     text: /CrashLoopBackOff/     # searched in alertname + summary + description
 * risk: low                        # low | medium | high
 * remediation: restart-workload    # what kind of fix (agents/taxonomy.ts REMEDIATIONS)
 * autorun: { enabled: true, severities: [P3, P4] }   # only low risk; default off, [P3, P4]
 * params_from_alert: { namespace: namespace, pod: pod }   # param ← the alert's own label
 * ```
 */

export const RISKS = ['low', 'medium', 'high'] as const satisfies readonly Risk[];

/** P1 and P2 always wait for a person, whatever a playbook says. */
export const AUTORUN_SEVERITIES = ['P3', 'P4'] as const satisfies readonly Severity[];

export const PLAYBOOK_KEYS = ['match', 'risk', 'remediation', 'autorun', 'params_from_alert'] as const;

// Prometheus' label names; annotations are looser (Grafana writes `__dashboardUid__`, `runbook_url`).
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SLASHED = /^\/([\s\S]+)\/(i?)$/;

/** `/…/` or `/…/i` → the Pattern between the slashes; any other text is not a regular expression. */
export function parseSlashed(written: string): Pattern | undefined {
  const found = SLASHED.exec(written);
  return found === null ? undefined : { regex: found[1] ?? '', ignoreCase: found[2] === 'i' };
}

/**
 * A Pattern as a RegExp: `whole` anchors it to the whole value (labels and annotations, like
 * Alertmanager's `=~`), otherwise it is searched for (text).
 */
export function compilePattern(pattern: Pattern, whole: boolean): RegExp {
  return new RegExp(whole ? `^(?:${pattern.regex})$` : pattern.regex, pattern.ignoreCase ? 'i' : '');
}

function compiles(pattern: Pattern, whole: boolean, written: string, ctx: Ctx): RegExp | undefined {
  try {
    return compilePattern(pattern, whole);
  } catch (err) {
    fail(ctx, `expected a regular expression, got ${showValue(written)} (${err instanceof Error ? err.message : String(err)})`, written);
    return undefined;
  }
}

const valueMatcher = z
  .string({ error: expecting('a text (quote numbers and true/false), or a regular expression written /…/ or /…/i') })
  .transform((written, ctx): ValueMatcher => {
    const pattern = parseSlashed(written);
    if (pattern === undefined) return { equals: written };
    compiles(pattern, true, written, ctx);
    return pattern;
  });

const textPattern = text('a regular expression, written /…/ or /…/i (for any case) or bare').transform((written, ctx): Pattern => {
  const pattern = parseSlashed(written) ?? { regex: written, ignoreCase: false };
  // A text pattern that matches the empty text (`/.*/`, `/a|/`) matches every alert.
  if (compiles(pattern, false, written, ctx)?.test('') === true) fail(ctx, `${showValue(written)} matches any text, even none: it would match every alert`, written);
  return pattern;
});

const MATCHER_KEYS = ['labels', 'annotations', 'services', 'text'] as const;

const matcherSchema = mapping(
  {
    labels: record(matching(LABEL_NAME, 'a label name like namespace'), valueMatcher, 'a mapping of label names to values').optional(),
    annotations: record(text('an annotation name'), valueMatcher, 'a mapping of annotation names to values').optional(),
    services: z.array(text('a service name'), { error: expecting('a list of service names') }).min(1, { error: 'expected at least one service' }).optional(),
    text: textPattern.optional(),
  },
  'a matcher',
).transform((raw, ctx): AlertMatcher => {
  const matcher: AlertMatcher = {};
  if (raw.labels !== undefined && Object.keys(raw.labels).length > 0) matcher.labels = raw.labels;
  if (raw.annotations !== undefined && Object.keys(raw.annotations).length > 0) matcher.annotations = raw.annotations;
  if (raw.services !== undefined) matcher.services = [...new Set(raw.services)];
  if (raw.text !== undefined) matcher.text = raw.text;
  // An unknown key (`label:`) already said what is wrong; "no conditions" would only repeat it.
  if (Object.keys(matcher).length === 0 && ctx.issues.length === 0) fail(ctx, `expected at least one of ${MATCHER_KEYS.join(', ')}: a matcher without conditions would match every alert`, raw);
  return matcher;
});

const autorunSchema = mapping(
  {
    enabled: flag().optional(),
    severities: z
      .array(z.enum(AUTORUN_SEVERITIES, { error: expecting(`${AUTORUN_SEVERITIES.join(' or ')} (P1 and P2 always wait for a person's approval)`) }), {
        error: expecting(`a list of severities like [${AUTORUN_SEVERITIES.join(', ')}]`),
      })
      .min(1, { error: 'expected at least one severity (or enabled: false)' })
      .optional(),
  },
  'the auto-run policy',
);

/** The zod shape of the playbook keys, merged into the workflow mapping by definition-schema.ts. */
export const playbookShape = {
  match: z.array(matcherSchema, { error: expecting('a list of matchers (any one matching is enough)') }).min(1, { error: 'expected at least one matcher' }),
  risk: z.enum(RISKS, { error: expecting(RISKS.join(', ')) }),
  remediation: z.enum(REMEDIATIONS, { error: expecting(`one of ${REMEDIATIONS.join(', ')}`) }),
  autorun: autorunSchema.optional(),
  params_from_alert: orEmpty(record(z.string(), matching(LABEL_NAME, 'an alert label name like namespace'), 'a mapping of param names to alert label names')).optional(),
};

interface RawPlaybook {
  match: AlertMatcher[];
  risk: Risk;
  remediation: Remediation;
  autorun?: { enabled?: boolean | undefined; severities?: Array<(typeof AUTORUN_SEVERITIES)[number]> | undefined } | undefined;
  params_from_alert?: Record<string, string> | undefined;
}

/** The checks across fields (params named, auto-run allowed) and the PlaybookSpec. */
export function toPlaybookSpec(raw: RawPlaybook, params: Record<string, ParamDefinition>, ctx: Ctx): PlaybookSpec {
  const paramsFromAlert = raw.params_from_alert ?? {};
  const declared = Object.keys(params);
  for (const name of Object.keys(paramsFromAlert)) {
    if (!Object.hasOwn(params, name)) {
      fail(ctx, `no such param (${declared.length === 0 ? 'this playbook declares no params' : `declared: ${declared.join(', ')}`})`, name, ['params_from_alert', name], 'key');
    }
  }

  const autorun = { enabled: raw.autorun?.enabled ?? false, severities: [...new Set(raw.autorun?.severities ?? AUTORUN_SEVERITIES)] };
  if (autorun.enabled) {
    const at = ['autorun', 'enabled'];
    if (raw.risk === 'high') fail(ctx, 'high-risk playbooks never auto-run: set enabled: false (each run then waits for approval)', true, at);
    else if (raw.risk !== 'low') fail(ctx, `only low-risk playbooks auto-run (this one is ${raw.risk} risk): set enabled: false (each run then waits for approval)`, true, at);
    for (const [name, param] of Object.entries(params)) {
      if (param.required && param.default === undefined && !Object.hasOwn(paramsFromAlert, name)) {
        fail(ctx, `param ${name} is required and params_from_alert does not fill it: an automatic run has nobody to ask for it`, true, at);
      }
    }
  }

  return { match: raw.match, risk: raw.risk, remediation: raw.remediation, autorun, paramsFromAlert };
}

/**
 * For workflows/: each playbook key is refused, saying where it belongs, and the rest of the
 * document is still checked by `schema`, so one run reports every problem of the file.
 */
export function withoutPlaybookKeys<T>(schema: z.ZodType<T, unknown>): z.ZodType<T, unknown> {
  return z.unknown().transform((input, ctx): T => {
    let rest = input;
    if (isMapping(input)) {
      const found = PLAYBOOK_KEYS.filter((key) => Object.hasOwn(input, key));
      for (const key of found) {
        fail(ctx, 'only playbooks take this key: a file using it belongs in playbooks/ (workflows/ holds workflows run on demand)', input[key], [key], 'key');
      }
      if (found.length > 0) rest = Object.fromEntries(Object.entries(input).filter(([key]) => !(PLAYBOOK_KEYS as readonly string[]).includes(key)));
    }
    const result = schema.safeParse(rest);
    if (result.success) return result.data;
    for (const issue of result.error.issues) ctx.issues.push({ ...issue, input: rest } as z.core.$ZodRawIssue);
    return z.NEVER;
  });
}
