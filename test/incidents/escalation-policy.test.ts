import { describe, expect, it } from 'vitest';
import { defaultPolicy, parsePolicy } from '../../src/config.ts';
import { escalationFilePath, escalationRuleFor, parseEscalationPolicy } from '../../src/incidents/escalation-policy.ts';
import { validateEscalationFile } from '../../src/incidents/escalation-validate.ts';

const FILE = `defaults:
  repage_interval: 10m
policies:
  - service: api
    page: [S0ONCALL]
    escalate_to: [S0LEADS]
    ack_timeout: 5m
  - service: "*"
    severities: [P1]
    page: [S0ONCALL, S0SRE]
`;

function failure(text: string): string {
  try {
    parseEscalationPolicy(text, 'escalation.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('the escalation policy file', () => {
  it('reads rules with their defaults: P1 and P2, re-page every 5m unless said, 15m to acknowledge', () => {
    const policy = parseEscalationPolicy(FILE, 'escalation.yaml');
    expect(policy.rules).toEqual([
      { service: 'api', severities: ['P1', 'P2'], page: ['S0ONCALL'], escalateTo: ['S0LEADS'], repageIntervalMs: 600_000, ackTimeoutMs: 300_000, index: 0 },
      { service: null, severities: ['P1'], page: ['S0ONCALL', 'S0SRE'], escalateTo: [], repageIntervalMs: 600_000, ackTimeoutMs: 900_000, index: 1 },
    ]);
    expect(parseEscalationPolicy('policies:\n  - page: [S0ONCALL]\n', 'e.yaml').rules[0]).toMatchObject({ repageIntervalMs: 300_000, ackTimeoutMs: 900_000, severities: ['P1', 'P2'] });
    expect(parseEscalationPolicy('', 'empty.yaml').rules).toEqual([]);
  });

  it('applies the first rule that names the service and severity', () => {
    const policy = parseEscalationPolicy(FILE, 'escalation.yaml');
    expect(escalationRuleFor(policy, { service: 'api', severity: 'P2' })?.index).toBe(0);
    expect(escalationRuleFor(policy, { service: 'web', severity: 'P1' })?.index).toBe(1);
    expect(escalationRuleFor(policy, { service: null, severity: 'P1' })?.index).toBe(1);
    expect(escalationRuleFor(policy, { service: 'web', severity: 'P2' })).toBeUndefined();
    expect(escalationRuleFor(undefined, { service: 'api', severity: 'P1' })).toBeUndefined();
  });

  it.each([
    ['policies:\n  - service: api\n    page: [oncall]\n', 'escalation.yaml:3:12: policies[0].page[0]: expected a Slack user group ID like S0123ABCD (not a @handle), got "oncall"'],
    ['policies:\n  - service: api\n    page: []\n', 'escalation.yaml:3:11: policies[0].page: expected at least one user group to page'],
    ['policies:\n  - severities: [P0]\n    page: [S0ONCALL]\n', 'escalation.yaml:2:18: policies[0].severities[0]: expected one of P1, P2, P3, P4, got "P0"'],
    ['policies:\n  - page: [S0ONCALL]\n    repage_interval: often\n', 'escalation.yaml:3:22: policies[0].repage_interval: expected a duration like 5m (30s, 5m, 4h, 7d or 1h30m), got "often"'],
    ['policies:\n  - page: [S0ONCALL]\n    repage: 5m\n', 'escalation.yaml:3:5: policies[0].repage: unknown key, expected one of: service, severities, page, escalate_to, repage_interval, ack_timeout'],
    ['policies:\n  - service: api\n', 'escalation.yaml:2:5: policies[0].page: expected a list of Slack user group IDs to page, got nothing'],
    ['policies: [\n', 'escalation.yaml:2:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]'],
  ])('names the file, line and key of a mistake: %j', (text, message) => {
    expect(failure(text)).toBe(message);
  });

  it('is found beside opsbot.yaml unless its path is absolute', () => {
    expect(escalationFilePath('/etc/opsbot/opsbot.yaml', 'escalation.yaml')).toBe('/etc/opsbot/escalation.yaml');
    expect(escalationFilePath('./opsbot.yaml', 'escalation.yaml')).toBe('escalation.yaml');
    expect(escalationFilePath('./opsbot.yaml', '/srv/escalation.yaml')).toBe('/srv/escalation.yaml');
  });

  it('is checked by `opsbot validate` when opsbot.yaml names it', () => {
    const files: Record<string, string> = { 'conf/escalation.yaml': FILE, 'conf/bad.yaml': 'policies:\n  - page: [oncall]\n' };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return text;
    };
    const config = (file?: string) => ({ configPath: 'conf/opsbot.yaml', policy: file ? parsePolicy(`incidents:\n  escalation_file: ${file}\n`, 'opsbot.yaml') : defaultPolicy() });
    expect(validateEscalationFile(config(), read)).toBeUndefined();
    expect(validateEscalationFile(config('escalation.yaml'), read)).toEqual({ ok: true, line: 'conf/escalation.yaml: ok (2 rules)' });
    expect(validateEscalationFile(config('bad.yaml'), read)).toEqual({ ok: false, line: 'conf/bad.yaml:2:12: policies[0].page[0]: expected a Slack user group ID like S0123ABCD (not a @handle), got "oncall"' });
    expect(validateEscalationFile(config('missing.yaml'), read)).toEqual({ ok: false, line: 'conf/missing.yaml: cannot be read (ENOENT); it is named by incidents.escalation_file in opsbot.yaml' });
  });
});

describe('the incidents section of opsbot.yaml', () => {
  it('defaults to a channel per incident, anyone declaring, reminders after 30 minutes, no escalation file', () => {
    expect(defaultPolicy().incidents).toEqual({ mode: 'channel', channelPrefix: 'inc', declareRole: { P1: 'viewer', P2: 'viewer', P3: 'viewer', P4: 'viewer' }, statusReminderMs: 1_800_000 });
  });

  it('reads every key, and 0 or off turns reminders off', () => {
    const policy = parsePolicy('incidents:\n  mode: thread\n  channel_prefix: incident\n  declare_role: { P1: responder }\n  status_reminder: 0\n  escalation_file: esc.yaml\n', 'opsbot.yaml');
    expect(policy.incidents).toEqual({ mode: 'thread', channelPrefix: 'incident', declareRole: { P1: 'responder', P2: 'viewer', P3: 'viewer', P4: 'viewer' }, statusReminderMs: 0, escalationFile: 'esc.yaml' });
    expect(parsePolicy('incidents:\n  status_reminder: off\n', 'opsbot.yaml').incidents.statusReminderMs).toBe(0);
  });

  it.each([
    ['incidents:\n  mode: slack\n', 'opsbot.yaml:2:9: incidents.mode: expected channel or thread, got "slack"'],
    ['incidents:\n  channel_prefix: "#inc"\n', 'opsbot.yaml:2:19: incidents.channel_prefix: expected a channel name prefix of lowercase letters, digits, - and _ (at most 20), like inc, got "#inc"'],
    ['incidents:\n  declare_role: { P1: boss }\n', 'opsbot.yaml:2:23: incidents.declare_role.P1: expected one of viewer, responder, deployer, admin, got "boss"'],
  ])('explains %j', (text, message) => {
    expect(() => parsePolicy(text, 'opsbot.yaml')).toThrow(message);
  });
});
