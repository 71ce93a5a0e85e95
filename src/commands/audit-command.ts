import { z } from 'zod';
import type { MessageContent } from '../slack/chat-port.ts';
import type { AuditEntry } from '../store/types.ts';
import { bool, positiveInt, slackUserId } from './arg-types.ts';
import { context, header, sectionsOf } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';
import type { CoreDeps } from './core-deps.ts';
import { slackTime, utcTime } from './time-format.ts';

export const AUDIT_DEFAULT = 20;
export const AUDIT_MAX = 200;

export const audit = defineCommand({
  name: 'audit',
  summary: 'Show the newest audit log entries, optionally for one user',
  examples: ['audit', 'audit 50 user=@alice', 'audit 20 --all'],
  args: z.object({
    n: positiveInt.max(AUDIT_MAX, { error: `at most ${AUDIT_MAX}` }).default(AUDIT_DEFAULT),
    user: slackUserId.optional(),
    all: bool.default(false),
  }),
  positional: ['n'],
  role: 'admin',
  async run({ reply, deps }: CommandContext<CoreDeps>, { n, user, all }) {
    // Each request is recorded at intake and again with its outcome; the outcome is what people
    // look for, so the intake rows only show with --all.
    const entries = deps.store.audit.list({ limit: n, includeReceived: all, ...(user ? { actor: user } : {}) });
    if (entries.length === 0) {
      await reply.private(user ? `No audit entries for <@${user}>.` : 'The audit log is empty.');
      return;
    }
    // The audit log is admin-only data: it is always answered privately, never as a channel file;
    // the outbox splits a long answer into several messages.
    await reply.private(auditView(entries, user));
  },
});

function auditTitle(count: number, user: string | undefined): string {
  return `Audit log: ${count} ${count === 1 ? 'entry' : 'entries'}${user ? ` for ${user}` : ''}`;
}

/** One line per entry: time, who, where, what, outcome. Pure. */
export function auditView(entries: readonly AuditEntry[], user?: string): MessageContent {
  const line = (e: AuditEntry, time: string, who: string, where: string) => `${time} ${who}${where} \`${what(e)}\` → ${e.outcome}`;
  const blockLines = entries.map((e) => line(e, slackTime(e.at), e.actor === 'system' ? 'system' : `<@${e.actor}>`, e.channel ? ` in <#${e.channel}>` : ''));
  const textLines = entries.map((e) => line(e, utcTime(e.at), e.actor, e.channel ? ` in ${e.channel}` : ''));
  const title = auditTitle(entries.length, user);
  return {
    text: [title, ...textLines].join('\n'),
    blocks: [header(title), ...sectionsOf(blockLines), context('Newest first, only visible to you. `audit &lt;n&gt;` shows up to 200; `user=@someone` narrows it; `--all` adds each request as received.')],
  };
}

function what(e: AuditEntry): string {
  if (e.action !== 'command') return e.action;
  // Unknown commands have no name; the dispatcher keeps what was typed in `detail`.
  return e.command ?? e.detail ?? '—';
}
