import { z } from 'zod';
import { UserError } from '../errors.ts';
import { parseRepoRef } from '../integrations/github/github-types.ts';
import { requireOpen } from '../incidents/incident-changes.ts';
import { INCIDENT_ROLES } from '../incidents/incident-types.ts';
import { formatDuration } from '../agents/offline/postmortem-template.ts';
import { statsView } from '../slack/views/incident-info-views.ts';
import { resolveConfirmation } from '../slack/views/incident-messages.ts';
import { resolveModal } from '../slack/views/incident-modals.ts';
import { bool, duration, slackUserId } from './arg-types.ts';
import { defineCommand } from './command.ts';
import {
  actorOf,
  confirm,
  incidentRefArg,
  type IncidentContext,
  locate,
  refAndRest,
  requireControl,
  splitLeadingId,
} from './incident-command-deps.ts';

/** `incident assign | ack | escalate | resolve | postmortem | stats`. */

const STATS_DEFAULT_MS = 30 * 86_400_000;
const STATS_MAX_MS = 366 * 86_400_000;

export const incidentAssign = defineCommand({
  name: 'incident assign',
  summary: 'Give someone a role on an incident: commander, communications or responder',
  examples: ['incident assign INC-3 @bob role=commander', 'incident assign @carol role=communications', 'incident assign @dave'],
  args: z.object({ first: z.string(), second: z.string().optional(), role: z.enum(INCIDENT_ROLES).default('responder') }),
  positional: ['first', 'second'],
  role: 'viewer',
  async run(ctx: IncidentContext, { first, second, role }) {
    const { ref, rest } = refAndRest(first, second);
    const user = slackUserId.safeParse(rest);
    if (!user.success) throw new UserError('invalid_args', `\`${rest}\` is not a person: mention them like @bob.`, `\`${ctx.commandPrefix ?? '/ops'} incident assign INC-3 @bob role=commander\``);
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'assign roles on');
    const { incident: after, changed } = await ctx.deps.incidents.assign(incident, user.data, role, actorOf(ctx));
    if (!changed) {
      await ctx.reply.private(`<@${user.data}> already is ${role === 'responder' ? 'on' : `the ${role} of`} ${after.id}.`);
      return;
    }
    await confirm(ctx, after, `👤 <@${user.data}> is now ${role} of ${after.id}.`);
  },
});

export const incidentAck = defineCommand({
  name: 'incident ack',
  summary: 'Acknowledge an incident: paging stops',
  examples: ['incident ack INC-3', 'incident ack'],
  args: z.object({ incident: incidentRefArg.optional() }),
  positional: ['incident'],
  role: 'viewer',
  async run(ctx: IncidentContext, { incident: ref }) {
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'acknowledge');
    const { incident: after, already } = await ctx.deps.incidents.acknowledge(incident, actorOf(ctx));
    if (already) {
      await ctx.reply.private(`${after.id} was already acknowledged by <@${after.acknowledgedBy}> after ${formatDuration((after.acknowledgedAt ?? 0) - after.declaredAt)}.`);
      return;
    }
    await confirm(ctx, after, `🙋 You acknowledged ${after.id}; paging stopped.`);
  },
});

export const incidentEscalate = defineCommand({
  name: 'incident escalate',
  summary: 'Page the next level of the escalation policy now (and PagerDuty when configured)',
  examples: ['incident escalate INC-3', 'incident escalate'],
  args: z.object({ incident: incidentRefArg.optional() }),
  positional: ['incident'],
  role: 'viewer',
  async run(ctx: IncidentContext, { incident: ref }) {
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'escalate');
    const after = await ctx.deps.incidents.escalate(incident, actorOf(ctx));
    await confirm(ctx, after, `⏫ Escalated ${after.id}.`);
  },
});

export const incidentResolve = defineCommand({
  name: 'incident resolve',
  summary: 'Resolve an incident (asks to confirm), then post a postmortem draft',
  examples: ['incident resolve INC-3 "rolled back v2.3.0"', 'incident resolve "cache node replaced"'],
  args: z.object({ text: z.string().optional(), confirm: bool.optional() }),
  rest: 'text',
  role: 'viewer',
  async run(ctx: IncidentContext, args) {
    const { ref, text } = splitLeadingId(args.text);
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'resolve');
    // Before anything else: a second click on a confirmation must say it did nothing.
    requireOpen(incident, 'be resolved again');
    const summary = text.trim();
    if (!summary) {
      if (ctx.invocation.triggerId) {
        await ctx.deps.incidents.core.chat.openModal(ctx.invocation.triggerId, resolveModal(incident, ctx.invocation.channelId));
        return;
      }
      throw new UserError('incident_resolve_summary', `Say what resolved ${incident.id}.`, `\`${ctx.commandPrefix ?? '/ops'} incident resolve ${incident.id} "rolled back v2.3.0"\``);
    }
    if (!args.confirm) {
      await ctx.reply.private(resolveConfirmation(incident, summary, ctx.clock.now()));
      return;
    }
    const { incident: after, postmortem } = await ctx.deps.incidents.resolve(incident, summary, actorOf(ctx));
    const draft = postmortem ? ' The postmortem draft is posted there.' : ` The postmortem draft failed; try \`${ctx.commandPrefix ?? '/ops'} incident postmortem ${after.id}\`.`;
    await confirm(ctx, after, `✅ Resolved ${after.id}.${draft}`);
  },
});

const repoArg = z.string().transform((text, ctx) => {
  const repo = parseRepoRef(text);
  if (!repo) {
    ctx.issues.push({ code: 'custom', message: 'a repository like octo-org/octo-repo', input: text });
    return z.NEVER;
  }
  return repo;
});

export const incidentPostmortem = defineCommand({
  name: 'incident postmortem',
  summary: 'Post the postmortem draft again; issue=owner/repo also opens it as a GitHub issue',
  examples: ['incident postmortem INC-3', 'incident postmortem INC-3 issue=octo-org/octo-repo'],
  args: z.object({ incident: incidentRefArg.optional(), issue: repoArg.optional() }),
  positional: ['incident'],
  role: 'responder',
  async run(ctx: IncidentContext, { incident: ref, issue }) {
    const incident = locate(ctx, ref);
    const result = await ctx.deps.incidents.postmortem(incident, actorOf(ctx), issue ? { issue } : {});
    const notes = result.notes.length > 0 ? `\n_${result.notes.join(' ')}_` : '';
    if (!result.issue) {
      await confirm(ctx, incident, `📄 Posted the postmortem draft of ${incident.id}.${notes}`);
      return;
    }
    const opened = 'url' in result.issue ? `Opened ${result.issue.url}` : `*DRY RUN*: would open an issue in ${issue!.owner}/${issue!.repo}; nothing was sent to GitHub`;
    await ctx.reply.private(`📄 ${opened} with the postmortem draft of ${incident.id}.${notes}`);
  },
});

export const incidentStats = defineCommand({
  name: 'incident stats',
  summary: 'Incidents by severity, time to acknowledge, mitigate and resolve',
  examples: ['incident stats', 'incident stats since=90d'],
  args: z.object({ since: duration.pipe(z.number().max(STATS_MAX_MS, { error: 'at most 366d' })).default(STATS_DEFAULT_MS) }),
  role: 'viewer',
  async run(ctx: IncidentContext, { since }) {
    const now = ctx.clock.now();
    await ctx.reply.private(statsView(ctx.deps.incidents.stats(now - since), now));
  },
});

export const incidentResponseCommands = [incidentAssign, incidentAck, incidentEscalate, incidentResolve, incidentPostmortem, incidentStats];
