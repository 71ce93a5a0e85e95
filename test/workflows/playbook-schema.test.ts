import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../src/workflows/actions/catalog.ts';
import type { PlaybookSpec } from '../../src/workflows/definition.ts';
import { formatDefinitionError, loadDefinitions, parseDefinition } from '../../src/workflows/load-definitions.ts';

/**
 * The playbook keys (match, risk, remediation, autorun, params_from_alert): each rule broken once,
 * reported at the file:line:col a person has to change; the fixtures load as PlaybookSpecs.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/playbooks/', import.meta.url));
const FILE = 'playbooks/restart.yaml';

/** A valid playbook up to its playbook keys (lines 1-7), so each case writes only what it breaks. */
const HEAD = [
  'name: restart', // 1
  'description: Restart a pod', // 2
  'role: responder', // 3
  'params:', // 4
  '  namespace: { type: string, required: true }', // 5
  'steps:', // 6
  '  - { id: go, action: shell, with: { argv: [kubectl, version] } }', // 7
];

function problems(...lines: string[]): string[] {
  return parseDefinition([...HEAD, ...lines].join('\n'), FILE, { source: 'playbook' }).errors.map(formatDefinitionError);
}

function spec(...lines: string[]): PlaybookSpec | undefined {
  const parsed = parseDefinition([...HEAD, ...lines].join('\n'), FILE, { source: 'playbook' });
  expect(parsed.errors).toEqual([]);
  return parsed.definition?.playbook;
}

describe('the playbooks in test/fixtures/playbooks', () => {
  const { definitions, errors } = loadDefinitions({ dir: FIXTURES, source: 'playbook', knownActions: new Set(ACTION_NAMES) });

  it('all load, against the real action catalog', () => {
    expect(errors).toEqual([]);
    expect([...definitions.keys()]).toEqual(['bad-deploy-rollback', 'disk-filling-collect-usage', 'memory-pressure-scale-out', 'pod-crash-looping']);
    for (const playbook of definitions.values()) expect(playbook).toMatchObject({ source: 'playbook', playbook: expect.any(Object) });
  });

  it('read the crash-loop playbook into exactly its PlaybookSpec', () => {
    const expected: PlaybookSpec = {
      match: [
        { labels: { alertname: { equals: 'KubePodCrashLooping' } } },
        { text: { regex: 'CrashLoopBackOff|crash ?looping', ignoreCase: true }, labels: { namespace: { regex: '.+', ignoreCase: false } } },
      ],
      risk: 'low',
      remediation: 'restart-workload',
      autorun: { enabled: true, severities: ['P3', 'P4'] },
      paramsFromAlert: { namespace: 'namespace', pod: 'pod' },
    };
    expect(definitions.get('pod-crash-looping')?.playbook).toStrictEqual(expected);
  });

  it('keep a playbook plain data, the same after a trip through JSON', () => {
    const playbook = definitions.get('disk-filling-collect-usage');
    expect(JSON.parse(JSON.stringify(playbook))).toStrictEqual(playbook);
  });

  it('give the risky ones no auto-run', () => {
    const risks = [...definitions.values()].map((d) => `${d.name}: ${d.playbook?.risk} ${d.playbook?.remediation}, autorun ${d.playbook?.autorun.enabled}`);
    expect(risks).toEqual([
      'bad-deploy-rollback: high rollback-deploy, autorun false',
      'disk-filling-collect-usage: low investigate, autorun true',
      'memory-pressure-scale-out: medium scale-out, autorun false',
      'pod-crash-looping: low restart-workload, autorun true',
    ]);
  });
});

describe('a playbook', () => {
  it('accepts the example documented in playbooks/README.md', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../playbooks/README.md', import.meta.url)), 'utf8');
    const example = /```yaml\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    const parsed = parseDefinition(example ?? '', 'playbooks/pod-crash-looping.yaml', { source: 'playbook', knownActions: new Set(ACTION_NAMES) });
    expect(parsed.errors).toEqual([]);
    expect(parsed.definition?.playbook?.match).toHaveLength(3);
  });

  it('fills in the defaults: no auto-run, for P3 and P4 once enabled, no params from the alert', () => {
    expect(spec('risk: medium', 'remediation: scale-out', 'match:', '  - labels: { alertname: KubeHpaMaxedOut }')).toStrictEqual({
      match: [{ labels: { alertname: { equals: 'KubeHpaMaxedOut' } } }],
      risk: 'medium',
      remediation: 'scale-out',
      autorun: { enabled: false, severities: ['P3', 'P4'] },
      paramsFromAlert: {},
    });
  });

  it('reads exact values, /regex/ and /regex/i, services and text, leaving out empty conditions', () => {
    const read = spec(
      'risk: low',
      'remediation: investigate',
      'match:',
      "  - labels: { alertname: KubePodCrashLooping, namespace: /prod-.+/, severity: /WARNING/i, path: '/', code: '500' }",
      '    annotations: { summary: /crash/i }',
      '    services: [api, web, api]',
      '    text: OOMKilled|exit code 137',
      '  - labels: {}',
      '    text: /crash ?loop/i',
    )?.match;
    expect(read).toStrictEqual([
      {
        labels: {
          alertname: { equals: 'KubePodCrashLooping' },
          namespace: { regex: 'prod-.+', ignoreCase: false },
          severity: { regex: 'WARNING', ignoreCase: true },
          path: { equals: '/' },
          code: { equals: '500' },
        },
        annotations: { summary: { regex: 'crash', ignoreCase: true } },
        services: ['api', 'web'],
        text: { regex: 'OOMKilled|exit code 137', ignoreCase: false },
      },
      { text: { regex: 'crash ?loop', ignoreCase: true } },
    ]);
  });

  it.each([
    ['no risk, remediation or match', [], [
      `${FILE}:1:1: match: required: a list of matchers (any one matching is enough)`,
      `${FILE}:1:1: risk: required: low, medium, high`,
      `${FILE}:1:1: remediation: required: one of restart-workload, rollback-deploy, scale-out, raise-limits, add-capacity, free-disk, renew-certificate, fix-config, rerun-job, investigate, none`,
    ]],
    ['an unknown risk', ['risk: extreme', 'remediation: none', 'match: [{ text: x }]'], [
      `${FILE}:8:7: risk: expected low, medium, high, got "extreme"`,
    ]],
    ['a remediation not in the fixed list', ['risk: low', 'remediation: reboot-cluster', 'match: [{ text: x }]'], [
      `${FILE}:9:14: remediation: expected one of restart-workload, rollback-deploy, scale-out, raise-limits, add-capacity, free-disk, renew-certificate, fix-config, rerun-job, investigate, none, got "reboot-cluster"`,
    ]],
    ['an unknown key, listing the playbook keys', ['risk: low', 'remediation: none', 'match: [{ text: x }]', 'auto_run: { enabled: true }'], [
      `${FILE}:11:1: auto_run: unknown key, expected one of: name, description, params, role, concurrency, triggers, steps, match, risk, remediation, autorun, params_from_alert`,
    ]],
    ['an empty match list', ['risk: low', 'remediation: none', 'match: []'], [
      `${FILE}:10:8: match: expected at least one matcher`,
    ]],
    ['a matcher without conditions', ['risk: low', 'remediation: none', 'match:', '  - labels: {}'], [
      `${FILE}:11:5: match[0]: expected at least one of labels, annotations, services, text: a matcher without conditions would match every alert`,
    ]],
    ['an unknown matcher key', ['risk: low', 'remediation: none', 'match:', '  - { label: { alertname: X } }'], [
      `${FILE}:11:7: match[0].label: unknown key, expected one of: labels, annotations, services, text`,
    ]],
    ['a label regex that does not compile', ['risk: low', 'remediation: none', 'match:', '  - labels: { alertname: KubePodCrashLooping, pod: /api-(.+/ }'], [
      `${FILE}:11:52: match[0].labels.pod: expected a regular expression, got "/api-(.+/" (Invalid regular expression: /^(?:api-(.+)$/: Unterminated group)`,
    ]],
    ['an annotation regex that does not compile', ['risk: low', 'remediation: none', 'match:', '  - annotations: { summary: "/[a-/i" }'], [
      `${FILE}:11:29: match[0].annotations.summary: expected a regular expression, got "/[a-/i" (Invalid regular expression: /^(?:[a-)$/i: Range out of order in character class)`,
    ]],
    ['a text regex that does not compile', ['risk: low', 'remediation: none', 'match:', '  - text: /crash(loop/i'], [
      `${FILE}:11:11: match[0].text: expected a regular expression, got "/crash(loop/i" (Invalid regular expression: /crash(loop/i: Unterminated group)`,
    ]],
    ['a text pattern matching every alert', ['risk: low', 'remediation: none', 'match:', '  - text: /crash|/'], [
      `${FILE}:11:11: match[0].text: "/crash|/" matches any text, even none: it would match every alert`,
    ]],
    ['a label name Prometheus would not accept', ['risk: low', 'remediation: none', 'match:', '  - labels: { app.kubernetes.io/name: api }'], [
      `${FILE}:11:15: match[0].labels.app.kubernetes.io/name: expected a label name like namespace, got "app.kubernetes.io/name"`,
    ]],
    ['a label value that is not text', ['risk: low', 'remediation: none', 'match:', '  - labels: { code: 500 }'], [
      `${FILE}:11:21: match[0].labels.code: expected a text (quote numbers and true/false), or a regular expression written /…/ or /…/i, got 500`,
    ]],
    ['an empty services list', ['risk: low', 'remediation: none', 'match:', '  - services: []'], [
      `${FILE}:11:15: match[0].services: expected at least one service`,
    ]],
    ['params_from_alert naming a param the playbook does not declare', ['risk: low', 'remediation: none', 'match: [{ text: x }]', 'params_from_alert:', '  namespace: namespace', '  deployment: deployment'], [
      `${FILE}:13:3: params_from_alert.deployment: no such param (declared: namespace)`,
    ]],
    ['params_from_alert naming something that is not a label', ['risk: low', 'remediation: none', 'match: [{ text: x }]', 'params_from_alert: { namespace: "labels.namespace" }'], [
      `${FILE}:11:33: params_from_alert.namespace: expected an alert label name like namespace, got "labels.namespace"`,
    ]],
    ['a high-risk playbook that would auto-run', ['risk: high', 'remediation: rollback-deploy', 'match: [{ text: x }]', 'params_from_alert: { namespace: namespace }', 'autorun:', '  enabled: true'], [
      `${FILE}:13:12: autorun.enabled: high-risk playbooks never auto-run: set enabled: false (each run then waits for approval)`,
    ]],
    ['a medium-risk playbook that would auto-run', ['risk: medium', 'remediation: scale-out', 'match: [{ text: x }]', 'params_from_alert: { namespace: namespace }', 'autorun: { enabled: true }'], [
      `${FILE}:12:21: autorun.enabled: only low-risk playbooks auto-run (this one is medium risk): set enabled: false (each run then waits for approval)`,
    ]],
    ['auto-run while a required param is not filled from the alert', ['risk: low', 'remediation: restart-workload', 'match: [{ text: x }]', 'autorun: { enabled: true }'], [
      `${FILE}:11:21: autorun.enabled: param namespace is required and params_from_alert does not fill it: an automatic run has nobody to ask for it`,
    ]],
    ['auto-run for P1 or P2', ['risk: low', 'remediation: investigate', 'match: [{ text: x }]', 'autorun: { enabled: false, severities: [P2, P3] }'], [
      `${FILE}:11:41: autorun.severities[0]: expected P3 or P4 (P1 and P2 always wait for a person's approval), got "P2"`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(problems(...lines)).toEqual(expected);
  });

  it('reports every problem of the playbook keys and of the workflow at once', () => {
    expect(
      parseDefinition(['name: restart', 'description: Restart', 'role: root', 'steps:', '  - { id: go, wait: 1s }', 'risk: high', 'remediation: reboot', 'match: [{ text: "(" }]'].join('\n'), FILE, {
        source: 'playbook',
      }).errors.map(formatDefinitionError),
    ).toEqual([
      `${FILE}:3:7: role: expected one of viewer, responder, deployer, admin, got "root"`,
      `${FILE}:7:14: remediation: expected one of restart-workload, rollback-deploy, scale-out, raise-limits, add-capacity, free-disk, renew-certificate, fix-config, rerun-job, investigate, none, got "reboot"`,
      `${FILE}:8:17: match[0].text: expected a regular expression, got "(" (Invalid regular expression: /(/: Unterminated group)`,
    ]);
  });
});

describe('a workflow under workflows/', () => {
  const WORKFLOW = 'workflows/restart.yaml';

  it('refuses each playbook key, saying it belongs in playbooks/, and still reports its other problems', () => {
    const text = [...HEAD.slice(0, 2), 'role: root', ...HEAD.slice(3), 'risk: low', 'remediation: restart-workload', 'match:', '  - labels: { alertname: KubePodCrashLooping }', 'autorun: { enabled: true }', 'params_from_alert: { namespace: namespace }'].join('\n');
    const belongs = 'only playbooks take this key: a file using it belongs in playbooks/ (workflows/ holds workflows run on demand)';
    expect(parseDefinition(text, WORKFLOW, { source: 'workflow' }).errors.map(formatDefinitionError)).toEqual([
      `${WORKFLOW}:3:7: role: expected one of viewer, responder, deployer, admin, got "root"`,
      `${WORKFLOW}:8:1: risk: ${belongs}`,
      `${WORKFLOW}:9:1: remediation: ${belongs}`,
      `${WORKFLOW}:10:1: match: ${belongs}`,
      `${WORKFLOW}:12:1: autorun: ${belongs}`,
      `${WORKFLOW}:13:1: params_from_alert: ${belongs}`,
    ]);
  });

  it('loads without a playbook spec', () => {
    const parsed = parseDefinition(HEAD.join('\n'), WORKFLOW, { source: 'workflow' });
    expect(parsed.errors).toEqual([]);
    expect(parsed.definition).toMatchObject({ source: 'workflow' });
    expect(parsed.definition).not.toHaveProperty('playbook');
  });

  it('takes a fixture playbook as the error it is when it is dropped into workflows/', () => {
    const text = readFileSync(join(FIXTURES, 'bad-deploy-rollback.yaml'), 'utf8');
    const errors = parseDefinition(text, 'workflows/bad-deploy-rollback.yaml', { source: 'workflow' }).errors;
    expect(errors.map((error) => error.message.split(':')[0])).toEqual(['risk', 'remediation', 'match', 'params_from_alert']);
  });
});
