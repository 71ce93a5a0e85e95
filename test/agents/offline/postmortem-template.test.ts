import { describe, expect, it } from 'vitest';
import { formatDuration, postmortemMarkdown, templatePostmortem, type PostmortemInput, type TimelineEntry } from '../../../src/agents/offline/postmortem-template.ts';
import { postmortemOutputSchema } from '../../../src/agents/output-schemas.ts';

const t = (hh: number, mm: number, day = 1) => Date.UTC(2024, 4, day, hh, mm);
const ghToken = `ghp_${'R4nd0mT0k3nB0dyAbCdEfGhIjKlMnOpQrSt'}`;

function incident(overrides: Partial<PostmortemInput['incident']> = {}): PostmortemInput['incident'] {
  return {
    id: 'INC-42',
    title: 'Checkout API returning 5xx',
    severity: 'P2',
    service: 'checkout-api',
    commander: 'alice',
    declaredAt: t(14, 2),
    acknowledgedAt: t(14, 6),
    mitigatedAt: t(14, 40),
    resolvedAt: t(15, 25),
    summary: 'Checkout failed for about half of requests until the 1.4.2 deploy was rolled back.',
    ...overrides,
  };
}

const timeline: TimelineEntry[] = [
  { at: t(14, 2), who: 'alice', kind: 'declared', text: 'Incident declared: Checkout API returning 5xx' },
  { at: t(14, 0), who: null, kind: 'alert', text: 'HighErrorRate firing for checkout-api (5xx ratio 0.48)' },
  { at: t(14, 20), who: 'bob', kind: 'note', text: 'Errors started right after deploy 1.4.2, which introduced a smaller DB pool' },
  { at: t(14, 31), who: 'bob', kind: 'note', text: 'looking at the pool metrics now' },
  { at: t(14, 38), who: 'bob', kind: 'workflow', text: 'rollback checkout-api to 1.4.1 succeeded' },
  { at: t(14, 40), who: 'alice', kind: 'status', text: 'investigating → mitigated' },
  { at: t(15, 10), who: 'carol', kind: 'note', text: 'action: @dave add an alert on DB pool saturation' },
  { at: t(15, 25), who: 'alice', kind: 'resolved', text: 'Resolved' },
];

describe('templatePostmortem', () => {
  it('summarises the incident from its own record: title, severity, service, when, how long, and the recorded summary', () => {
    const { output } = templatePostmortem({ incident: incident(), timeline });

    expect(output.summary).toBe(
      'Checkout API returning 5xx: P2 incident on checkout-api, declared 2024-05-01 14:02 UTC, resolved after 1h 23m. ' +
        'Checkout failed for about half of requests until the 1.4.2 deploy was rolled back.',
    );
  });

  it('states impact as duration and the times to acknowledge, mitigate and resolve, leaving who was affected to fill in', () => {
    const { output } = templatePostmortem({ incident: incident(), timeline });

    expect(output.impact).toBe(
      'P2 incident on checkout-api. It lasted 1h 23m, from declaration at 2024-05-01 14:02 UTC to resolution at 2024-05-01 15:25 UTC. ' +
        'Time to acknowledge: 4m; time to mitigate: 38m; time to resolve: 1h 23m. Who was affected and how: not recorded — fill in.',
    );
  });

  it('tells the timeline in time order with UTC clock times', () => {
    const { output } = templatePostmortem({ incident: incident(), timeline });

    expect(output.narrative.split('\n')).toEqual([
      'Times UTC, on 2024-05-01.',
      '14:00 — [alert] HighErrorRate firing for checkout-api (5xx ratio 0.48)',
      '14:02 — alice [declared] Incident declared: Checkout API returning 5xx',
      '14:20 — bob [note] Errors started right after deploy 1.4.2, which introduced a smaller DB pool',
      '14:31 — bob [note] looking at the pool metrics now',
      '14:38 — bob [workflow] rollback checkout-api to 1.4.1 succeeded',
      '14:40 — alice [status] investigating → mitigated',
      '15:10 — carol [note] action: @dave add an alert on DB pool saturation',
      '15:25 — alice [resolved] Resolved',
    ]);
  });

  it('adds the date to every time when the incident crosses midnight UTC', () => {
    const overnight = templatePostmortem({
      incident: incident({ declaredAt: t(23, 50), acknowledgedAt: null, mitigatedAt: null, resolvedAt: t(0, 30, 2) }),
      timeline: [
        { at: t(0, 30, 2), who: 'alice', kind: 'resolved', text: 'Resolved' },
        { at: t(23, 50), who: 'alice', kind: 'declared', text: 'Declared' },
      ],
    });

    expect(overnight.output.narrative.split('\n')).toEqual(['Times UTC.', '2024-05-01 23:50 — alice [declared] Declared', '2024-05-02 00:30 — alice [resolved] Resolved']);
    expect(overnight.output.impact).toContain('Time to acknowledge: not acknowledged; time to mitigate: not recorded; time to resolve: 40m.');
  });

  it('takes contributing factors only from alerts and notes that name a cause, quoting them', () => {
    const result = templatePostmortem({ incident: incident(), timeline });

    expect(result.output.contributingFactors).toEqual([
      'Alert at 14:00 UTC: HighErrorRate firing for checkout-api (5xx ratio 0.48)',
      'Noted by bob at 14:20 UTC: "Errors started right after deploy 1.4.2, which introduced a smaller DB pool"',
    ]);
    expect(result).toMatchObject({ thin: false, notes: [] });
  });

  it('leaves contributing factors as an explicit fill-in and says the answer is thin when no note names a cause', () => {
    const result = templatePostmortem({ incident: incident(), timeline: timeline.filter((e) => e.at !== t(14, 20)) });

    expect(result.output.contributingFactors).toEqual([
      'Alert at 14:00 UTC: HighErrorRate firing for checkout-api (5xx ratio 0.48)',
      'Cause not recorded — fill in: what made this happen and what made it worse. The timeline names no cause, and this draft does not guess.',
    ]);
    expect(result.thin).toBe(true);
    expect(result.notes).toEqual(['No note in the timeline names a cause; contributing factors are a placeholder.']);
  });

  it('turns follow-up notes into action items owned by whoever they mention, then adds owner-less placeholders', () => {
    const { output } = templatePostmortem({
      incident: incident(),
      timeline: [...timeline, { at: t(15, 12), who: 'bob', kind: 'note', text: 'TODO: document the pool sizing in the runbook' }],
    });

    expect(output.actionItems).toEqual([
      { action: '@dave add an alert on DB pool saturation', owner: '@dave' },
      { action: 'document the pool sizing in the runbook', owner: null },
      { action: 'Fill in: a fix or guard for each contributing factor (owner needed).', owner: null },
      { action: 'Fill in: what would have detected or mitigated this sooner (owner needed).', owner: null },
    ]);
  });

  it('reads a Slack mention in a follow-up note as its owner', () => {
    const { output } = templatePostmortem({ incident: incident(), timeline: [{ at: t(15, 0), who: 'bob', kind: 'note', text: 'follow-up for <@U024BE7LH>: raise the pool limit' }] });

    expect(output.actionItems[0]).toEqual({ action: 'for <@U024BE7LH>: raise the pool limit', owner: '<@U024BE7LH>' });
  });

  it('says what is missing for an open incident with no summary and no timeline', () => {
    const result = templatePostmortem({ incident: incident({ summary: null, mitigatedAt: null, resolvedAt: null }), timeline: [] });

    expect(result.output.summary).toBe('Checkout API returning 5xx: P2 incident on checkout-api, declared 2024-05-01 14:02 UTC, not resolved yet. Summary not recorded — fill in.');
    expect(result.output.narrative).toBe('No timeline events were recorded. Times UTC.\n14:02 — Declared.\n14:06 — Acknowledged.');
    expect(result.thin).toBe(true);
    expect(result.notes).toEqual([
      'No incident summary was recorded; the summary only restates the title.',
      'The incident has no resolution time, so the durations are incomplete.',
      "The timeline is empty; the narrative only has the incident's own timestamps.",
      'No note in the timeline names a cause; contributing factors are a placeholder.',
    ]);
  });

  it('redacts secrets pasted into the timeline', () => {
    const result = templatePostmortem({ incident: incident(), timeline: [{ at: t(14, 5), who: 'bob', kind: 'note', text: `because the token ${ghToken} expired` }] });

    expect(JSON.stringify(result)).not.toContain('R4nd0mT0k3nB0dy');
    expect(result.output.contributingFactors[0]).toBe('Noted by bob at 14:05 UTC: "because the token ghp_[REDACTED] expired"');
  });

  it('answers in the postmortem output schema', () => {
    const { output } = templatePostmortem({ incident: incident(), timeline });

    expect(postmortemOutputSchema.parse(output)).toEqual(output);
  });
});

describe('postmortemMarkdown', () => {
  const input: PostmortemInput = { incident: incident(), timeline };
  const markdown = postmortemMarkdown(input, templatePostmortem(input).output);

  it('renders the sections in order: Summary, Impact, Timeline, Contributing factors, Action items', () => {
    const headings = markdown.split('\n').filter((l) => l.startsWith('#'));

    expect(headings).toEqual(['# Postmortem: Checkout API returning 5xx', '## Summary', '## Impact', '## Timeline', '## Contributing factors', '## Action items']);
  });

  it('heads the file with the incident facts and the milestones with their delays', () => {
    expect(markdown).toContain('- **Incident:** INC-42 · **Severity:** P2 · **Service:** checkout-api · **Commander:** alice\n');
    expect(markdown).toContain(
      '- **Declared:** 2024-05-01 14:02 UTC · **Acknowledged:** 2024-05-01 14:06 UTC (after 4m) · **Mitigated:** 2024-05-01 14:40 UTC (after 38m) · **Resolved:** 2024-05-01 15:25 UTC (after 1h 23m)\n',
    );
  });

  it('tabulates every stored event in time order, and does not repeat its own narrative above the table', () => {
    const timelineSection = markdown.slice(markdown.indexOf('## Timeline'), markdown.indexOf('## Contributing factors'));
    const rows = timelineSection.split('\n').filter((l) => l.startsWith('| '));

    expect(rows[0]).toBe('| Time (UTC) | Who | Event | Details |');
    expect(rows.slice(1)).toHaveLength(timeline.length);
    expect(rows[1]).toBe('| 14:00 |  | alert | HighErrorRate firing for checkout-api (5xx ratio 0.48) |');
    expect(timelineSection).not.toContain('Times UTC');
  });

  it('keeps a narrative written by the LLM above the table', () => {
    const output = { ...templatePostmortem(input).output, narrative: 'A deploy shrank the DB pool; checkout failed until it was rolled back.' };

    expect(postmortemMarkdown(input, output)).toContain('## Timeline\n\nA deploy shrank the DB pool; checkout failed until it was rolled back.\n\n| Time (UTC)');
  });

  it('lists action items as checkboxes that show a missing owner', () => {
    expect(markdown).toContain('- [ ] @dave add an alert on DB pool saturation — owner: @dave\n');
    expect(markdown).toContain('- [ ] Fill in: a fix or guard for each contributing factor (owner needed). — owner: _needed_\n');
  });

  it('escapes pipes and flattens newlines so an event stays one table row', () => {
    const md = postmortemMarkdown(
      { incident: incident(), timeline: [{ at: t(14, 3), who: 'bob', kind: 'note', text: 'grep 5xx | wc -l\nsays 480' }] },
      templatePostmortem({ incident: incident(), timeline: [] }).output,
    );

    expect(md).toContain('| 14:03 | bob | note | grep 5xx \\| wc -l says 480 |');
  });

  it('never prints a secret, even one the output itself carries', () => {
    const output = { ...templatePostmortem(input).output, impact: `token ${ghToken} leaked` };

    expect(postmortemMarkdown(input, output)).not.toContain('R4nd0mT0k3nB0dy');
  });
});

describe('formatDuration', () => {
  it.each([
    [45_000, '45s'],
    [4 * 60_000, '4m'],
    [83 * 60_000, '1h 23m'],
    [2 * 3_600_000, '2h'],
    [51 * 3_600_000, '2d 3h'],
    [-5_000, '0s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
