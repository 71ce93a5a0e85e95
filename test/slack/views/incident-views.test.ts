import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../../src/config/policy-schema.ts';
import type { Incident } from '../../../src/incidents/incident-types.ts';
import { validateBlocks, validateView } from '../../../src/local/emulator/block-limits.ts';
import { homeView } from '../../../src/slack/home-view.ts';
import { incidentSummaryMessage, pageMessage, resolveCommand, resolveConfirmation } from '../../../src/slack/views/incident-messages.ts';
import { declareModal, declareModalCommand, resolveModal } from '../../../src/slack/views/incident-modals.ts';
import { tokenize } from '../../../src/commands/parser.ts';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const incident = (overrides: Partial<Incident> = {}): Incident => ({
  number: 3,
  id: 'INC-3',
  title: 'API 500s <script>',
  severity: 'P1',
  status: 'investigating',
  service: 'api',
  summary: null,
  lastUpdate: null,
  commander: 'U0ALICE',
  communications: null,
  responders: ['U0BOB'],
  declaredBy: 'U0ALICE',
  mode: 'channel',
  channel: 'C0INC3',
  threadTs: null,
  summaryTs: '1.000100',
  announceChannel: 'C0INCIDENTS',
  announceTs: '1.000200',
  declaredAt: T0,
  acknowledgedAt: null,
  acknowledgedBy: null,
  mitigatedAt: null,
  resolvedAt: null,
  resolution: null,
  lastUpdateAt: T0,
  escalationLevel: 0,
  pages: 0,
  pagedAt: null,
  nextPageAt: null,
  nextReminderAt: null,
  updatedAt: T0,
  ...overrides,
});
const severityText = defaultPolicy().severities.P1.description;
const buttons = (m: { blocks?: unknown[] }) => JSON.stringify(m.blocks ?? []).match(/"action_id":"[^"]+"/g) ?? [];

describe('the incident summary', () => {
  it('shows severity, status, roles and service, within Slack’s limits, with Acknowledge and Resolve…', () => {
    const message = incidentSummaryMessage(incident(), { now: T0, severityText });
    expect(validateBlocks(message.blocks, 'message')).toEqual([]);
    expect(message.text).toBe('INC-3 (P1, investigating): API 500s <script>');
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('API 500s <script>');
    expect(text).toContain('Critical: customer-facing outage');
    expect(text).toContain('<@U0BOB>');
    expect(buttons(message)).toEqual(['"action_id":"ops.run:incident-ack"', '"action_id":"ops.run:incident-resolve"']);
  });

  it('offers the "Run playbook" buttons it is given (five at most), and none once resolved', () => {
    const playbooks = Array.from({ length: 7 }, (_, i) => ({ label: `restart api ${i}`, command: `workflow run restart-${i}` }));
    const open = incidentSummaryMessage(incident({ acknowledgedAt: T0 + 60_000, acknowledgedBy: 'U0BOB' }), { now: T0, severityText, playbooks });
    expect(buttons(open)).toEqual(['"action_id":"ops.run:incident-resolve"', ...[0, 1, 2, 3, 4].map((i) => `"action_id":"ops.run:incident-playbook-${i}"`)]);
    expect(JSON.stringify(open.blocks)).toContain('"value":"workflow run restart-0"');
    const resolved = incidentSummaryMessage(incident({ status: 'resolved', resolvedAt: T0 + 3_600_000, resolution: 'rolled back' }), { now: T0, severityText, playbooks });
    expect(buttons(resolved)).toEqual([]);
    expect(JSON.stringify(resolved.blocks)).toContain('after 1h: rolled back');
  });
});

describe('pages and the resolve confirmation', () => {
  it('a page mentions the user groups and carries the Acknowledge button', () => {
    const page = pageMessage(incident(), ['S0ONCALL', 'S0LEADS'], { page: 2, escalated: true, where: 'C0INC3' });
    expect(validateBlocks(page.blocks, 'message')).toEqual([]);
    expect(page.text).toContain('<!subteam^S0ONCALL> <!subteam^S0LEADS>');
    expect(JSON.stringify(page.blocks)).toContain('page 2, escalated: nobody acknowledged in time');
  });

  it('the confirmation button runs the resolve with the summary as typed, even with quotes and markup', () => {
    const summary = 'said "it\'s fine" <@U0BOB> & moved on \\o/';
    const message = resolveConfirmation(incident(), summary, T0 + 90_000);
    expect(validateBlocks(message.blocks, 'message')).toEqual([]);
    const command = resolveCommand('INC-3', summary);
    const words = tokenize(command).map((t) => t.text);
    expect(words).toEqual(['incident', 'resolve', 'INC-3', '--confirm', summary]);
  });
});

describe('the modals', () => {
  it('the declare form lists every severity with its definition, and its submission is a command', () => {
    const view = declareModal({ channel: 'C0GENERAL', severities: defaultPolicy().severities, services: ['api', 'search'], source: { channel: 'C0GENERAL', ts: '1.000100' } });
    expect(validateView(view, 'modal')).toEqual([]);
    const submitted = { ...view, state: { values: { title: { value: { value: 'Checkout "down"' } }, severity: { value: { selected_option: { value: 'P2' } } }, service: { value: { value: 'api' } } } } };
    const command = declareModalCommand(submitted as never);
    expect(command).toEqual({ text: 'incident declare "Checkout \\"down\\"" sev=P2 service="api" source="C0GENERAL/1.000100"', channelId: 'C0GENERAL' });
    expect(validateView(resolveModal(incident(), 'C0INC3'), 'modal')).toEqual([]);
  });
});

describe('App Home', () => {
  it('lists what needs the viewer, each with a link button, within the limits', () => {
    const many = Array.from({ length: 14 }, (_, i) => ({ text: `item ${i}`, url: `https://emulated.slack.com/archives/C0INC/p${i}` }));
    const view = homeView({ role: 'responder', command: '/ops', sections: { incidents: many, approvals: [], runs: [{ text: 'deploy wf-3' }] } });
    expect(validateView(view, 'home')).toEqual([]);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain('and 4 more');
    expect(text).toContain('Nothing is waiting for your approval.');
    expect((text.match(/"url":/g) ?? []).length).toBe(10);
    expect(JSON.stringify(homeView({ role: null, command: '/ops', sections: { incidents: many, approvals: [], runs: [] } }).blocks)).not.toContain('item 0');
  });
});
