import { z } from 'zod';
import { parseAlertGroupId } from '../alerts/alert-group-id.ts';
import type { AlertService } from '../alerts/alert-service.ts';
import type { Policy } from '../config/policy-schema.ts';
import { DURATION_EXAMPLES, parseDuration } from '../duration.ts';
import { PermissionDeniedError, UserError } from '../errors.ts';
import { roleAtLeast } from '../roles.ts';
import { alertGroupList, alertGroupShow, silenceLabel, silenceList } from '../slack/views/alert-group-views.ts';
import { escapeMrkdwn } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';
import { severityArg } from './incident-command-deps.ts';

/**
 * `alerts [open|all]`, `alerts show | ack | silence | silences | unsilence | declare`: what the
 * buttons on an alert group's message run (a click is checked and audited like the typed command),
 * and what people type. The group's message is edited to show an ack, a silence or an incident,
 * so the caller alone gets the confirmation.
 */

export interface AlertCommandDeps {
  alerts: AlertService;
  policy: Policy;
}

type AlertContext = CommandContext<AlertCommandDeps>;

const LIST_LIMIT = 50;
const SHOW_LIMIT = 40;

const groupArg = z.string().transform((text, ctx) => {
  const n = parseAlertGroupId(text, { bare: true });
  if (n === undefined) {
    ctx.issues.push({ code: 'custom', message: 'an alert group id like AG-3', input: text });
    return z.NEVER;
  }
  return n;
});

const prefixOf = (ctx: AlertContext) => ctx.commandPrefix ?? '/ops';
const actorOf = (ctx: AlertContext) => ({ userId: ctx.caller.id, channel: ctx.invocation.channelId || null });

function listCommand(name: 'alerts' | 'alerts open' | 'alerts all', which: 'open' | 'all') {
  return defineCommand({
    name,
    summary: which === 'open' ? 'Alert groups firing now' : 'Every alert group, newest first',
    examples: [name],
    args: z.object({}),
    role: 'viewer',
    async run(ctx: AlertContext) {
      const rows = ctx.deps.alerts.list({ open: which === 'open', limit: LIST_LIMIT });
      await ctx.reply.private(alertGroupList(rows, { which, commandPrefix: prefixOf(ctx) }));
    },
  });
}

export const alertsOpen = listCommand('alerts', 'open');
export const alertsOpenExplicit = listCommand('alerts open', 'open');
export const alertsAll = listCommand('alerts all', 'all');

export const alertsShow = defineCommand({
  name: 'alerts show',
  summary: 'One alert group: its alerts, labels, links, triage and silence',
  examples: ['alerts show AG-3'],
  args: z.object({ group: groupArg }),
  positional: ['group'],
  role: 'viewer',
  async run(ctx: AlertContext, { group: ref }) {
    const { group, alerts, silence } = ctx.deps.alerts.show(ref);
    await ctx.reply.private(
      alertGroupShow(group, alerts, {
        silenceDurationsMs: ctx.deps.policy.alerts.silenceDurationsMs,
        commandPrefix: prefixOf(ctx),
        limit: SHOW_LIMIT,
        ...(silence ? { silence } : {}),
      }),
    );
  },
});

export const alertsAck = defineCommand({
  name: 'alerts ack',
  summary: 'Acknowledge an alert group: you are looking at it',
  examples: ['alerts ack AG-3'],
  args: z.object({ group: groupArg }),
  positional: ['group'],
  role: 'responder',
  async run(ctx: AlertContext, { group: ref }) {
    const { group, already } = ctx.deps.alerts.acknowledge(ref, actorOf(ctx));
    await ctx.reply.private(already ? `${group.groupId} was already acknowledged by <@${group.acknowledgedBy}>.` : `👀 Acknowledged ${group.groupId}.`);
  },
});

export const alertsSilence = defineCommand({
  name: 'alerts silence',
  summary: 'Silence an alert group (or every group with these labels) for a while',
  examples: ['alerts silence AG-3 4h', 'alerts silence AG-3 24h noisy during the migration', 'alerts silence alertname=Watchdog 24h'],
  args: z.object({ target: z.string().optional(), text: z.string().optional(), labels: z.record(z.string(), z.string()).default({}) }),
  positional: ['target'],
  rest: 'text',
  extraNamed: 'labels',
  role: 'responder',
  async run(ctx: AlertContext, { target, text, labels }) {
    const prefix = prefixOf(ctx);
    const matchers = Object.keys(labels).length > 0 ? labels : undefined;
    // `AG-3 4h reason…`, or with labels `4h reason…`.
    const words = [target, ...(text ?? '').split(/\s+/)].filter((w): w is string => w !== undefined && w !== '');
    const ref = matchers ? undefined : words[0] === undefined ? undefined : parseAlertGroupId(words[0], { bare: true });
    if (!matchers && ref === undefined) {
      throw new UserError('silence_target', words[0] ? `\`${words[0]}\` is not an alert group id like AG-3.` : 'Silence which group?', `Like \`${prefix} alerts silence AG-3 4h\` or \`${prefix} alerts silence alertname=Watchdog 24h\`.`);
    }
    const rest = matchers ? words : words.slice(1);
    const durationText = rest[0];
    if (durationText === undefined) throw new UserError('silence_duration', 'For how long?', `Add a duration like ${DURATION_EXAMPLES}: \`${prefix} alerts silence ${words[0] ?? 'AG-3'} 4h\`.`);
    let durationMs: number;
    try {
      durationMs = parseDuration(durationText);
    } catch {
      throw new UserError('silence_duration', `\`${durationText}\` is not a duration.`, `Use one like ${DURATION_EXAMPLES}.`);
    }
    const reason = rest.slice(1).join(' ');
    const { silence, group } = ctx.deps.alerts.silence({ ...(ref !== undefined ? { ref } : {}), ...(matchers ? { matchers } : {}), durationMs, ...(reason ? { reason } : {}) }, actorOf(ctx));
    const what = group ? group.groupId : Object.entries(matchers ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
    await ctx.reply.private(`🔇 Silenced ${escapeMrkdwn(what)} for ${silenceLabel(durationMs)} (silence ${silence.id}). \`${prefix} alerts unsilence ${silence.id}\` lifts it.`);
  },
});

export const alertsSilences = defineCommand({
  name: 'alerts silences',
  summary: 'Silences in force',
  examples: ['alerts silences'],
  args: z.object({}),
  role: 'viewer',
  async run(ctx: AlertContext) {
    await ctx.reply.private(silenceList(ctx.deps.alerts.silences(), { commandPrefix: prefixOf(ctx) }));
  },
});

export const alertsUnsilence = defineCommand({
  name: 'alerts unsilence',
  summary: 'Remove a silence: what it held is notified again',
  examples: ['alerts unsilence 4'],
  args: z.object({ id: z.coerce.number({ error: 'a silence id (a number)' }).int({ error: 'a silence id (a number)' }).positive({ error: 'a silence id (a number)' }) }),
  positional: ['id'],
  role: 'responder',
  async run(ctx: AlertContext, { id }) {
    ctx.deps.alerts.unsilence(id, actorOf(ctx));
    await ctx.reply.private(`🔔 Silence ${id} removed.`);
  },
});

export const alertsDeclare = defineCommand({
  name: 'alerts declare',
  summary: 'Declare an incident for an alert group and link them (sev= to choose the severity)',
  examples: ['alerts declare AG-3', 'alerts declare AG-3 sev=P1'],
  args: z.object({ group: groupArg, sev: severityArg.optional() }),
  positional: ['group'],
  role: 'viewer',
  async run(ctx: AlertContext, { group: ref, sev }) {
    const severity = sev ?? ctx.deps.alerts.incidentSeverity(ref);
    const needed = ctx.deps.policy.incidents.declareRole[severity];
    if (!roleAtLeast(ctx.caller.role, needed)) throw new PermissionDeniedError(needed, `declare a ${severity} incident`, prefixOf(ctx));
    const { incidentId, created, group } = await ctx.deps.alerts.declareIncident(ref, { ...actorOf(ctx), ...(ctx.invocation.requestId ? { requestKey: ctx.invocation.requestId } : {}) }, { severity });
    await ctx.reply.private(created ? `🚨 Declared *${incidentId}* (${severity}) for ${group.groupId}, and linked them.` : `${group.groupId} is linked to *${incidentId}*.`);
  },
});

export const alertCommands = [alertsOpen, alertsOpenExplicit, alertsAll, alertsShow, alertsAck, alertsSilence, alertsSilences, alertsUnsilence, alertsDeclare];
