import { postmortemAgent } from '../agents/postmortem-agent.ts';
import { postmortemMarkdown, type PostmortemInput } from '../agents/offline/postmortem-template.ts';
import { escapeMrkdwn, section } from '../commands/blocks.ts';
import { formatDuration } from '../agents/offline/postmortem-template.ts';
import { UserError } from '../errors.ts';
import type { RepoRef } from '../integrations/github/github-types.ts';
import type { Actor, IncidentCore } from './incident-core.ts';
import { requireOpen } from './incident-changes.ts';
import type { Paging } from './incident-paging.ts';
import type { Incident } from './incident-types.ts';

/**
 * Resolving, and what comes after: the durations (to acknowledge, mitigate, resolve), PagerDuty's
 * resolve, and a postmortem draft in Markdown built from the stored record and timeline — the
 * narrative from the postmortem agent (its offline template without a model) — posted as a file
 * where the incident lives and, on request, opened as a GitHub issue.
 */

export interface Postmortem {
  markdown: string;
  filename: string;
  /** What the reply should say besides: the provider, a thin draft. */
  notes: string[];
  issue?: { url: string } | { dryRun: true };
}

export interface IncidentResolution {
  resolve(incident: Incident, summary: string, actor: Actor): Promise<{ incident: Incident; postmortem: Postmortem | undefined }>;
  postmortem(incident: Incident, actor: Actor, options?: { issue?: RepoRef; post?: boolean }): Promise<Postmortem>;
}

export function createIncidentResolution(core: IncidentCore, paging: Paging): IncidentResolution {
  const { clock, log } = core;

  /** The record and timeline as people read them: `<@U…>` becomes `@name`, which a Markdown file can show. */
  async function postmortemInput(incident: Incident): Promise<PostmortemInput> {
    const names = new Map<string, string>();
    const name = async (id: string) => {
      if (!names.has(id)) names.set(id, `@${await core.slack.userName(id)}`);
      return names.get(id)!;
    };
    const plain = async (text: string) => {
      let out = text;
      for (const m of text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)) out = out.replace(m[0], await name(m[1]!));
      return out.replace(/<!subteam\^(S[A-Z0-9]+)(?:\|([^>]*))?>/g, (_all, id: string, label?: string) => label ?? `@${id}`).replace(/<#(C[A-Z0-9]+)(?:\|([^>]*))?>/g, (_all, id: string, label?: string) => `#${label ?? id}`);
    };
    const events = core.repo.events(incident.number);
    const timeline = [];
    for (const e of events) {
      timeline.push({ at: e.at, who: e.who && /^[UW][A-Z0-9]+$/.test(e.who) ? await name(e.who) : e.who === 'system' ? null : e.who, kind: e.kind, text: await plain(e.text) });
    }
    return {
      incident: {
        id: incident.id,
        title: incident.title,
        severity: incident.severity,
        service: incident.service,
        commander: await name(incident.commander),
        declaredAt: incident.declaredAt,
        acknowledgedAt: incident.acknowledgedAt,
        mitigatedAt: incident.mitigatedAt,
        resolvedAt: incident.resolvedAt,
        summary: incident.resolution ?? incident.summary,
      },
      timeline,
    };
  }

  const resolution: IncidentResolution = {
    async resolve(incident, summary, actor) {
      requireOpen(incident, 'be resolved again');
      const text = core.redact(summary.trim());
      if (!text) throw new UserError('incident_resolve_summary', `Say what resolved ${incident.id}.`, `\`${core.commandPrefix} incident resolve ${incident.id} "rolled back v2.3"\``);
      const now = clock.now();
      const { incident: after } = core.commit(incident, {
        patch: { status: 'resolved', resolvedAt: now, resolution: text, nextPageAt: null, nextReminderAt: null, lastUpdate: text, lastUpdateAt: now },
        event: { kind: 'resolved', text },
        action: 'resolve',
        actor,
        details: {
          toAcknowledgeMs: incident.acknowledgedAt === null ? null : incident.acknowledgedAt - incident.declaredAt,
          toMitigateMs: incident.mitigatedAt === null ? null : incident.mitigatedAt - incident.declaredAt,
          toResolveMs: now - incident.declaredAt,
        },
      });
      core.metrics?.resolved(after.severity, (now - after.declaredAt) / 1000);
      core.reportOpen();
      core.onTimersChanged?.();
      paging.pagerDuty(after, 'resolve', actor);
      await core.refresh(after);
      const since = (at: number | null) => (at === null ? 'not recorded' : formatDuration(at - after.declaredAt));
      await core.postHome(after, {
        text: `${after.id} resolved after ${formatDuration(now - after.declaredAt)}`,
        blocks: [
          section(
            `✅ <@${actor.userId}> resolved *${after.id}* after ${formatDuration(now - after.declaredAt)}: ${escapeMrkdwn(text)}\n` +
              `Time to acknowledge: ${since(after.acknowledgedAt)} · to mitigate: ${since(after.mitigatedAt)} · to resolve: ${formatDuration(now - after.declaredAt)}`,
          ),
        ],
      });
      let postmortem: Postmortem | undefined;
      try {
        postmortem = await resolution.postmortem(after, actor);
      } catch (err) {
        // Resolved is resolved; the draft can be asked for again with `incident postmortem`.
        log.error({ err, incident: after.id }, 'postmortem draft failed');
      }
      return { incident: after, postmortem };
    },

    async postmortem(incident, actor, options = {}) {
      const input = await postmortemInput(incident);
      const answer = await core.agents.run(postmortemAgent(), input, { requestedBy: actor.userId, subject: incident.id });
      const markdown = postmortemMarkdown(input, answer.output, { redact: core.redact });
      const filename = `${incident.id}-postmortem.md`;
      const notes = [...answer.notes];
      if (options.post !== false) {
        const where = core.home(incident);
        if (where) {
          await core.chat.upload(where.channel, { filename, content: markdown, title: `Postmortem draft: ${incident.id} ${incident.title}`, comment: `📝 Postmortem draft for *${incident.id}*, from the stored timeline. Edit it, then share it.` }, where.threadTs);
        }
      }
      core.audit.append({ at: clock.now(), actor: actor.userId, channel: actor.channel, action: 'incident.postmortem', args: JSON.stringify({ incident: incident.id, agentRun: answer.runId, provider: answer.provider }), outcome: 'ok' });
      const result: Postmortem = { markdown, filename, notes };
      if (options.issue) result.issue = await openIssue(incident, options.issue, markdown, actor);
      return result;
    },
  };

  async function openIssue(incident: Incident, repo: RepoRef, markdown: string, actor: Actor): Promise<{ url: string } | { dryRun: true }> {
    if (!core.github) throw new UserError('github_not_configured', 'GitHub is not configured (no GITHUB_TOKEN), so no issue can be opened.', 'The draft is posted as a file; copy it into an issue by hand.');
    const title = `Postmortem: ${incident.id} ${incident.title}`.slice(0, 250);
    if (core.dryRun) {
      core.audit.append({ at: clock.now(), actor: actor.userId, channel: actor.channel, action: 'incident.postmortem.issue', args: JSON.stringify({ incident: incident.id, repo: `${repo.owner}/${repo.repo}`, dryRun: true }), outcome: 'dry_run' });
      return { dryRun: true };
    }
    const issue = await core.github.createIssue(repo, { title, body: markdown });
    core.commit(incident, {
      event: { kind: 'postmortem', text: `Postmortem issue opened: ${issue.url}` },
      action: 'postmortem.issue',
      actor,
      details: { repo: `${repo.owner}/${repo.repo}`, number: issue.number, url: issue.url },
    });
    return { url: issue.url };
  }

  return resolution;
}
