import type { EmulatedChannel, EmulatedUser } from './types.ts';

/**
 * The workspace an emulator starts with unless told otherwise. Ids are fixed so tests, the local
 * shell and documentation can name them; the channel set covers the cases that behave differently
 * in Slack: bot a member (#general, #alerts), public without the bot (#random), private without
 * the bot (G0PRIVATE).
 */
export const DEFAULT_TEAM = { id: 'T0EMULATE', domain: 'emulated' } as const;
export const DEFAULT_BOT = { userId: 'U0OPSBOT', botId: 'B0OPSBOT', name: 'opsbot' } as const;
export const DEFAULT_APP_ID = 'A0OPSBOT';

export const DEFAULT_USERS: readonly EmulatedUser[] = [
  { id: 'U0ALICE', name: 'alice' },
  { id: 'U0BOB', name: 'bob' },
  { id: 'U0CAROL', name: 'carol' },
];

/** The default channels, with `people` (default: the default users) as members. */
export function defaultChannels(botUserId: string, people: readonly string[] = DEFAULT_USERS.map((u) => u.id)): EmulatedChannel[] {
  return [
    { id: 'C0GENERAL', name: 'general', members: [...people, botUserId] },
    { id: 'C0RANDOM', name: 'random', members: [...people] },
    { id: 'G0PRIVATE', name: 'private', isPrivate: true, members: [...people] },
    { id: 'C0ALERTS', name: 'alerts', members: [...people, botUserId] },
  ];
}

export const DEFAULT_USERGROUPS = [{ id: 'S0ONCALL', handle: 'oncall', users: ['U0ALICE', 'U0BOB'] }];
