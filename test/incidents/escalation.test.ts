import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { createSlackEmulator, DEFAULT_USERS } from '../../src/local/emulator/index.ts';
import { createIncidentRepo } from '../../src/store/incident-repo.ts';
import { createPagerDutyEventRepo } from '../../src/store/pagerduty-event-repo.ts';
import { createFakePagerDuty } from '../support/fake-pagerduty.ts';
import { ALICE, CAROL, elapse, GENERAL, INCIDENTS, type IncidentRig, useIncidentRig } from '../support/incident-rig.ts';
import { APP_TOKEN, BOT_TOKEN, SIGNING_SECRET } from '../support/opsbot.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';

/**
 * Paging through Slack with a controllable clock: an unacknowledged P1 is paged again on
 * schedule, escalated after the acknowledgement timeout, and left alone once acknowledged; the
 * schedule survives a restart; status reminders; PagerDuty against a loopback Events API v2.
 */

const MINUTE = 60_000;
const ESCALATION = `defaults:
  repage_interval: 5m
  ack_timeout: 12m
policies:
  - service: api
    severities: [P1, P2]
    page: [S0ONCALL]
    escalate_to: [S0LEADS]
  - severities: [P1]
    page: [S0ONCALL]
    repage_interval: 10m
`;

const { start, dir } = useIncidentRig();

function policy(extra = ''): string {
  const file = path.join(dir(), 'escalation.yaml');
  fs.writeFileSync(file, ESCALATION);
  return `channels:\n  incidents: ${INCIDENTS}\nincidents:\n  escalation_file: ${file}\n  status_reminder: 0\n${extra}`;
}

const pages = (o: IncidentRig) => o.emulator.messages(INCIDENTS).filter((m) => shown(m).includes('needs an acknowledgement'));
const repo = (o: IncidentRig) => createIncidentRepo(o.app.store.db);

describe('escalation', () => {
  it('re-pages an unacknowledged P1 on schedule and stops once someone acknowledges', async () => {
    const o = await start({ policy: policy() });
    await o.ops(ALICE, GENERAL, 'incident declare "Checkout down" sev=P1 service=api');
    expect(pages(o)).toHaveLength(1);
    expect(pages(o)[0]?.text).toContain('<!subteam^S0ONCALL>');
    expect(shown(pages(o)[0])).toContain(`Join <#${repo(o).get(1)!.channel}>`);

    await elapse(o, 4 * MINUTE);
    expect(pages(o)).toHaveLength(1);
    await elapse(o, 1 * MINUTE);
    expect(pages(o)).toHaveLength(2);
    expect(shown(pages(o)[1])).toContain('page 2');
    await elapse(o, 5 * MINUTE);
    expect(pages(o)).toHaveLength(3);

    const latest = pages(o).at(-1)!;
    await o.emulator.clickButton({ user: CAROL, channel: INCIDENTS, messageTs: latest.ts, actionId: 'ops.run:incident-ack' });
    await o.settle();
    expect(repo(o).get(1)).toMatchObject({ acknowledgedBy: CAROL, nextPageAt: null, pages: 3 });
    expect(o.privateTo(CAROL).join('\n')).toContain('You acknowledged INC-1; paging stopped.');

    await elapse(o, 60 * MINUTE);
    expect(pages(o)).toHaveLength(3);
    expect(repo(o).events(1).map((e) => e.kind)).toEqual(['declared', 'page', 'ack']);
    const summary = o.emulator.messages(repo(o).get(1)!.channel!)[0];
    expect(shown(summary)).toContain(`acknowledged by <@${CAROL}> after 10m`);
  });

  it('pages escalate_to as well once the acknowledgement timeout has passed', async () => {
    const o = await start({ policy: policy() });
    await o.ops(ALICE, GENERAL, 'incident declare "Checkout down" sev=P2 service=api');
    await elapse(o, 11 * MINUTE);
    expect(pages(o)).toHaveLength(3);
    expect(pages(o).every((m) => !m.text.includes('S0LEADS'))).toBe(true);

    await elapse(o, 1 * MINUTE);
    expect(pages(o)).toHaveLength(4);
    expect(pages(o)[3]?.text).toContain('<!subteam^S0ONCALL> <!subteam^S0LEADS>');
    expect(shown(pages(o)[3])).toContain('escalated: nobody acknowledged in time');
    expect(repo(o).events(1).filter((e) => e.kind === 'escalated').map((e) => e.text)).toEqual(['Not acknowledged after 12m: escalated to <!subteam^S0LEADS>']);

    await elapse(o, 5 * MINUTE);
    expect(pages(o)).toHaveLength(5);
    expect(pages(o)[4]?.text).toContain('S0LEADS');
  });

  it('pages nobody for a severity no rule names', async () => {
    const o = await start({ policy: policy() });
    await o.ops(ALICE, GENERAL, 'incident declare "Slow reports" sev=P3 service=api');
    await elapse(o, 30 * MINUTE);
    expect(pages(o)).toHaveLength(0);
    expect(repo(o).get(1)?.nextPageAt).toBeNull();

    await o.ops(ALICE, GENERAL, 'incident escalate INC-1');
    expect(o.privateTo(ALICE).at(-1)).toContain('Nobody to page for INC-1: no rule in');
    expect(pages(o)).toHaveLength(0);
  });

  it('starts paging when the severity is raised, and `incident escalate` pages the next level at once', async () => {
    const o = await start({ policy: policy() });
    await o.ops(ALICE, GENERAL, 'incident declare "Slow reports" sev=P3 service=api');
    await o.ops(ALICE, GENERAL, 'incident severity INC-1 P2');
    expect(pages(o)).toHaveLength(1);
    await o.ops(ALICE, GENERAL, 'incident ack INC-1');
    await o.ops(ALICE, GENERAL, 'incident escalate INC-1');
    expect(pages(o)).toHaveLength(2);
    expect(pages(o)[1]?.text).toContain('<!subteam^S0LEADS>');
    expect(repo(o).events(1).find((e) => e.kind === 'escalated')).toMatchObject({ who: ALICE, text: 'Escalated: paging <!subteam^S0ONCALL> <!subteam^S0LEADS>' });
    // Acknowledged already: an escalation pages once and schedules nothing.
    await elapse(o, 30 * MINUTE);
    expect(pages(o)).toHaveLength(2);
  });

  it('keeps paging on schedule across a restart: the next page time is stored, not held in memory', async () => {
    const clock = new ManualClock(Date.now());
    const slack = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN, appToken: APP_TOKEN });
    await slack.start();
    try {
      slack.addChannel({ id: INCIDENTS, name: 'incidents', members: [...DEFAULT_USERS.map((u) => u.id), slack.botUserId] });
      const text = policy();
      const first = await start({ policy: text, slack, clock });
      await first.ops(ALICE, GENERAL, 'incident declare "Checkout down" sev=P1 service=web');
      expect(pages(first)).toHaveLength(1);
      await elapse(first, 3 * MINUTE);
      await first.stop();

      // Down for 12 minutes: the page due at 10m is sent at start-up, then every 10 minutes.
      await clock.advance(12 * MINUTE);
      const second = await start({ policy: text, slack, clock });
      await until(second, 'the missed page is sent at start-up', () => pages(second).length === 2);
      await elapse(second, 9 * MINUTE);
      expect(pages(second)).toHaveLength(2);
      await elapse(second, 1 * MINUTE);
      expect(pages(second)).toHaveLength(3);
    } finally {
      await slack.stop();
    }
  });

  it('refuses to start with a broken escalation file, naming the file, line and key', async () => {
    const file = path.join(dir(), 'escalation.yaml');
    fs.writeFileSync(file, 'policies:\n  - service: api\n    page: [oncall]\n');
    const clock = new ManualClock(Date.now());
    const slack = createSlackEmulator({ clock, signingSecret: SIGNING_SECRET, botToken: BOT_TOKEN });
    await slack.start();
    try {
      await expect(start({ policy: `incidents:\n  escalation_file: ${file}\n`, slack, clock })).rejects.toThrow(
        `${file}:3:12: policies[0].page[0]: expected a Slack user group ID like S0123ABCD (not a @handle), got "oncall"`,
      );
    } finally {
      await slack.stop();
    }
  });
});

describe('status reminders', () => {
  it('remind the commander after the configured time without an update, counted again from each update', async () => {
    const o = await start({ policy: `channels:\n  incidents: ${INCIDENTS}\nincidents:\n  status_reminder: 30m\n` });
    await o.ops(ALICE, GENERAL, 'incident declare "Slow reports" sev=P3');
    const channel = repo(o).get(1)!.channel!;
    const reminders = () => o.read(channel).filter((t) => t.includes('no status update'));

    await elapse(o, 29 * MINUTE);
    expect(reminders()).toHaveLength(0);
    await elapse(o, 1 * MINUTE);
    expect(reminders()).toEqual([expect.stringContaining(`<@${ALICE}>: no status update on *INC-1* for 30m`)]);

    await elapse(o, 10 * MINUTE);
    await o.ops(ALICE, channel, 'incident update "report queries moved to the replica"');
    await elapse(o, 29 * MINUTE);
    expect(reminders()).toHaveLength(1);
    await elapse(o, 1 * MINUTE);
    expect(reminders()).toHaveLength(2);

    await o.ops(ALICE, channel, 'incident resolve --confirm "replica holds"');
    await elapse(o, 120 * MINUTE);
    expect(reminders()).toHaveLength(2);
  });
});

describe('PagerDuty', () => {
  const pagerduty = createFakePagerDuty();
  beforeAll(() => pagerduty.start());
  afterAll(() => pagerduty.stop());

  it('triggers with the incident id as dedup_key, retries a 429 with backoff, and acknowledges and resolves it', async () => {
    const o = await start({ policy: policy(), env: { PAGERDUTY_ROUTING_KEY: 'R0UTINGKEY0123456789abcdef012345', PAGERDUTY_EVENTS_URL: pagerduty.url } });
    const before = pagerduty.arrivals().length;
    pagerduty.script(429, 500);
    await o.ops(ALICE, GENERAL, 'incident declare "Checkout down" sev=P1 service=api');
    await until(o, 'PagerDuty was asked once', () => pagerduty.arrivals().length === before + 1, 50);
    expect(pagerduty.arrivals().at(-1)?.status).toBe(429);

    // The retry waits a minute after a 429 (PagerDuty asks for minutes), then 5 s after a 500.
    await elapse(o, 59_000, 1_000);
    expect(pagerduty.arrivals()).toHaveLength(before + 1);
    await elapse(o, 1_000, 1_000);
    await until(o, 'the retry', () => pagerduty.arrivals().length === before + 2, 50);
    expect(pagerduty.arrivals().at(-1)?.status).toBe(500);
    await elapse(o, 5_000, 1_000);
    await until(o, 'the second retry is accepted', () => pagerduty.accepted().length === 1, 200);

    const trigger = pagerduty.accepted()[0]!;
    expect(trigger).toMatchObject({
      routing_key: 'R0UTINGKEY0123456789abcdef012345',
      event_action: 'trigger',
      dedup_key: 'INC-1',
      payload: { summary: 'INC-1 (P1) Checkout down', source: 'api', severity: 'critical', component: 'api' },
    });

    await o.ops(ALICE, GENERAL, 'incident ack INC-1');
    await until(o, 'the acknowledge', () => pagerduty.accepted().length === 2, 200);
    await o.ops(ALICE, GENERAL, 'incident resolve INC-1 --confirm "failed over to the standby"');
    await until(o, 'the resolve', () => pagerduty.accepted().length === 3, 200);
    expect(pagerduty.accepted().slice(1)).toEqual([
      { routing_key: 'R0UTINGKEY0123456789abcdef012345', event_action: 'acknowledge', dedup_key: 'INC-1' },
      { routing_key: 'R0UTINGKEY0123456789abcdef012345', event_action: 'resolve', dedup_key: 'INC-1' },
    ]);
    expect(createPagerDutyEventRepo(o.app.store.db).forIncident(1).map((e) => [e.action, e.status, e.attempts])).toEqual([
      ['trigger', 'sent', 3],
      ['acknowledge', 'sent', 1],
      ['resolve', 'sent', 1],
    ]);
    expect(repo(o).events(1).filter((e) => e.kind === 'pagerduty').map((e) => e.text)).toEqual(['PagerDuty trigger accepted', 'PagerDuty acknowledge accepted', 'PagerDuty resolve accepted']);
  });

  it('in DRY_RUN sends nothing and says so on the timeline', async () => {
    const o = await start({ policy: policy(), env: { PAGERDUTY_ROUTING_KEY: 'R0UTINGKEY0123456789abcdef012345', PAGERDUTY_EVENTS_URL: pagerduty.url, DRY_RUN: '1' } });
    const before = pagerduty.arrivals().length;
    await o.ops(ALICE, GENERAL, 'incident declare "Checkout down" sev=P1 service=api');
    await elapse(o, 5 * MINUTE);
    expect(pagerduty.arrivals()).toHaveLength(before);
    expect(repo(o).events(1).some((e) => e.text === 'DRY RUN: would send PagerDuty trigger')).toBe(true);
  });
});
