import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createIncidentRepo } from '../../src/store/incident-repo.ts';
import { createFakeGitHubApi } from '../support/fake-github-api.ts';
import { ALICE, BOB, CAROL, GENERAL, INCIDENTS, type IncidentRig, useIncidentRig } from '../support/incident-rig.ts';

/**
 * The `incident …` commands through Slack: what each answers, who may run it, and bad input —
 * an unknown incident, a bad severity, resolving twice, a viewer declaring what policy forbids —
 * answered privately and clearly, changing nothing.
 */

const POLICY = `channels:\n  incidents: ${INCIDENTS}\nincidents:\n  declare_role: { P1: responder, P2: responder }\n`;
const GUEST = 'U0GUEST';

const { start, dir } = useIncidentRig();
const repo = (o: IncidentRig) => createIncidentRepo(o.app.store.db);

/** What could have changed: incidents, their events, channels, Slack posts outside ephemerals. */
function snapshot(o: IncidentRig) {
  return {
    incidents: repo(o).list({ limit: 50 }),
    events: repo(o).list({ limit: 50 }).flatMap((i) => repo(o).events(i.number)),
    channels: o.emulator.channels().map((c) => c.id),
    posts: o.emulator.callsTo('chat.postMessage').length + o.emulator.callsTo('chat.update').length,
    changes: o.app.store.audit.list({ limit: 200 }).filter((a) => a.action.startsWith('incident.')).length,
  };
}

async function withIncident(o: IncidentRig, text = 'incident declare "API 500s" sev=P3 service=api'): Promise<string> {
  await o.ops(ALICE, GENERAL, text);
  return repo(o).get(repo(o).list({ limit: 1 })[0]!.number)!.channel!;
}

describe('bad input changes nothing and says why, privately', () => {
  it('an unknown incident', async () => {
    const o = await start({ policy: POLICY });
    await withIncident(o);
    const before = snapshot(o);
    await o.ops(ALICE, GENERAL, 'incident update INC-9 "anything" status=identified');
    expect(o.privateTo(ALICE).at(-1)).toBe('There is no incident INC-9.\nOpen incidents: INC-1.');
    await o.ops(ALICE, GENERAL, 'incident show INC-42');
    expect(o.privateTo(ALICE).at(-1)).toContain('There is no incident INC-42.');
    await o.ops(ALICE, GENERAL, 'incident ack');
    expect(o.privateTo(ALICE).at(-1)).toContain('Which incident? This conversation is not an incident channel or thread.');
    expect(snapshot(o)).toEqual(before);
  });

  it('a bad severity', async () => {
    const o = await start({ policy: POLICY });
    await withIncident(o);
    const before = snapshot(o);
    await o.ops(ALICE, GENERAL, 'incident declare "Disk full" sev=P5');
    expect(o.privateTo(ALICE).at(-1)).toContain('`sev` must be one of P1, P2, P3, P4 (got `P5`)');
    await o.ops(ALICE, GENERAL, 'incident severity INC-1 P0');
    expect(o.privateTo(ALICE).at(-1)).toBe('`P0` is not a severity: use P1, P2, P3 or P4.');
    await o.ops(ALICE, GENERAL, 'incident list sev=high');
    expect(o.privateTo(ALICE).at(-1)).toContain('`sev` must be one of P1, P2, P3, P4');
    expect(snapshot(o)).toEqual(before);
  });

  it('resolving a resolved incident', async () => {
    const o = await start({ policy: POLICY });
    const channel = await withIncident(o);
    await o.ops(ALICE, channel, 'incident resolve --confirm "restarted the pod"');
    const before = snapshot(o);
    await o.ops(ALICE, channel, 'incident resolve --confirm "again"');
    expect(o.privateTo(ALICE).at(-1)).toMatch(/^INC-1 is already resolved \(after \d+s\); it cannot be resolved again\.\nDeclare a new incident if it is happening again\.$/);
    await o.ops(ALICE, channel, 'incident update "still fine" status=monitoring');
    expect(o.privateTo(ALICE).at(-1)).toContain('INC-1 is already resolved');
    expect(snapshot(o)).toEqual(before);
  });

  it('a viewer declaring a P1 when the policy says responders only', async () => {
    const o = await start({ policy: POLICY });
    const before = snapshot(o);
    await o.ops(BOB, GENERAL, 'incident declare "Everything is down" sev=P1');
    expect(o.privateTo(BOB).at(-1)).toBe('You need the *responder* role to declare a P1 incident.\nAsk an admin: `/ops role grant @you responder`.');
    expect(o.emulator.callsTo('conversations.create')).toEqual([]);
    expect(snapshot(o)).toEqual(before);
    expect(o.app.store.audit.list({ limit: 5 }).find((a) => a.action === 'command')).toMatchObject({ command: 'incident declare', outcome: 'denied' });

    // A P3 is anyone's to declare.
    await o.ops(BOB, GENERAL, 'incident declare "Typo on the status page" sev=P3');
    expect(repo(o).get(1)).toMatchObject({ severity: 'P3', commander: BOB });
  });

  it('changes by a viewer who is not on the incident, and by someone with no role at all', async () => {
    const o = await start({ policy: POLICY });
    o.emulator.addUser({ id: GUEST, name: 'guest', guest: true });
    const channel = await withIncident(o);
    const before = snapshot(o);
    await o.ops(BOB, channel, 'incident update "it is fine" status=monitoring');
    expect(o.privateTo(BOB).at(-1)).toBe('You need the *responder* role to update INC-1.\nAsk an admin: `/ops role grant @you responder`.');
    await o.ops(BOB, channel, 'incident resolve --confirm "nothing"');
    expect(o.privateTo(BOB).at(-1)).toContain('You need the *responder* role to resolve INC-1.');
    await o.ops(GUEST, GENERAL, 'incident list');
    expect(o.privateTo(GUEST).at(-1)).toContain("You don't have access to opsbot yet");
    expect(snapshot(o)).toEqual(before);
  });

  it('an update that says nothing, a note with no text, an assignment of no one', async () => {
    const o = await start({ policy: POLICY });
    const channel = await withIncident(o);
    const before = snapshot(o);
    await o.ops(ALICE, channel, 'incident update status=investigating');
    expect(o.privateTo(ALICE).at(-1)).toContain('Nothing to update: INC-1 is already investigating.');
    await o.ops(ALICE, channel, 'incident update "done" status=resolved');
    expect(o.privateTo(ALICE).at(-1)).toContain('Resolve INC-1 with `/ops incident resolve INC-1 "what fixed it"`.');
    await o.ops(ALICE, channel, 'incident note INC-1');
    expect(o.privateTo(ALICE).at(-1)).toContain('The note is empty.');
    await o.ops(ALICE, channel, 'incident assign bob role=commander');
    expect(o.privateTo(ALICE).at(-1)).toContain('`bob` is not a person: mention them like @bob.');
    await o.ops(ALICE, channel, 'incident assign <@U0BOB|bob> role=boss');
    expect(o.privateTo(ALICE).at(-1)).toContain('`role` must be one of commander, communications, responder');
    expect(snapshot(o)).toEqual(before);
  });
});

describe('answers', () => {
  it('a commander with only the viewer role may run their own incident', async () => {
    const o = await start({ policy: POLICY });
    const channel = await withIncident(o, 'incident declare "Search is slow" sev=P3');
    await o.ops(ALICE, channel, 'incident assign <@U0BOB|bob> role=commander');
    await o.ops(BOB, channel, 'incident update "replica added" status=monitoring');
    expect(repo(o).get(1)).toMatchObject({ status: 'monitoring', lastUpdate: 'replica added' });
  });

  it('list, show and timeline, inside the incident channel without the id', async () => {
    const o = await start({ policy: POLICY });
    const channel = await withIncident(o);
    await o.ops(ALICE, GENERAL, 'incident declare "Queue backlog" sev=P4');
    await o.ops(ALICE, GENERAL, 'incident resolve INC-2 --confirm "drained"');

    await o.ops(BOB, GENERAL, 'incident list');
    const open = o.privateTo(BOB).at(-1)!;
    expect(open).toContain('*INC-1* P3 API 500s');
    expect(open).not.toContain('INC-2');
    await o.ops(BOB, GENERAL, 'incident list all sev=P4');
    expect(o.privateTo(BOB).at(-1)).toMatch(/\*INC-2\* P4 Queue backlog — ✅ resolved .* lasted \d+s/);

    await o.ops(BOB, channel, 'incident show');
    const show = o.privateTo(BOB).at(-1)!;
    expect(show).toContain('INC-1 · API 500s');
    expect(show).toContain('1 event on the timeline');

    await o.ops(CAROL, GENERAL, 'incident note INC-1 saw 502s from the load balancer too');
    expect(o.privateTo(CAROL).at(-1)).toBe("📝 Noted on INC-1's timeline.");
    expect(o.read(channel).join('\n')).toContain('saw 502s from the load balancer too');
    await o.ops(BOB, channel, 'incident timeline');
    expect(o.privateTo(BOB).at(-1)).toMatch(/note\* <@U0CAROL>: saw 502s from the load balancer too/);
  });

  it('a mention has no form to open: it offers a button that does', async () => {
    const o = await start({ policy: POLICY });
    await o.emulator.mention({ user: ALICE, channel: GENERAL, text: 'incident declare' });
    await o.settle();
    const offer = o.ephemeralsOf(ALICE, GENERAL).at(-1)!;
    await o.emulator.clickButton({ user: ALICE, channel: GENERAL, messageTs: offer.ts, actionId: 'ops.run:incident-declare' });
    await o.settle();
    expect(o.emulator.views()[0]?.view.callback_id).toBe('incident_declare');
  });

  it('a replayed declaration finds its incident instead of declaring a second', async () => {
    const o = await start({ policy: POLICY });
    await o.ops(ALICE, GENERAL, 'incident declare "API 500s" sev=P3');
    const delivery = o.emulator.deliveries().findLast((d) => d.type === '/ops')!;
    // The same request, as if the first had been lost after it was recorded: a new delivery of its body.
    o.app.store.db.prepare('DELETE FROM processed_events').run();
    o.app.store.db.prepare('DELETE FROM inbox').run();
    await o.emulator.sendRaw(delivery.body, 'application/x-www-form-urlencoded');
    await o.settle();
    expect(repo(o).list({ limit: 5 })).toHaveLength(1);
    expect(o.emulator.callsTo('conversations.create')).toHaveLength(1);
  });

  it('postmortem: posted again on request; with issue= it is opened on GitHub when GitHub is configured', async () => {
    const github = createFakeGitHubApi();
    await github.start();
    try {
      const o = await start({ policy: POLICY, env: { GITHUB_TOKEN: github.token, GITHUB_API_URL: github.url } });
      const channel = await withIncident(o);
      await o.ops(ALICE, channel, 'incident resolve --confirm "restarted the pod"');
      await o.ops(ALICE, channel, 'incident postmortem issue=octo-org/octo-repo');
      const [request] = github.requests({ method: 'POST', path: '/repos/octo-org/octo-repo/issues' });
      expect(request?.body).toMatchObject({ title: 'Postmortem: INC-1 API 500s' });
      expect(String((request?.body as { body?: unknown }).body)).toContain('# Postmortem: API 500s');
      expect(o.privateTo(ALICE).at(-1)).toMatch(/Opened https:\/\/github\.com\/octo-org\/octo-repo\/issues\/1 with the postmortem draft of INC-1/);
      expect(repo(o).events(1).at(-1)).toMatchObject({ kind: 'postmortem', who: ALICE });
      const files = o.emulator.messages(channel).flatMap((m) => m.files ?? []).filter((f) => f.name === 'INC-1-postmortem.md');
      expect(files).toHaveLength(2);
    } finally {
      await github.stop();
    }
  });

  it('postmortem issue= without GitHub says so and opens nothing', async () => {
    const o = await start({ policy: POLICY });
    const channel = await withIncident(o);
    await o.ops(ALICE, channel, 'incident postmortem issue=octo-org/octo-repo');
    expect(o.privateTo(ALICE).at(-1)).toContain('GitHub is not configured (no GITHUB_TOKEN), so no issue can be opened.');
  });
});

describe('App Home', () => {
  it('lists open incidents, approvals waiting for the viewer and their running workflows, each with a button to jump there', async () => {
    // A workflow whose first step waits for Bob's approval; JSON is YAML.
    fs.mkdirSync(path.join(dir(), 'workflows'), { recursive: true });
    fs.writeFileSync(
      path.join(dir(), 'workflows', 'release.yaml'),
      JSON.stringify({ name: 'release', description: 'Release after an approval', params: {}, role: 'responder', steps: [{ id: 'approve', name: 'Approve release', approval: { approvers: { users: [BOB] }, min: 1, expires: '1h', message: 'Ship it?' } }] }),
    );
    const o = await start({ policy: POLICY });
    await withIncident(o);
    await o.ops(ALICE, GENERAL, 'workflow run release');
    const [run] = o.app.store.workflowRuns.list({ limit: 1 });
    expect(run?.status).toBe('waiting');

    await o.emulator.openHome(BOB);
    await o.settle();
    const bob = o.emulator.home(BOB)!;
    const sections = (bob.blocks as Array<Record<string, unknown>>).filter((b) => b.type === 'section').map((b) => ({ text: (b.text as { text: string }).text, url: (b.accessory as { url?: string } | undefined)?.url }));
    const incident = sections.find((b) => b.text.includes('INC-1'));
    expect(incident?.text).toContain('API 500s');
    expect(incident?.url).toMatch(/^https:\/\/emulated\.slack\.com\/archives\/C[A-Z0-9]+\/p\d+$/);
    const approval = sections.find((b) => b.text.includes(`\`${run!.id}\``));
    expect(approval?.text).toContain('Ship it?');
    expect(approval?.url).toMatch(/^https:\/\/emulated\.slack\.com\/archives\/C0GENERAL\/p\d+/);
    expect(JSON.stringify(bob)).toContain('None of your workflow runs is in progress.');

    await o.emulator.openHome(ALICE);
    await o.settle();
    const alice = JSON.stringify(o.emulator.home(ALICE));
    // Alice started the run: she cannot approve it, and sees it among her runs.
    expect(alice).toContain('Nothing is waiting for your approval.');
    expect(alice).toMatch(new RegExp(`Your running workflows.*${run!.id}.*waiting`));
  });
});
