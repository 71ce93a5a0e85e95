import type { View } from '@slack/types';
import type { Role } from '../roles.ts';

/** App Home for now: who you are to opsbot and how to start. The incident issue adds its lists. */
export function homeView(input: { role: Role | null; command: string }): View {
  const roleLine = input.role ? `Your role: *${input.role}*.` : "You don't have access to opsbot yet; ask an admin to grant you a role.";
  return {
    type: 'home',
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: 'opsbot' } },
      { type: 'section', text: { type: 'mrkdwn', text: roleLine } },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `Type \`${input.command} help\` in any channel, or mention me in a thread: \`@opsbot help\`.` },
      },
    ],
  };
}
