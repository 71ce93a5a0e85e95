import { z } from 'zod';
import { SEVERITIES, type Policy, type Severity } from '../config/policy-schema.ts';
import { PermissionDeniedError, UserError } from '../errors.ts';
import type { Actor, IncidentService } from '../incidents/incident-service.ts';
import { type Incident, parseIncidentId } from '../incidents/incident-types.ts';
import { roleAtLeast } from '../roles.ts';
import type { CommandContext } from './command.ts';

/** What the `incident …` commands need from the composition root (app.ts), and what they share. */
export interface IncidentCommandDeps {
  incidents: IncidentService;
  policy: Policy;
}

export type IncidentContext = CommandContext<IncidentCommandDeps>;

export const severityArg = z.enum(SEVERITIES, { error: 'one of P1, P2, P3, P4' });

/** `INC-3` or `3`. */
export const incidentRefArg = z.string().transform((text, ctx) => {
  const n = parseIncidentId(text, { bare: true });
  if (n === undefined) {
    ctx.issues.push({ code: 'custom', message: 'an incident id like INC-3', input: text });
    return z.NEVER;
  }
  return n;
});

export function actorOf(ctx: IncidentContext): Actor {
  return { userId: ctx.caller.id, channel: ctx.invocation.channelId || null };
}

/** The incident named, or the one this channel or thread belongs to. */
export function locate(ctx: IncidentContext, ref: number | undefined): Incident {
  return ctx.deps.incidents.locate(ref, { channel: ctx.invocation.channelId, ...(ctx.invocation.threadTs ? { threadTs: ctx.invocation.threadTs } : {}) });
}

/** `INC-3 the rest…` → 3 and `the rest…`; text without a leading id is all text. */
export function splitLeadingId(text: string | undefined): { ref: number | undefined; text: string } {
  const words = (text ?? '').trim();
  const m = /^(INC-\d+)(?:\s+|$)([\s\S]*)$/i.exec(words);
  if (!m) return { ref: undefined, text: words };
  return { ref: parseIncidentId(m[1]!), text: m[2] ?? '' };
}

/** Two words, one of them maybe an incident id (in either order): `INC-3 P1`, `P1 INC-3`, `P1`. */
export function refAndRest(first: string, second: string | undefined): { ref: number | undefined; rest: string } {
  if (second === undefined) return { ref: undefined, rest: first };
  const a = parseIncidentId(first, { bare: true });
  if (a !== undefined) return { ref: a, rest: second };
  const b = parseIncidentId(second, { bare: true });
  if (b !== undefined) return { ref: b, rest: first };
  throw new UserError('incident_unknown', `Neither \`${first}\` nor \`${second}\` is an incident id like INC-3.`);
}

export function parseSeverity(text: string): Severity {
  const upper = text.trim().toUpperCase();
  if ((SEVERITIES as readonly string[]).includes(upper)) return upper as Severity;
  throw new UserError('invalid_severity', `\`${text}\` is not a severity: use P1, P2, P3 or P4.`);
}

/** Responders change incidents; so may the incident's own commander and communications lead, whatever their role. */
export function requireControl(ctx: IncidentContext, incident: Incident, what: string): void {
  if (roleAtLeast(ctx.caller.role, 'responder')) return;
  if (incident.commander === ctx.caller.id || incident.communications === ctx.caller.id) return;
  throw new PermissionDeniedError('responder', `${what} ${incident.id}`, ctx.commandPrefix);
}

/** Whether the request came from where the incident lives (its post there is the answer). */
export function inHome(ctx: IncidentContext, incident: Incident): boolean {
  if (incident.channel !== ctx.invocation.channelId) return false;
  return incident.mode === 'channel' || ctx.invocation.threadTs === incident.threadTs;
}

/** A confirmation for whoever asked from elsewhere; in the incident's own place the public post says it. */
export async function confirm(ctx: IncidentContext, incident: Incident, text: string): Promise<void> {
  if (!inHome(ctx, incident)) await ctx.reply.private(text);
}
