import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workflowDocumentSchema } from '../../src/workflows/definition-schema.ts';
import { formatDefinitionError, parseDefinition } from '../../src/workflows/load-definitions.ts';

/**
 * Every rule of the YAML form, each broken once: the message a person sees names the file, the
 * line and column to change, the key path and what is expected there.
 */

const FILE = 'workflows/deploy.yaml';

function problems(...lines: string[]): string[] {
  return parseDefinition(lines.join('\n'), FILE, { source: 'workflow' }).errors.map(formatDefinitionError);
}

/** A valid workflow up to `steps:` (lines 1-4), so each case writes only what it breaks. */
const HEAD = ['name: deploy', 'description: Ship it', 'role: deployer', 'steps:'];
const WAIT = '  - { id: pause, wait: 1s }';

function steps(...lines: string[]): string[] {
  return problems(...HEAD, ...lines);
}

describe('the workflow', () => {
  it('accepts the example documented in definition-schema.ts', () => {
    const source = readFileSync(fileURLToPath(new URL('../../src/workflows/definition-schema.ts', import.meta.url)), 'utf8');
    const example = /```yaml\n([\s\S]*?)\n \* ```/.exec(source)?.[1];
    expect(example).toBeDefined();
    const yaml = (example ?? '').split('\n').map((line) => line.replace(/^ \* ?/, '')).join('\n');
    const parsed = parseDefinition(yaml, FILE, { source: 'workflow', knownActions: new Set(['shell', 'http']) });
    expect(parsed.errors).toEqual([]);
    expect(parsed.definition?.steps.map((step) => step.kind)).toEqual(['action', 'action', 'approval', 'wait', 'parallel']);
  });

  it('accepts the smallest workflow, filling in the defaults', () => {
    expect(workflowDocumentSchema.parse({ name: 'deploy', description: 'Ship it', role: 'deployer', steps: [{ id: 'pause', wait: '1s' }] })).toStrictEqual({
      name: 'deploy',
      description: 'Ship it',
      params: {},
      run: { role: 'deployer' },
      triggers: { command: true, schedules: [] },
      steps: [{ kind: 'wait', id: 'pause', durationMs: 1000, continueOnError: false }],
    });
  });

  it.each([
    ['an unknown key', ['name: deploy', 'description: Ship it', 'role: deployer', 'stpes: []', 'steps:', WAIT], [
      `${FILE}:4:1: stpes: unknown key, expected one of: name, description, params, role, concurrency, triggers, steps`,
    ]],
    ['a name that is not kebab-case', ['name: Deploy_API', 'description: Ship it', 'role: deployer', 'steps:', WAIT], [
      `${FILE}:1:7: name: expected a kebab-case name like deploy-api, got "Deploy_API"`,
      `${FILE}:1:7: name: expected the file's name, "deploy", got "Deploy_API" (rename one of them)`,
    ]],
    ['no description', ['name: deploy', 'role: deployer', 'steps:', WAIT], [
      `${FILE}:1:1: description: required: a one-line description`,
    ]],
    ['no steps', ['name: deploy', 'description: Ship it', 'role: deployer', 'steps: []'], [
      `${FILE}:4:8: steps: expected at least one step`,
    ]],
    ['no role', ['name: deploy', 'description: Ship it', 'steps:', WAIT], [
      `${FILE}:1:1: role: required: one of viewer, responder, deployer, admin`,
    ]],
    ['a role that does not exist', ['name: deploy', 'description: Ship it', 'role: root', 'steps:', WAIT], [
      `${FILE}:3:7: role: expected one of viewer, responder, deployer, admin, got "root"`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(problems(...lines)).toEqual(expected);
  });
});

describe('params', () => {
  const withParams = (...lines: string[]) => problems('name: deploy', 'description: Ship it', 'role: deployer', 'params:', ...lines, 'steps:', WAIT);

  it('reads `params:` with every entry commented out as no params', () => {
    expect(problems('name: deploy', 'description: Ship it', 'role: deployer', 'params:', '  # version: { type: string }', 'steps:', WAIT)).toEqual([]);
  });

  it.each([
    ['a name CEL cannot read as params.<name>', ['  dry-run: { type: boolean }'], [
      `${FILE}:5:3: params.dry-run: expected a param name of lowercase letters, digits and _, starting with a letter, got "dry-run"`,
    ]],
    ['an unknown type', ['  version: { type: semver }'], [
      `${FILE}:5:20: params.version.type: expected string, number or boolean, got "semver"`,
    ]],
    ['a missing type', ['  version: { required: true }'], [
      `${FILE}:5:12: params.version.type: required: string, number or boolean`,
    ]],
    ['an unknown key', ['  version: { type: string, requried: true }'], [
      `${FILE}:5:28: params.version.requried: unknown key, expected one of: type, description, required, default, enum, pattern`,
    ]],
    ['a pattern on a number', ['  replicas: { type: number, pattern: "[0-9]+" }'], [
      `${FILE}:5:38: params.replicas.pattern: a pattern applies to string params only (this one is a number)`,
    ]],
    ['a pattern that is not a regular expression', ["  version: { type: string, pattern: 'v(\\d+' }"], [
      `${FILE}:5:37: params.version.pattern: expected a regular expression, got "v(\\\\d+" (Invalid regular expression: /^(?:v(\\d+)$/: Unterminated group)`,
    ]],
    ['a default the pattern refuses', ['  version: { type: string, pattern: "v\\\\d+", default: latest }'], [
      `${FILE}:5:55: params.version.default: must match v\\d+ (got "latest")`,
    ]],
    ['a default outside the enum', ['  env: { type: string, enum: [staging, production], default: prod }'], [
      `${FILE}:5:62: params.env.default: must be one of staging, production (got "prod")`,
    ]],
    ['a default of the wrong type', ['  replicas: { type: number, default: many }'], [
      `${FILE}:5:38: params.replicas.default: must be a number (got "many")`,
    ]],
    ['a required param with a default', ['  env: { type: string, required: true, default: staging }'], [
      `${FILE}:5:49: params.env.default: a required param takes no default (it would never be used): drop one of them`,
    ]],
    ['enum values of another type', ['  replicas: { type: number, enum: [1, two] }'], [
      `${FILE}:5:39: params.replicas.enum[1]: expected a number (the param's type), got "two"`,
    ]],
    ['an enum on a boolean', ['  dry: { type: boolean, enum: [yes, no] }'], [
      `${FILE}:5:31: params.dry.enum: a boolean param is true or false: it takes no enum`,
    ]],
    ['an empty enum', ['  env: { type: string, enum: [] }'], [
      `${FILE}:5:30: params.env.enum: expected at least one allowed value`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(withParams(...lines)).toEqual(expected);
  });
});

describe('role', () => {
  const withRole = (...lines: string[]) =>
    problems('name: deploy', 'description: Ship it', 'params:', '  env: { type: string, enum: [staging, production] }', '  service: { type: string }', ...lines, 'steps:', WAIT);

  it('takes a role per value of an enum param', () => {
    expect(withRole('role: { default: responder, by_param: env, values: { production: deployer } }')).toEqual([]);
  });

  it.each([
    ['by_param naming no declared param', ['role: { default: responder, by_param: environment, values: {} }'], [
      `${FILE}:6:39: role.by_param: expected the name of a declared param, got "environment" (declared: env, service)`,
    ]],
    ['by_param naming a param without an enum', ['role: { default: responder, by_param: service, values: { api: admin } }'], [
      `${FILE}:6:39: role.by_param: param service has no enum: a role per value needs the values listed`,
    ]],
    ['a value the enum does not have', ['role:', '  default: responder', '  by_param: env', '  values:', '    prod: deployer'], [
      `${FILE}:10:5: role.values.prod: "prod" is not a value of env (one of staging, production)`,
    ]],
    ['a mapping without a default role', ['role: { by_param: env, values: { production: deployer } }'], [
      `${FILE}:6:7: role.default: required: one of viewer, responder, deployer, admin`,
    ]],
    ['a role in values that does not exist', ['role: { default: responder, by_param: env, values: { production: owner } }'], [
      `${FILE}:6:66: role.values.production: expected one of viewer, responder, deployer, admin, got "owner"`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(withRole(...lines)).toEqual(expected);
  });
});

describe('concurrency and triggers', () => {
  const doc = (...lines: string[]) =>
    problems(
      'name: deploy',
      'description: Ship it',
      'role: deployer',
      'params:',
      '  service: { type: string, required: true }',
      '  version: { type: string, required: true, pattern: "v\\\\d+\\\\.\\\\d+\\\\.\\\\d+" }',
      '  replicas: { type: number, default: 1 }',
      ...lines,
      'steps:',
      WAIT,
    );

  it.each([
    ['an unknown mode', ['concurrency: { key: "${{ params.service }}", mode: wait }'], [
      `${FILE}:8:52: concurrency.mode: expected queue or refuse, got "wait"`,
    ]],
    ['a key reading step outputs', ['concurrency: { key: "${{ steps.pause.outputs.x }}" }'], [
      `${FILE}:8:21: concurrency.key: the concurrency key is known before any step runs: use params only`,
    ]],
    ['a key reading an undeclared param', ['concurrency: { key: "${{ params.env }}" }'], [
      `${FILE}:8:21: concurrency.key: params.env: no such param (declared: service, version, replicas)`,
    ]],
    ['a cron expression croner cannot read', ['triggers:', '  schedule:', '    - { cron: "61 * * * *", params: { service: api, version: v1.0.0 } }'], [
      `${FILE}:10:15: triggers.schedule[0].cron: expected a cron expression like '0 9 * * 1-5', got "61 * * * *" (Invalid value for minute: 61)`,
    ]],
    ['a cron expression that never fires', ['triggers:', '  schedule:', '    - { cron: "0 0 30 2 *", params: { service: api, version: v1.0.0 } }'], [
      `${FILE}:10:15: triggers.schedule[0].cron: expected a cron expression that fires, "0 0 30 2 *" never does`,
    ]],
    ['an unknown time zone', ['triggers:', '  schedule:', '    - { cron: "0 9 * * *", timezone: Mars/Olympus, params: { service: api, version: v1.0.0 } }'], [
      `${FILE}:10:38: triggers.schedule[0].timezone: expected an IANA time zone like Europe/Berlin, got "Mars/Olympus"`,
    ]],
    ['a scheduled param the workflow does not declare', ['triggers:', '  schedule:', '    - cron: "0 9 * * *"', '      params: { service: api, version: v1.0.0, env: prod }'], [
      `${FILE}:11:48: triggers.schedule[0].params.env: unknown param (declared: service, version, replicas)`,
    ]],
    ['a scheduled value its param refuses', ['triggers:', '  schedule:', '    - cron: "0 9 * * *"', '      params: { service: api, version: latest, replicas: two }'], [
      `${FILE}:11:40: triggers.schedule[0].params.version: must match v\\d+\\.\\d+\\.\\d+ (got "latest")`,
      `${FILE}:11:58: triggers.schedule[0].params.replicas: must be a number (got "two")`,
    ]],
    ['a schedule leaving out a required param', ['triggers:', '  schedule:', '    - cron: "0 9 * * *"', '      params: { service: api }'], [
      `${FILE}:11:15: triggers.schedule[0].params: missing required param version: a scheduled run has nobody to ask for it`,
    ]],
    ['a webhook token that is not a variable name', ['triggers:', '  webhook: { token_env: deploy-token }'], [
      `${FILE}:9:25: triggers.webhook.token_env: expected the name of an environment variable like DEPLOY_WEBHOOK_TOKEN, got "deploy-token"`,
    ]],
    ['an unknown trigger', ['triggers:', '  alert: true'], [
      `${FILE}:9:3: triggers.alert: unknown key, expected one of: command, schedule, webhook`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(doc(...lines)).toEqual(expected);
  });
});

describe('steps', () => {
  it.each([
    ['an id with capitals', ['  - { id: Build, wait: 1s }'], [
      `${FILE}:5:11: steps[0].id: expected a step id of lowercase letters, digits, - and _, starting with a letter, got "Build"`,
    ]],
    ['a step without an id', ['  - { wait: 1s }'], [
      `${FILE}:5:5: steps[0].id: required: a step id of lowercase letters, digits, - and _, starting with a letter`,
    ]],
    ['the same id twice, even inside a parallel branch', [WAIT, '  - id: both', '    parallel:', '      - - { id: pause, wait: 1s }'], [
      `${FILE}:8:17: steps[1].parallel[0][0].id: step id pause is used twice (first at steps[0]); ids are unique in the whole workflow`,
    ]],
    ['a step that does nothing', ['  - id: nothing', '    name: Nothing'], [
      `${FILE}:5:5: steps[0]: expected what the step does: one of action, approval, wait, parallel`,
    ]],
    ['a step doing two things', ['  - id: both', '    wait: 1s', '    action: shell'], [
      `${FILE}:7:5: steps[0].action: a step does one thing: it has wait already (make action a step of its own)`,
    ]],
    ['with on a step that is not an action', ['  - id: pause', '    wait: 1s', '    with: { seconds: 1 }'], [
      `${FILE}:7:5: steps[0].with: only an action step takes with`,
    ]],
    ['for_each_concurrency without for_each', ['  - id: build', '    action: shell', '    for_each_concurrency: 2'], [
      `${FILE}:7:5: steps[0].for_each_concurrency: for_each_concurrency needs for_each`,
    ]],
    ['a for_each that is not one whole template', ['  - id: build', '    action: shell', '    for_each: "${{ params.hosts }}, db"'], [
      `${FILE}:7:15: steps[0].for_each: expected one \${{ … }} expression as the whole value (a list), got "\${{ params.hosts }}, db"`,
    ]],
    ['a when that is not a template', ['  - id: pause', '    wait: 1s', '    when: yes'], [
      `${FILE}:7:11: steps[0].when: expected one \${{ … }} expression as the whole value (a condition), got "yes"`,
    ]],
    ['a for_each_concurrency of zero', ['  - id: build', '    action: shell', '    for_each: ${{ [1, 2] }}', '    for_each_concurrency: 0'], [
      `${FILE}:8:27: steps[0].for_each_concurrency: expected a whole number from 1 to 100, got 0`,
    ]],
    ['a timeout that is not a duration', ['  - id: build', '    action: shell', '    timeout: 10 minutes'], [
      `${FILE}:7:14: steps[0].timeout: expected a duration like 10m (30s, 5m, 4h, 7d or 1h30m), got "10 minutes"`,
    ]],
    ['a negative number of retries', [WAIT, WAIT.replace('pause', 'pause2'), '  - id: build', '    action: shell', '    retries:', '      max: -1'], [
      `${FILE}:10:12: steps[2].retries.max: expected a whole number from 0 to 10, got -1`,
    ]],
    ['too many retries, written short', ['  - id: build', '    action: shell', '    retries: 50'], [
      `${FILE}:7:14: steps[0].retries: expected a whole number from 0 to 10, got 50`,
    ]],
    ['a max_backoff below the backoff', ['  - id: build', '    action: shell', '    retries: { max: 3, backoff: 1m, max_backoff: 10s }'], [
      `${FILE}:7:50: steps[0].retries.max_backoff: expected at least the first backoff (1m), got 10s`,
    ]],
    ['an unknown key in retries', ['  - id: build', '    action: shell', '    retries: { max: 3, jitter: true }'], [
      `${FILE}:7:24: steps[0].retries.jitter: unknown key, expected one of: max, backoff, max_backoff`,
    ]],
    ['continue_on_error that is not a boolean', ['  - id: build', '    action: shell', '    continue_on_error: sometimes'], [
      `${FILE}:7:24: steps[0].continue_on_error: expected true or false, got "sometimes"`,
    ]],
    ['an output name CEL cannot read', ['  - id: build', '    action: shell', '    outputs: { image-tag: "${{ result.stdout }}" }'], [
      `${FILE}:7:16: steps[0].outputs.image-tag: expected an output name of letters, digits and _, got "image-tag"`,
    ]],
    ['an undo without an action', ['  - id: build', '    action: shell', '    undo: { with: { argv: [rollback] } }'], [
      `${FILE}:7:11: steps[0].undo.action: required: an action name like shell, http or slack.message`,
    ]],
    ['an action name that is not one', ['  - id: build', '    action: Shell Script'], [
      `${FILE}:6:13: steps[0].action: expected an action name like shell, http or slack.message, got "Shell Script"`,
    ]],
    ['a name that would reach Object.prototype, at any depth of with', ['  - id: build', '    action: http', '    with:', '      headers: { __proto__: { admin: true } }', '      constructor: x'], [
      `${FILE}:8:18: steps[0].with.headers.__proto__: "__proto__" is reserved: pick another name`,
      `${FILE}:9:7: steps[0].with.constructor: "constructor" is reserved: pick another name`,
    ]],
    ['with that is not a mapping', ['  - id: build', '    action: shell', '    with: [make]'], [
      `${FILE}:7:11: steps[0].with: expected a mapping of the action's inputs, got a list`,
    ]],
    ['a wait that is not a duration', ['  - id: pause', '    wait: soon'], [
      `${FILE}:6:11: steps[0].wait: expected a duration like 10m (30s, 5m, 4h, 7d or 1h30m), got "soon"`,
    ]],
    ['a wait of zero', ['  - id: pause', '    wait: 0'], [
      `${FILE}:6:11: steps[0].wait: expected a duration like 10m (30s, 5m, 4h, 7d or 1h30m), got 0`,
    ]],
    ['a parallel branch without steps', ['  - id: both', '    parallel:', '      - []'], [
      `${FILE}:7:9: steps[0].parallel[0]: expected a branch with at least one step`,
    ]],
    ['a parallel written as a list of steps instead of branches', ['  - id: both', '    parallel:', '      - { id: a, wait: 1s }'], [
      `${FILE}:7:9: steps[0].parallel[0]: expected a branch: a list of steps, got a mapping`,
    ]],
    ['a broken step inside a branch', ['  - id: both', '    parallel:', '      - - { id: a, wait: 1s }', '      - - { id: b, wait: later }'], [
      `${FILE}:8:26: steps[0].parallel[1][0].wait: expected a duration like 10m (30s, 5m, 4h, 7d or 1h30m), got "later"`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(steps(...lines)).toEqual(expected);
  });

  it('expands `retries: N` with the default backoff', () => {
    const def = parseDefinition([...HEAD, '  - { id: build, action: shell, retries: 2 }'].join('\n'), FILE, { source: 'workflow' }).definition;
    expect(def?.steps[0]?.retry).toEqual({ max: 2, backoffMs: 5_000, maxBackoffMs: 300_000 });
  });
});

describe('approvals', () => {
  const approval = (...lines: string[]) => steps('  - id: approve', '    approval:', ...lines);

  it('defaults to one approver and a day to decide', () => {
    const def = parseDefinition([...HEAD, '  - id: approve', '    approval: { approvers: { roles: [deployer] } }'].join('\n'), FILE, { source: 'workflow' }).definition;
    expect(def?.steps[0]).toStrictEqual({
      kind: 'approval',
      id: 'approve',
      approvers: { users: [], groups: [], roles: ['deployer'] },
      min: 1,
      expiresMs: 86_400_000,
      continueOnError: false,
      line: 5,
    });
  });

  it.each([
    ['a minimum above the users listed, when only users may approve', ['      approvers: { users: [U012ABCDEF, U034GHIJKL] }', '      min: 3'], [
      `${FILE}:8:12: steps[0].approval.min: expected at most 2 (the number of users who may approve), got 3`,
    ]],
    ['no approvers', ['      approvers: {}'], [
      `${FILE}:7:18: steps[0].approval.approvers: expected at least one approver: users, groups or roles`,
    ]],
    ['a user name where a user ID belongs', ['      approvers: { users: ["@alice"] }'], [
      `${FILE}:7:28: steps[0].approval.approvers.users[0]: expected a Slack user ID like U012ABCDEF, got "@alice"`,
    ]],
    ['a user group handle where its ID belongs', ['      approvers: { groups: [oncall] }'], [
      `${FILE}:7:29: steps[0].approval.approvers.groups[0]: expected a Slack user group ID like S0123ABCD, got "oncall"`,
    ]],
    ['an expiry that is not a duration', ['      approvers: { roles: [admin] }', '      expires: tomorrow'], [
      `${FILE}:8:16: steps[0].approval.expires: expected a duration like 1h (30s, 5m, 4h, 7d or 1h30m), got "tomorrow"`,
    ]],
    ['an unknown key', ['      approvers: { roles: [admin] }', '      reason_required: true'], [
      `${FILE}:8:7: steps[0].approval.reason_required: unknown key, expected one of: approvers, min, expires, message`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(approval(...lines)).toEqual(expected);
  });
});

describe('templates', () => {
  const doc = (...lines: string[]) => problems('name: deploy', 'description: Ship it', 'role: deployer', 'params:', '  env: { type: string }', 'steps:', ...lines);

  it.each([
    ['an expression that is not CEL', ['  - id: build', '    action: shell', '    with: { argv: [deploy, "${{ params.env = 1 }}"] }'], [
      `${FILE}:9:28: steps[0].with.argv[1]: \${{ params.env = 1 }}: unexpected character: =`,
    ]],
    ['a template never closed', ['  - id: build', '    action: shell', '    with: { argv: ["${{ params.env"] }'], [
      `${FILE}:9:20: steps[0].with.argv[0]: "\${{ params.env": the template is never closed with }}`,
    ]],
    ['an empty template', ['  - id: build', '    action: shell', '    outputs: { x: "${{ }}" }'], [
      `${FILE}:9:19: steps[0].outputs.x: \${{ }}: the expression is empty`,
    ]],
    ['a when that is not CEL', ['  - id: build', '    action: shell', "    when: ${{ params.env == 'prod' && }}"], [
      `${FILE}:9:11: steps[0].when: \${{ params.env == 'prod' && }}: unexpected token: EOF`,
    ]],
    ['an approval message that is not CEL', ['  - id: ok', '    approval: { approvers: { roles: [admin] }, message: "Ship ${{ params. }}?" }'], [
      `${FILE}:8:57: steps[0].approval.message: \${{ params. }}: expected IDENTIFIER, got EOF`,
    ]],
    ['a condition that cannot be true or false', ['  - id: build', '    action: shell', '    when: ${{ size(params.env) }}'], [
      `${FILE}:9:11: steps[0].when: \${{ size(params.env) }}: a condition must be true or false, but this is always a int`,
    ]],
    ['a name expressions do not have', ['  - id: build', '    action: shell', '    outputs: { image: "${{ reslt.stdout }}" }'], [
      `${FILE}:9:23: steps[0].outputs.image: \${{ reslt.stdout }}: unknown variable: reslt`,
    ]],
    ['values that do not mix', ['  - id: build', '    action: shell', '    for_each: ${{ [1, 2] + "3" }}'], [
      `${FILE}:9:15: steps[0].for_each: \${{ [1, 2] + "3" }}: no such overload: list<int> + string`,
    ]],
    ['a param that is not declared', ['  - id: build', '    action: shell', '    with: { argv: ["${{ params.enviroment }}"] }'], [
      `${FILE}:9:20: steps[0].with.argv[0]: params.enviroment: no such param (declared: env)`,
    ]],
    ['a step that comes later', ['  - id: build', '    action: shell', '    with: { argv: ["${{ steps.test.outputs.log }}"] }', '  - { id: test, action: shell }'], [
      `${FILE}:9:20: steps[0].with.argv[0]: steps.test: that step has not run yet here (it comes later, or in a parallel branch)`,
    ]],
    ['a step that does not exist', ['  - id: build', '    action: shell', '    when: ${{ steps.tset.outputs.ok }}'], [
      `${FILE}:9:11: steps[0].when: steps.tset: no step has this id`,
    ]],
    ['a step in a sibling parallel branch', ['  - id: both', '    parallel:', '      - - { id: a, action: shell }', "      - - { id: b, action: shell, when: '${{ steps.a.outputs.ok }}' }"], [
      `${FILE}:10:41: steps[0].parallel[1][0].when: steps.a: that step has not run yet here (it comes later, or in a parallel branch)`,
    ]],
    ['a step reading its own outputs', ['  - id: build', '    action: shell', '    outputs: { again: "${{ steps.build.outputs.image }}" }'], [
      `${FILE}:9:23: steps[0].outputs.again: steps.build: a step cannot read its own outputs`,
    ]],
    ['a dotted step id with a dash (a subtraction in CEL)', ['  - { id: build-image, action: shell }', '  - id: push', '    action: shell', '    with: { image: "${{ steps.build-image.outputs.tag }}" }'], [
      `${FILE}:10:20: steps[1].with.image: write steps['build-image'] (in steps.build-image the - is a subtraction)`,
    ]],
  ])('refuses %s', (_rule, lines, expected) => {
    expect(doc(...lines)).toEqual(expected);
  });

  it('leaves the names inside action inputs to the action (wait-until reads `probe`)', () => {
    expect(doc('  - id: ready', '    action: wait-until', '    with:', '      condition: ${{ probe.status == 200 && probe.json.ready }}', '      http: { url: http://127.0.0.1:8080/ready }')).toEqual([]);
  });

  it('accepts references to earlier steps, finished branches, the undo\'s own step, and quoted text', () => {
    expect(
      doc(
        '  - { id: build-image, action: shell, outputs: { tag: "${{ result.stdout }}" } }',
        '  - id: both',
        '    parallel:',
        "      - - { id: a, action: shell, with: { tag: \"${{ steps['build-image'].outputs.tag }}\" } }",
        '      - - { id: b, action: shell }',
        '        - { id: c, action: shell, when: "${{ steps.b.outputs.ok }}" }',
        '    outputs: { ok: "${{ steps.a.outputs.ok && steps.c.outputs.ok }}" }',
        '    undo: { action: shell, with: { argv: ["${{ steps.both.outputs.ok }}", "${{ \'steps.later is text\' }}"] } }',
        '  - id: after',
        '    action: slack.message',
        "    with: { text: \"${{ steps.a.outputs.ok }} ${{ params['env'] }} ${{ {'a': {'b': 1}} }}\" }",
      ),
    ).toEqual([]);
  });
});
