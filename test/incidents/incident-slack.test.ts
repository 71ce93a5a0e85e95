import { describe, expect, it } from 'vitest';
import { createIncidentRepo } from '../../src/store/incident-repo.ts';
import { shown, until } from '../support/workflow-slack-helpers.ts';
import { ALICE, BOB, CAROL, GENERAL, INCIDENTS, type IncidentRig, useIncidentRig } from '../support/incident-rig.ts';

/**
 * Incidents through Slack: a real opsbot talking to the Slack emulator, driven the way people
 * drive it — `/ops incident …`, the declare form, the message shortcut, 📌 reactions and clicks.
 */

const POLICY = `channels:\n  incidents: ${INCIDENTS}\n`;

const { start } = useIncidentRig();

function repo(o: IncidentRig) {
  return createIncidentRepo(o.app.store.db);
}

describe('declaring an incident', () => {
  it('by command: a channel is created with the commander in it, its summary pinned, and it is announced', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(ALICE, GENERAL, 'incident declare "API 500s on checkout" sev=P2 service=api');

    const channel = o.channelNamed('inc-1-api-500s-on-checkout');
    expect(channel).toBeDefined();
    expect(o.emulator.channels().find((c) => c.id === channel)?.members).toContain(ALICE);
    const [summary] = o.emulator.messages(channel!);
    expect(summary?.pinned).toBe(true);
    expect(shown(summary)).toContain('INC-1 · API 500s on checkout');
    expect(shown(summary)).toContain('P2');
    expect(shown(summary)).toContain(`<@${ALICE}>`);
    expect(shown(summary)).toContain('🔍 investigating');

    expect(o.read(INCIDENTS).join('\n')).toMatch(new RegExp(`INC-1.*API 500s on checkout.*<#${channel}>`));
    expect(o.privateTo(ALICE).join('\n')).toContain(`Declared *INC-1* (P2) API 500s on checkout in <#${channel}>`);

    const stored = repo(o).get(1)!;
    expect(stored).toMatchObject({ id: 'INC-1', severity: 'P2', status: 'investigating', commander: ALICE, service: 'api', channel, announceChannel: INCIDENTS });
    expect(repo(o).events(1).map((e) => e.kind)).toEqual(['declared']);
    expect(o.app.store.audit.list({ limit: 50 }).map((a) => a.action)).toContain('incident.declare');
  });

  it('by the form: `/ops incident declare` opens it, with each severity explained, and the submission declares', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(BOB, GENERAL, 'incident declare');
    const [modal] = o.emulator.views();
    expect(modal?.view.callback_id).toBe('incident_declare');
    const text = JSON.stringify(modal?.view);
    expect(text).toContain('Critical: customer-facing outage');
    expect(text).toContain('Low: cosmetic or internal only');

    await o.emulator.submitView({
      user: BOB,
      viewId: modal!.id,
      values: {
        title: { value: { type: 'plain_text_input', value: 'Search is slow' } },
        severity: { value: { type: 'static_select', selected_option: { value: 'P3' } } },
        summary: { value: { type: 'plain_text_input', value: 'p99 latency over 4s since 09:10' } },
        service: { value: { type: 'plain_text_input', value: 'search' } },
      },
    });
    await o.settle();
    expect(repo(o).get(1)).toMatchObject({ title: 'Search is slow', severity: 'P3', service: 'search', summary: 'p99 latency over 4s since 09:10', commander: BOB });
    expect(o.channelNamed('inc-1-search-is-slow')).toBeDefined();
  });

  it('keeps the form open with a message when the title is left empty', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(BOB, GENERAL, 'incident declare');
    const [modal] = o.emulator.views();
    await o.emulator.submitView({ user: BOB, viewId: modal!.id, values: { title: { value: { type: 'plain_text_input', value: '  ' } }, severity: { value: { type: 'static_select', selected_option: { value: 'P3' } } } } });
    await o.settle();
    expect(o.emulator.views()[0]?.errors).toEqual({ title: 'Give the incident a title.' });
    expect(repo(o).list({ limit: 5 })).toEqual([]);
  });

  it('from a message: the shortcut opens the form filled in, and that message is first on the timeline', async () => {
    const o = await start({ policy: POLICY });
    const { ts } = await o.emulator.userMessage({ user: CAROL, channel: GENERAL, text: 'checkout returns 502 for everyone\nstarted a minute ago' });
    await o.clock.advance(60_000);
    await o.emulator.messageShortcut({ user: ALICE, channel: GENERAL, messageTs: ts, callbackId: 'incident_declare_from_message' });
    await o.settle();
    const [modal] = o.emulator.views();
    expect(JSON.stringify(modal?.view)).toContain('checkout returns 502 for everyone');
    await o.emulator.submitView({
      user: ALICE,
      viewId: modal!.id,
      values: {
        title: { value: { type: 'plain_text_input', value: 'checkout returns 502 for everyone' } },
        severity: { value: { type: 'static_select', selected_option: { value: 'P1' } } },
      },
    });
    await o.settle();
    const events = repo(o).events(1);
    expect(events[0]).toMatchObject({ kind: 'note', who: CAROL, at: Math.round(Number(ts) * 1000) });
    expect(events[0]?.text).toContain('checkout returns 502 for everyone');
    expect(events[1]?.kind).toBe('declared');
  });

  it('in thread mode: the incident is a thread in the incidents channel whose root is the summary', async () => {
    const o = await start({ policy: `${POLICY}incidents:\n  mode: thread\n` });
    await o.ops(ALICE, GENERAL, 'incident declare "Queue backlog" sev=P3');
    const incident = repo(o).get(1)!;
    expect(incident).toMatchObject({ mode: 'thread', channel: INCIDENTS });
    expect(o.channelNamed('inc-1-queue-backlog')).toBeUndefined();
    const root = o.emulator.messages(INCIDENTS).find((m) => m.ts === incident.threadTs);
    expect(shown(root)).toContain('INC-1 · Queue backlog');

    await o.emulator.mention({ user: ALICE, channel: INCIDENTS, threadTs: incident.threadTs!, text: 'incident update "consumers scaled to 10" status=identified' });
    await o.settle();
    expect(repo(o).get(1)?.status).toBe('identified');
    expect(o.emulator.replies(INCIDENTS, incident.threadTs!).map(shown).join('\n')).toContain('consumers scaled to 10');
    expect(shown(o.emulator.messages(INCIDENTS).find((m) => m.ts === incident.threadTs))).toContain('🎯 identified');

    // 📌 on a reply in the incident's thread puts it on the timeline too.
    const { ts } = await o.emulator.userMessage({ user: CAROL, channel: INCIDENTS, threadTs: incident.threadTs!, text: 'backlog at 40k and falling' });
    await o.emulator.addReaction({ user: ALICE, channel: INCIDENTS, ts, name: 'pushpin' });
    await o.settle();
    expect(repo(o).events(1).find((e) => e.kind === 'note')).toMatchObject({ who: CAROL, text: `backlog at 40k and falling — 📌 by <@${ALICE}>` });
  });

  it('falls back to a thread when Slack will not create the channel', async () => {
    const o = await start({ policy: POLICY });
    o.emulator.intercept('conversations.create', () => ({ ok: false, error: 'restricted_action' }));
    await o.ops(ALICE, GENERAL, 'incident declare "DNS flaps" sev=P3');
    expect(repo(o).get(1)).toMatchObject({ mode: 'thread', channel: INCIDENTS });
    expect(repo(o).events(1).map((e) => e.text).join('\n')).toContain('restricted_action');
  });

  it('takes the next free name when a channel of that name exists', async () => {
    const o = await start({ policy: POLICY });
    o.emulator.addChannel({ id: 'C0TAKEN', name: 'inc-1-db-failover', members: [] });
    await o.ops(ALICE, GENERAL, 'incident declare "DB failover" sev=P3');
    expect(o.channelNamed('inc-1-db-failover-2')).toBe(repo(o).get(1)?.channel);
  });
});

describe('an incident channel', () => {
  async function declared(o: IncidentRig): Promise<string> {
    await o.ops(ALICE, GENERAL, 'incident declare "API 500s" sev=P2 service=api');
    return repo(o).get(1)!.channel!;
  }

  it('status updates edit the pinned summary in place', async () => {
    const o = await start({ policy: POLICY });
    const channel = await declared(o);
    const summaryTs = repo(o).get(1)!.summaryTs!;

    await o.ops(ALICE, channel, 'incident update "bad deploy found, rolling back" status=identified');
    await o.ops(ALICE, channel, 'incident update "error rate back to normal" status=monitoring');

    const summary = o.emulator.messages(channel).find((m) => m.ts === summaryTs);
    expect(summary?.edited?.count).toBeGreaterThanOrEqual(1);
    expect(shown(summary)).toContain('👀 monitoring');
    expect(shown(summary)).toContain('error rate back to normal');
    expect(summary?.pinned).toBe(true);
    expect(o.read(channel).join('\n')).toContain('bad deploy found, rolling back');
    expect(shown(o.find(INCIDENTS, /INC-1/))).toContain('👀 monitoring');
    const stored = repo(o).get(1)!;
    expect(stored.mitigatedAt).not.toBeNull();
    expect(repo(o).events(1).filter((e) => e.kind === 'status').map((e) => e.text)).toEqual([
      'investigating → identified: bad deploy found, rolling back',
      'identified → monitoring: error rate back to normal',
    ]);
  });

  it('a 📌 reaction puts the message on the timeline, once however many pin it', async () => {
    const o = await start({ policy: POLICY });
    const channel = await declared(o);
    const { ts } = await o.emulator.userMessage({ user: CAROL, channel, text: 'found it: the v2.3 migration locks the orders table' });
    await o.emulator.addReaction({ user: ALICE, channel, ts, name: 'pushpin' });
    await o.emulator.addReaction({ user: BOB, channel, ts, name: 'pushpin' });
    await o.emulator.addReaction({ user: ALICE, channel, ts, name: 'eyes' });
    await o.settle();

    const notes = repo(o).events(1).filter((e) => e.kind === 'note');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ who: CAROL, at: Math.round(Number(ts) * 1000) });
    expect(notes[0]?.text).toContain('found it: the v2.3 migration locks the orders table');

    await o.ops(BOB, channel, 'incident timeline');
    expect(o.privateTo(BOB).join('\n')).toContain('found it: the v2.3 migration locks the orders table');
  });

  it('ignores 📌 in channels that are not an incident’s', async () => {
    const o = await start({ policy: POLICY });
    await declared(o);
    const { ts } = await o.emulator.userMessage({ user: CAROL, channel: GENERAL, text: 'lunch?' });
    await o.emulator.addReaction({ user: ALICE, channel: GENERAL, ts, name: 'pushpin' });
    await o.settle();
    expect(repo(o).events(1).some((e) => e.text.includes('lunch'))).toBe(false);
  });

  it('roles: the commander hands over, the communications lead and responders are invited', async () => {
    const o = await start({ policy: POLICY });
    const channel = await declared(o);
    await o.ops(ALICE, channel, 'incident assign <@U0CAROL|carol> role=commander');
    await o.ops(ALICE, channel, 'incident assign <@U0BOB|bob> role=communications');
    const stored = repo(o).get(1)!;
    expect(stored).toMatchObject({ commander: CAROL, communications: BOB, responders: [ALICE] });
    expect(o.emulator.channels().find((c) => c.id === channel)?.members).toEqual(expect.arrayContaining([ALICE, BOB, CAROL]));
    expect(repo(o).events(1).filter((e) => e.kind === 'role').map((e) => e.text)).toEqual([`<@${CAROL}> is now commander (was <@${ALICE}>)`, `<@${BOB}> is now communications lead`]);
    const summary = o.emulator.messages(channel).find((m) => m.ts === stored.summaryTs);
    expect(shown(summary)).toContain(`*Commander*\n<@${CAROL}>`);
  });

  it('resolve asks to confirm, then records the durations and posts a postmortem whose timeline is the stored one', async () => {
    const o = await start({ policy: POLICY });
    const channel = await declared(o);
    await o.clock.advance(4 * 60_000);
    await o.ops(ALICE, channel, 'incident ack');
    await o.clock.advance(10 * 60_000);
    await o.ops(ALICE, channel, 'incident update "rolled back to v2.2" status=monitoring');
    await o.ops(CAROL, channel, 'incident note the v2.3 migration caused the lock');
    await o.clock.advance(20 * 60_000);

    await o.ops(ALICE, channel, 'incident resolve "rollback held for 20 minutes"');
    expect(repo(o).get(1)?.status).toBe('monitoring');
    const prompt = o.ephemeralsOf(ALICE, channel).at(-1)!;
    expect(shown({ channel, ts: prompt.ts, text: prompt.text, ...(prompt.blocks ? { blocks: prompt.blocks } : {}) })).toMatch(/Time to acknowledge: 4m · to mitigate: 14m · to resolve: 34m/);

    await o.emulator.clickButton({ user: ALICE, channel, messageTs: prompt.ts, actionId: 'ops.run:incident-resolve-confirm' });
    await o.settle();
    const stored = repo(o).get(1)!;
    expect(stored).toMatchObject({ status: 'resolved', resolution: 'rollback held for 20 minutes' });
    expect(stored.resolvedAt! - stored.declaredAt).toBeGreaterThanOrEqual(34 * 60_000);

    const file = o.emulator.messages(channel).flatMap((m) => m.files ?? []).find((f) => f.name === 'INC-1-postmortem.md');
    expect(file).toBeDefined();
    const markdown = file!.content;
    expect(markdown).toContain('# Postmortem: API 500s');
    for (const heading of ['## Summary', '## Impact', '## Timeline', '## Contributing factors', '## Action items']) expect(markdown).toContain(heading);
    const rows = markdown
      .split('\n')
      .filter((l) => /^\| \d\d:\d\d/.test(l))
      .map((l) => l.split(' | ').map((c) => c.replace(/^\| |\s*\|$/g, '').trim()));
    const events = repo(o).events(1);
    expect(rows.map((r) => r[2])).toEqual(events.map((e) => e.kind));
    expect(rows.map((r) => r[0])).toEqual(events.map((e) => new Date(e.at).toISOString().slice(11, 16)));
    expect(rows.map((r) => r[1])).toEqual(events.map((e) => (e.who ? `@${o.emulator.users().find((u) => u.id === e.who)!.name}` : '')));
    expect(markdown).toContain('the v2.3 migration caused the lock');

    // A second click on the same confirmation changes nothing.
    await o.emulator.clickButton({ user: ALICE, channel, messageTs: prompt.ts, actionId: 'ops.run:incident-resolve-confirm' });
    await o.settle();
    expect(o.privateTo(ALICE).at(-1)).toContain('INC-1 is already resolved');
    expect(repo(o).events(1).filter((e) => e.kind === 'resolved')).toHaveLength(1);
  });

  it('the Resolve… button opens a form asking what resolved it', async () => {
    const o = await start({ policy: POLICY });
    const channel = await declared(o);
    const summaryTs = repo(o).get(1)!.summaryTs!;
    await o.emulator.clickButton({ user: ALICE, channel, messageTs: summaryTs, actionId: 'ops.run:incident-resolve' });
    await o.settle();
    const [modal] = o.emulator.views();
    expect(modal?.view.callback_id).toBe('incident_resolve');
    await o.emulator.submitView({ user: ALICE, viewId: modal!.id, values: { summary: { value: { type: 'plain_text_input', value: 'feature flag turned off' } } } });
    await o.settle();
    expect(repo(o).get(1)).toMatchObject({ status: 'resolved', resolution: 'feature flag turned off' });
  });
});

describe('the timeline from elsewhere in opsbot', () => {
  it('workflow and playbook runs and their approvals recorded with recordEvent appear on the timeline', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(ALICE, GENERAL, 'incident declare "Pods crash looping" sev=P2 service=api');
    await o.app.incidents.recordEvent('INC-1', { kind: 'playbook', who: 'system', text: 'restart-deployment wf-7 started for api' });
    await o.app.incidents.recordEvent('INC-1', { kind: 'approval', who: CAROL, text: 'approved restart-deployment wf-7', ref: 'wf-7/approve' });
    await o.app.incidents.recordEvent('INC-1', { kind: 'approval', who: CAROL, text: 'approved restart-deployment wf-7', ref: 'wf-7/approve' });
    // Posting waits for Slack's pacing, which runs on the test clock.
    let posted = false;
    void o.app.incidents.recordEvent('INC-1', { kind: 'workflow', who: null, text: 'restart-deployment wf-7 succeeded' }, { post: true }).then(() => (posted = true));
    await until(o, 'the run is reported in the incident channel', () => posted);

    expect(repo(o).events(1).map((e) => `${e.kind}: ${e.text}`)).toEqual([
      'declared: Declared P2: Pods crash looping (service api)',
      'playbook: restart-deployment wf-7 started for api',
      'approval: approved restart-deployment wf-7',
      'workflow: restart-deployment wf-7 succeeded',
    ]);
    const channel = repo(o).get(1)!.channel!;
    expect(o.read(channel).join('\n')).toContain('restart-deployment wf-7 succeeded');
    await o.ops(BOB, GENERAL, 'incident timeline INC-1');
    const timeline = o.privateTo(BOB).at(-1)!;
    expect(timeline).toContain('approved restart-deployment wf-7');
    expect(timeline).toContain(`<@${CAROL}>`);
    await expect(o.app.incidents.recordEvent('INC-9', { kind: 'workflow', who: null, text: 'x' })).rejects.toThrow('There is no incident INC-9.');
  });
});

describe('numbers', () => {
  it('counts incidents by severity and times acknowledgement and resolution on /metrics and in `incident stats`', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(ALICE, GENERAL, 'incident declare "one" sev=P2');
    await o.ops(ALICE, GENERAL, 'incident declare "two" sev=P2');
    await o.ops(ALICE, GENERAL, 'incident declare "three" sev=P4');
    await o.clock.advance(6 * 60_000);
    await o.ops(ALICE, GENERAL, 'incident ack INC-1');
    await o.clock.advance(30 * 60_000);
    await o.ops(ALICE, GENERAL, 'incident resolve INC-1 --confirm "fixed"');

    const metrics = await (await fetch(`${o.url}/metrics`)).text();
    expect(metrics).toMatch(/opsbot_incidents_declared_total\{severity="P2"\} 2/);
    expect(metrics).toMatch(/opsbot_incidents_declared_total\{severity="P4"\} 1/);
    expect(metrics).toMatch(/opsbot_incidents_open\{severity="P2"\} 1/);
    expect(metrics).toMatch(/opsbot_incident_time_to_acknowledge_seconds_count\{severity="P2"\} 1/);
    expect(metrics).toMatch(/opsbot_incident_time_to_acknowledge_seconds_bucket\{le="300",severity="P2"\} 0/);
    expect(metrics).toMatch(/opsbot_incident_time_to_acknowledge_seconds_bucket\{le="600",severity="P2"\} 1/);
    expect(metrics).toMatch(/opsbot_incident_time_to_resolve_seconds_count\{severity="P2"\} 1/);

    await o.ops(BOB, GENERAL, 'incident stats');
    const stats = o.privateTo(BOB).at(-1)!;
    expect(stats).toContain('*P2*: 2 declared, 1 open · acknowledge 6m (p90 6m, n=1)');
    expect(stats).toContain('resolve 36m');
    expect(stats).toContain('*P4*: 1 declared, 1 open');
  });
});
