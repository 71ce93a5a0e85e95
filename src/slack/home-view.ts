import type { Button, View } from '@slack/types';
import { clip } from '../commands/blocks.ts';
import type { Role } from '../roles.ts';
import type { Block } from './chat-port.ts';

/**
 * App Home: who you are to opsbot and how to start, then what needs you — open incidents,
 * approvals waiting for your decision, your workflow runs still going — each with a button that
 * opens it in Slack.
 */

/** One line of a list, and where its button goes (a Slack permalink). */
export interface HomeItem {
  text: string;
  url?: string;
}

export interface HomeSections {
  incidents: HomeItem[];
  approvals: HomeItem[];
  runs: HomeItem[];
}

/** Slack's App Home takes 100 blocks; each list keeps to its share. */
export const HOME_LIST_MAX = 10;

export function homeView(input: { role: Role | null; command: string; sections?: HomeSections }): View {
  const roleLine = input.role ? `Your role: *${input.role}*.` : "You don't have access to opsbot yet; ask an admin to grant you a role.";
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: 'opsbot' } },
    { type: 'section', text: { type: 'mrkdwn', text: roleLine } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `Type \`${input.command} help\` in any channel, or mention me in a thread: \`@opsbot help\`.` },
    },
  ];
  if (input.sections && input.role) {
    blocks.push(
      ...list('Open incidents', input.sections.incidents, 'No incident is open.', 'incident'),
      ...list('Approvals waiting for you', input.sections.approvals, 'Nothing is waiting for your approval.', 'approval'),
      ...list('Your running workflows', input.sections.runs, 'None of your workflow runs is in progress.', 'run'),
    );
  }
  return { type: 'home', blocks };
}

function list(title: string, items: readonly HomeItem[], empty: string, kind: string): Block[] {
  const blocks: Block[] = [{ type: 'divider' }, { type: 'header', text: { type: 'plain_text', text: title } }];
  if (items.length === 0) return [...blocks, { type: 'context', elements: [{ type: 'mrkdwn', text: empty }] }];
  items.slice(0, HOME_LIST_MAX).forEach((item, i) => {
    const open: Button | undefined = item.url ? { type: 'button', action_id: `home.open:${kind}:${i}`, text: { type: 'plain_text', text: 'Open' }, url: item.url } : undefined;
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(item.text, 3_000) }, ...(open ? { accessory: open } : {}) });
  });
  if (items.length > HOME_LIST_MAX) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `and ${items.length - HOME_LIST_MAX} more` }] });
  return blocks;
}
