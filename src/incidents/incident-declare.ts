import type { Severity } from '../config/policy-schema.ts';
import { incidentAnnouncement } from '../slack/views/incident-messages.ts';
import { incidentChannelName } from './channel-name.ts';
import type { Actor, IncidentCore } from './incident-core.ts';
import type { Paging } from './incident-paging.ts';
import type { Incident } from './incident-types.ts';

/**
 * Declaring: the incident is stored first (one transaction: row, `declared` event, audit), then
 * given its place in Slack — a channel `#<prefix>-<n>-<slug>` with the commander invited and the
 * summary pinned, announced in the incidents channel; or a thread there — then paged when an
 * escalation rule says so. Each step stores what it made, so a replayed request (same Slack
 * request id) finds the incident and finishes what is missing instead of declaring it twice.
 */

export interface DeclareInput {
  title: string;
  severity: Severity;
  service?: string;
  summary?: string;
  /** The message a shortcut declared from: it goes on the timeline first. */
  source?: { channel: string; ts: string };
}

export interface DeclareOrigin extends Actor {
  /** Where the request was made: the announcement goes here when no incidents channel is set. */
  channel: string;
  /** Slack's id of the request (trigger or event id). */
  requestKey?: string;
}

const NAME_ATTEMPTS = 5;

export async function declareIncident(core: IncidentCore, paging: Paging, input: DeclareInput, origin: DeclareOrigin): Promise<{ incident: Incident; created: boolean }> {
  const { repo, clock, policy } = core;
  const existing = origin.requestKey ? repo.byRequest(origin.requestKey) : undefined;
  let incident: Incident;
  if (existing) {
    incident = existing;
  } else {
    const now = clock.now();
    const reminder = policy.incidents.statusReminderMs;
    const title = core.redact(input.title.replace(/\s+/g, ' ').trim());
    const summary = input.summary?.trim() ? core.redact(input.summary.trim()) : null;
    incident = core.transaction(() => {
      const number = repo.create({
        title,
        severity: input.severity,
        service: input.service ?? null,
        summary,
        commander: origin.userId,
        declaredBy: origin.userId,
        mode: policy.incidents.mode,
        requestKey: origin.requestKey ?? null,
        declaredAt: now,
        nextReminderAt: reminder > 0 ? now + reminder : null,
      });
      const created = repo.get(number)!;
      return core.commit(created, {
        event: { kind: 'declared', text: `Declared ${input.severity}: ${title}${input.service ? ` (service ${input.service})` : ''}` },
        action: 'declare',
        actor: origin,
        details: { severity: input.severity, service: input.service ?? null, mode: policy.incidents.mode },
      }).incident;
    });
    core.metrics?.declared(incident.severity);
    core.reportOpen();
    core.onTimersChanged?.();
  }

  incident = await provision(core, incident, origin);
  if (input.source) incident = await recordSource(core, incident, input.source, origin);
  incident = await paging.start(incident, origin);
  return { incident, created: !existing };
}

async function provision(core: IncidentCore, start: Incident, origin: DeclareOrigin): Promise<Incident> {
  const { repo, clock, log, policy } = core;
  let incident = start;
  const announceTo = policy.channels.incidents ?? origin.channel;

  if (incident.mode === 'channel' && !incident.channel) {
    let created: { id: string; name: string } | undefined;
    let refusal: string | undefined;
    for (let attempt = 1; attempt <= NAME_ATTEMPTS && !created && !refusal; attempt++) {
      const name = incidentChannelName(policy.incidents.channelPrefix, incident.number, incident.title, attempt);
      const result = await core.slack.createChannel(name);
      if ('id' in result) created = { id: result.id, name };
      else if (result.error !== 'name_taken') refusal = result.error;
    }
    if (created) {
      incident = core.commit(incident, { patch: { channel: created.id }, action: 'channel', actor: origin, details: { channel: created.id, name: created.name } }).incident;
    } else {
      // Slack would not make a channel (restricted_action, missing_scope, every name taken): a thread still works.
      log.warn({ incident: incident.id, error: refusal ?? 'name_taken' }, 'could not create the incident channel; using a thread');
      incident = core.commit(incident, {
        patch: { mode: 'thread' },
        event: { kind: 'note', who: null, text: `Slack would not create a channel (${refusal ?? 'every name was taken'}); the incident lives in a thread instead.` },
        action: 'channel',
        actor: origin,
        details: { error: refusal ?? 'name_taken' },
      }).incident;
    }
  }

  if (!incident.summaryTs) {
    if (incident.mode === 'channel' && incident.channel) {
      await core.slack.invite(incident.channel, [incident.commander, incident.declaredBy, ...(incident.communications ? [incident.communications] : []), ...incident.responders]);
      const ref = await core.chat.post(incident.channel, core.summaryMessage(incident));
      repo.update(incident.number, { summaryTs: ref.ts }, clock.now());
      await core.slack.pin(incident.channel, ref.ts);
    } else {
      const ref = await core.chat.post(announceTo, core.summaryMessage(incident));
      repo.update(incident.number, { channel: ref.channel, threadTs: ref.ts, summaryTs: ref.ts }, clock.now());
    }
    incident = repo.get(incident.number)!;
  }

  if (incident.mode === 'channel' && incident.channel && !incident.announceTs && announceTo !== incident.channel) {
    try {
      const ref = await core.chat.post(announceTo, incidentAnnouncement(incident, incident.channel));
      repo.update(incident.number, { announceChannel: ref.channel, announceTs: ref.ts }, clock.now());
      incident = repo.get(incident.number)!;
    } catch (err) {
      // The incident has its channel; an announcement that cannot be posted is not worth failing for.
      log.warn({ err, incident: incident.id, channel: announceTo }, 'could not announce the incident');
    }
  }
  return incident;
}

async function recordSource(core: IncidentCore, incident: Incident, source: { channel: string; ts: string }, origin: DeclareOrigin): Promise<Incident> {
  const message = await core.slack.message(source.channel, source.ts).catch(() => undefined);
  const link = await core.slack.permalink(source.channel, source.ts);
  const seconds = Number(source.ts);
  const text = message?.text ? core.redact(message.text) : (incident.summary ?? '(the message could not be read)');
  return core.commit(incident, {
    event: {
      kind: 'note',
      who: message?.user ?? null,
      // When it was said: the message that started it all comes first on the timeline.
      at: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : core.clock.now(),
      text: `${text}${link ? ` (${link})` : ''}`,
      ref: `msg:${source.channel}/${source.ts}`,
    },
    action: 'note',
    actor: origin,
    details: { source: `${source.channel}/${source.ts}` },
  }).incident;
}
