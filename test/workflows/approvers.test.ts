import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator } from '../../src/local/emulator/index.ts';
import type { SlackEmulator } from '../../src/local/emulator/types.ts';
import type { Role } from '../../src/roles.ts';
import { createWebClient } from '../../src/slack/web-client.ts';
import { type ApproverCheck, createApproverCheck } from '../../src/workflows/approvers.ts';
import type { ApprovalStep } from '../../src/workflows/definition.ts';

const TOKEN = 'xoxb-approvers-test';
const none: ApprovalStep['approvers'] = { users: [], groups: [], roles: [] };

describe('isApprover', () => {
  let clock: ManualClock;
  let slack: SlackEmulator;
  let roles: Map<string, Role>;
  let check: ApproverCheck;

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    slack = createSlackEmulator({
      clock,
      signingSecret: 'approvers-test-secret',
      botToken: TOKEN,
      usergroups: [
        { id: 'S0ONCALL', handle: 'oncall', users: ['U0ALICE', 'U0BOB'] },
        { id: 'S0SRE', handle: 'sre', users: ['U0CAROL'] },
      ],
    });
    await slack.start();
    roles = new Map();
    check = createApproverCheck({
      client: createWebClient({ token: TOKEN, apiUrl: slack.apiUrl }),
      clock,
      log: pino({ level: 'silent' }),
      roleOf: (userId) => roles.get(userId) ?? null,
    });
  });

  afterEach(async () => {
    await slack.stop();
  });

  const groupLookups = () => slack.callsTo('usergroups.users.list').map((c) => c.args.usergroup);

  it('accepts a listed user without asking Slack', async () => {
    expect(await check.isApprover('U0DAVE', { ...none, users: ['U0DAVE'], groups: ['S0ONCALL'] })).toBe(true);
    expect(groupLookups()).toEqual([]);
  });

  it('accepts a member of a listed user group and nobody else', async () => {
    const approvers = { ...none, groups: ['S0SRE', 'S0ONCALL'] };

    expect(await check.isApprover('U0BOB', approvers)).toBe(true);
    expect(await check.isApprover('U0CAROL', approvers)).toBe(true);
    expect(await check.isApprover('U0DAVE', approvers)).toBe(false);
  });

  it("keeps a group's members for five minutes by the clock, then asks Slack again", async () => {
    const approvers = { ...none, groups: ['S0ONCALL'] };

    await Promise.all([check.isApprover('U0ALICE', approvers), check.isApprover('U0BOB', approvers)]);
    await check.isApprover('U0DAVE', approvers);
    await clock.advance(4 * 60_000 + 59_000);
    await check.isApprover('U0BOB', approvers);
    expect(groupLookups()).toEqual(['S0ONCALL']);

    await clock.advance(1_000);
    await check.isApprover('U0BOB', approvers);
    expect(groupLookups()).toEqual(['S0ONCALL', 'S0ONCALL']);
  });

  it('accepts anyone holding at least one of the listed roles', async () => {
    roles.set('U0ALICE', 'admin');
    roles.set('U0BOB', 'responder');
    roles.set('U0CAROL', 'viewer');
    const approvers = { ...none, roles: ['deployer', 'responder'] as Role[] };

    expect(await check.isApprover('U0ALICE', approvers)).toBe(true);
    expect(await check.isApprover('U0BOB', approvers)).toBe(true);
    expect(await check.isApprover('U0CAROL', approvers)).toBe(false);
    expect(await check.isApprover('U0DAVE', approvers)).toBe(false);
  });

  it('treats a group Slack cannot list as having nobody, and asks again next time', async () => {
    const approvers = { ...none, groups: ['S0GONE'] };

    expect(await check.isApprover('U0ALICE', approvers)).toBe(false);
    expect(await check.isApprover('U0ALICE', approvers)).toBe(false);
    expect(groupLookups()).toEqual(['S0GONE', 'S0GONE']);
  });
});
