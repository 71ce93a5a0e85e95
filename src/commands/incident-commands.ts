import { z } from 'zod';
import { PermissionDeniedError, UserError } from '../errors.ts';
import { INCIDENT_STATUSES } from '../incidents/incident-types.ts';
import { roleAtLeast } from '../roles.ts';
import { incidentListView, timelineView } from '../slack/views/incident-info-views.ts';
import { declareModal } from '../slack/views/incident-modals.ts';
import { button } from '../slack/views/workflow-views.ts';
import { escapeMrkdwn, section } from './blocks.ts';
import { defineCommand } from './command.ts';
import {
  actorOf,
  confirm,
  incidentRefArg,
  type IncidentContext,
  locate,
  parseSeverity,
  refAndRest,
  requireControl,
  severityArg,
  splitLeadingId,
} from './incident-command-deps.ts';

/**
 * `incident declare | list | show | timeline | note | update | severity`. The incident a
 * command is about is the one named (`INC-3`) or, inside an incident's channel or thread, that one.
 * Changes are posted where the incident lives; whoever asked from elsewhere gets a private line.
 */

const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SOURCE = /^([CGD][A-Z0-9]+)\/(\d+\.\d+)$/;
const LIST_LIMIT = 20;

export const incidentDeclare = defineCommand({
  name: 'incident declare',
  summary: 'Declare an incident (no arguments: a form)',
  examples: ['incident declare', 'incident declare "API 500s" sev=P2 service=api'],
  args: z.object({
    title: z.string().max(150, { error: 'at most 150 characters' }).optional(),
    sev: severityArg.optional(),
    severity: severityArg.optional(),
    service: z.string().regex(SERVICE, { error: 'a service name of letters, digits, ., - and _' }).optional(),
    summary: z.string().max(2_500, { error: 'at most 2500 characters' }).optional(),
    source: z.string().regex(SOURCE, { error: 'a message as channel/ts' }).optional(),
  }),
  rest: 'title',
  role: 'viewer',
  async run(ctx: IncidentContext, args) {
    const { invocation, caller, deps, reply } = ctx;
    const prefix = ctx.commandPrefix ?? '/ops';
    const severity = args.sev ?? args.severity;
    const title = args.title?.trim();
    if (!title || !severity) {
      if (invocation.triggerId) {
        await deps.incidents.core.chat.openModal(
          invocation.triggerId,
          declareModal({ channel: invocation.channelId, severities: deps.policy.severities, services: Object.keys(deps.policy.services), ...(title ? { title } : {}), ...(severity ? { severity } : {}), ...(args.summary ? { summary: args.summary } : {}) }),
        );
      } else {
        // A mention has no trigger_id to open a form with; a button click does.
        await reply.private({
          text: 'Declare an incident: fill in the form.',
          blocks: [section(`Declare an incident: title and severity are needed, like \`${prefix} incident declare "API 500s" sev=P2\`.`), { type: 'actions', block_id: 'declare', elements: [button('incident-declare', 'Declare…', 'incident declare', 'danger')] }],
        });
      }
      return;
    }
    const needed = deps.policy.incidents.declareRole[severity];
    if (!roleAtLeast(caller.role, needed)) throw new PermissionDeniedError(needed, `declare a ${severity} incident`, prefix);
    const source = args.source ? SOURCE.exec(args.source) : null;
    const { incident } = await deps.incidents.declare(
      {
        title,
        severity,
        ...(args.service ? { service: args.service } : {}),
        ...(args.summary ? { summary: args.summary } : {}),
        ...(source ? { source: { channel: source[1]!, ts: source[2]! } } : {}),
      },
      { ...actorOf(ctx), channel: invocation.channelId, ...(invocation.requestId ? { requestKey: invocation.requestId } : {}) },
    );
    const where = incident.mode === 'channel' && incident.channel ? ` in <#${incident.channel}>` : '';
    await reply.private(`🚨 Declared *${incident.id}* (${incident.severity}) ${escapeMrkdwn(incident.title)}${where}. You are its commander until someone else is assigned.`);
  },
});

export const incidentList = defineCommand({
  name: 'incident list',
  summary: 'List open incidents (or all), optionally of one severity',
  examples: ['incident list', 'incident list all sev=P1'],
  args: z.object({ which: z.enum(['open', 'all']).default('open'), sev: severityArg.optional() }),
  positional: ['which'],
  role: 'viewer',
  async run(ctx: IncidentContext, { which, sev }) {
    const incidents = ctx.deps.incidents.list({ open: which === 'open', limit: LIST_LIMIT, ...(sev ? { severity: sev } : {}) });
    await ctx.reply.private(incidentListView(incidents, { which, now: ctx.clock.now(), ...(sev ? { severity: sev } : {}) }));
  },
});

export const incidentShow = defineCommand({
  name: 'incident show',
  summary: 'Show an incident (inside its channel the id may be left out)',
  examples: ['incident show INC-3', 'incident show'],
  args: z.object({ incident: incidentRefArg.optional() }),
  positional: ['incident'],
  role: 'viewer',
  async run(ctx: IncidentContext, { incident: ref }) {
    const incident = locate(ctx, ref);
    const events = ctx.deps.incidents.timeline(incident).length;
    const summary = ctx.deps.incidents.core.summaryMessage(incident);
    await ctx.reply.private({
      text: summary.text,
      blocks: [...(summary.blocks ?? []), section(`${events} event${events === 1 ? '' : 's'} on the timeline: \`${ctx.commandPrefix ?? '/ops'} incident timeline ${incident.id}\``)],
    });
  },
});

export const incidentTimeline = defineCommand({
  name: 'incident timeline',
  summary: 'The timeline of an incident: who did what, when',
  examples: ['incident timeline INC-3', 'incident timeline'],
  args: z.object({ incident: incidentRefArg.optional() }),
  positional: ['incident'],
  role: 'viewer',
  async run(ctx: IncidentContext, { incident: ref }) {
    const incident = locate(ctx, ref);
    await ctx.reply.private(timelineView(incident, ctx.deps.incidents.timeline(incident)));
  },
});

export const incidentNote = defineCommand({
  name: 'incident note',
  summary: 'Put a note on an incident timeline (or react 📌 to a message in its channel)',
  examples: ['incident note INC-3 error rate dropping after the rollback', 'incident note checkout queue drained'],
  args: z.object({ text: z.string().optional() }),
  rest: 'text',
  role: 'viewer',
  async run(ctx: IncidentContext, args) {
    const { ref, text } = splitLeadingId(args.text);
    const incident = locate(ctx, ref);
    if (!text.trim()) throw new UserError('incident_note_empty', 'The note is empty.', `\`${ctx.commandPrefix ?? '/ops'} incident note ${incident.id} what you saw\``);
    await ctx.deps.incidents.note(incident, text, actorOf(ctx));
    await confirm(ctx, incident, `📝 Noted on ${incident.id}'s timeline.`);
  },
});

export const incidentUpdate = defineCommand({
  name: 'incident update',
  summary: 'Post a status update (edits the pinned summary); status=identified|monitoring…',
  examples: ['incident update INC-3 "rollback deployed, error rate falling" status=monitoring', 'incident update "root cause found" status=identified'],
  args: z.object({ text: z.string().optional(), status: z.enum(INCIDENT_STATUSES).optional() }),
  rest: 'text',
  role: 'viewer',
  async run(ctx: IncidentContext, args) {
    const { ref, text } = splitLeadingId(args.text);
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'update');
    const after = await ctx.deps.incidents.update(incident, { ...(text.trim() ? { text } : {}), ...(args.status ? { status: args.status } : {}) }, actorOf(ctx));
    await confirm(ctx, after, `📣 Updated ${after.id} (${after.status}).`);
  },
});

export const incidentSeverity = defineCommand({
  name: 'incident severity',
  summary: 'Change the severity of an incident',
  examples: ['incident severity INC-3 P1', 'incident severity P2'],
  args: z.object({ first: z.string(), second: z.string().optional() }),
  positional: ['first', 'second'],
  role: 'viewer',
  async run(ctx: IncidentContext, { first, second }) {
    const { ref, rest } = refAndRest(first, second);
    const severity = parseSeverity(rest);
    const incident = locate(ctx, ref);
    requireControl(ctx, incident, 'change the severity of');
    const after = await ctx.deps.incidents.setSeverity(incident, severity, actorOf(ctx));
    await confirm(ctx, after, `${after.id} is now ${after.severity}.`);
  },
});

export const incidentCommands = [incidentDeclare, incidentList, incidentShow, incidentTimeline, incidentNote, incidentUpdate, incidentSeverity];
