import type { Role } from '../roles.ts';
import type { Block, MessageContent } from '../slack/chat-port.ts';
import { BLOCKS_MAX, context, escapeMrkdwn, header, section, sectionsOf } from './blocks.ts';

/** Pure Block Kit builders for `help`; the command decides what the caller may see. */

export interface HelpEntry {
  name: string;
  summary: string;
}

export interface HelpGroup {
  /** The first word shared by the group's commands. */
  group: string;
  commands: HelpEntry[];
}

export function helpOverview(groups: readonly HelpGroup[], commandPrefix: string, title = 'opsbot commands'): MessageContent {
  const footer = `Type \`${commandPrefix} help &lt;command&gt;\` for details. In threads, mention me instead: \`@opsbot &lt;command&gt;\``;
  const groupBlocks: Block[] = groups.flatMap((g) => sectionsOf(g.commands.map(entryLine), `*${g.group}*`));
  // Header + footer take two of Slack's 50 blocks.
  const blocks = [header(title), ...groupBlocks.slice(0, BLOCKS_MAX - 2), context(footer)];
  const text = [title, ...groups.flatMap((g) => g.commands.map((c) => `${c.name}: ${c.summary}`)), footer].join('\n');
  return { text, blocks };
}

export interface CommandHelp {
  name: string;
  summary: string;
  usage: string;
  /** Written without the prefix (`role grant @alice deployer`); shown with it. */
  examples: readonly string[];
  role: Role;
  /** The caller's role; null for no access. */
  callerRole: Role | null;
  allowed: boolean;
  commandPrefix: string;
}

export function commandHelpView(h: CommandHelp): MessageContent {
  const examples = h.examples.map((e) => `\`${withPrefix(e, h.commandPrefix)}\``);
  const access = h.allowed
    ? `Needs the *${h.role}* role.`
    : `Needs the *${h.role}* role; you have ${h.callerRole ? `*${h.callerRole}*` : 'no role'}. Ask an admin: \`${h.commandPrefix} role grant @you ${h.role}\`.`;
  const blocks: Block[] = [
    section(`*\`${h.name}\`* — ${h.summary}`),
    section(`*Usage:* \`${escapeMrkdwn(h.usage)}\``),
    ...(examples.length > 0 ? [section(`*Examples:*\n${examples.join('\n')}`)] : []),
    context(access),
  ];
  const text = [`${h.name}: ${h.summary}`, `Usage: ${escapeMrkdwn(h.usage)}`, ...(examples.length > 0 ? [`Examples: ${examples.join(', ')}`] : []), access].join('\n');
  return { text, blocks };
}

function entryLine(e: HelpEntry): string {
  return `• \`${e.name}\` — ${e.summary}`;
}

function withPrefix(example: string, prefix: string): string {
  return example.startsWith('/') || example.startsWith('@') ? example : `${prefix} ${example}`;
}
