import { z } from 'zod';
import { UserError } from '../errors.ts';
import { ROLES, type Role } from '../roles.ts';
import type { RoleGrant, Store } from '../store/types.ts';
import { role, slackUserId } from './arg-types.ts';
import { context, header, sectionsOf } from './blocks.ts';
import { defineCommand, type CommandContext } from './command.ts';
import type { CoreDeps } from './core-deps.ts';
import { slackTime, utcTime } from './time-format.ts';

/**
 * Role grants. Each change is one transaction holding the role row and its own audit row
 * (`role.grant` / `role.revoke`, beside the dispatcher's `command` row), and the "at least one
 * admin remains" check runs inside it, so two admins demoting each other at once can't both win.
 */

export const roleGrant = defineCommand({
  name: 'role grant',
  summary: 'Give someone a role (viewer, responder, deployer, admin)',
  examples: ['role grant @alice deployer'],
  args: z.object({ user: slackUserId, role }),
  positional: ['user', 'role'],
  role: 'admin',
  async run({ caller, invocation, clock, reply, deps }: CommandContext<CoreDeps>, args) {
    const { store } = deps;
    const at = clock.now();
    const previous = store.transaction(() => {
      const current = store.roles.get(args.user);
      if (current?.role === args.role) return current;
      if (current?.role === 'admin') refuseIfLastAdmin(store, args.user, 'change their role');
      store.roles.grant(args.user, args.role, caller.id, at);
      store.audit.append({
        at,
        actor: caller.id,
        channel: invocation.channelId,
        action: 'role.grant',
        command: 'role grant',
        args: JSON.stringify({ user: args.user, role: args.role, previous: current?.role ?? null }),
        outcome: 'ok',
      });
      return current ?? null;
    });
    if (previous?.role === args.role) {
      await reply.private(`<@${args.user}> already has the *${args.role}* role; nothing changed.`);
      return;
    }
    await reply.private(`<@${args.user}> now has the *${args.role}* role (was ${previous ? `*${previous.role}*` : 'the default'}).`);
  },
});

export const roleRevoke = defineCommand({
  name: 'role revoke',
  summary: "Remove someone's granted role (back to the default)",
  examples: ['role revoke @alice'],
  args: z.object({ user: slackUserId }),
  positional: ['user'],
  role: 'admin',
  async run({ caller, invocation, clock, reply, deps }: CommandContext<CoreDeps>, args) {
    const { store } = deps;
    const at = clock.now();
    const removed = store.transaction(() => {
      const current = store.roles.get(args.user);
      if (!current) return undefined;
      if (current.role === 'admin') refuseIfLastAdmin(store, args.user, 'revoke it');
      store.roles.revoke(args.user);
      store.audit.append({
        at,
        actor: caller.id,
        channel: invocation.channelId,
        action: 'role.revoke',
        command: 'role revoke',
        args: JSON.stringify({ user: args.user, previous: current.role }),
        outcome: 'ok',
      });
      return current;
    });
    if (!removed) throw new UserError('no_grant', `<@${args.user}> has no granted role to revoke.`, 'See who has which role with `role list`.');
    await reply.private(`Revoked <@${args.user}>'s *${removed.role}* role; they're back to the default (viewer for workspace members, nothing for guests).`);
  },
});

export const roleList = defineCommand({
  name: 'role list',
  summary: 'Show who has which granted role',
  examples: ['role list'],
  args: z.object({}),
  role: 'responder',
  async run({ reply, deps }: CommandContext<CoreDeps>) {
    await reply.private(roleListView(deps.store.roles.list()));
  },
});

function refuseIfLastAdmin(store: Store, userId: string, what: string): void {
  const admins = store.roles.list().filter((g) => g.role === 'admin');
  if (admins.length <= 1 && admins.some((g) => g.userId === userId)) {
    throw new UserError('last_admin', `<@${userId}> is the last admin, so you can't ${what}: opsbot needs at least one admin.`, 'Grant admin to someone else first.');
  }
}

/** Highest role first, then by who was granted first. */
export function roleListView(grants: readonly RoleGrant[]) {
  if (grants.length === 0) return { text: 'No roles granted yet: every workspace member is a *viewer*.' };
  const byRole = (r: Role) => grants.filter((g) => g.role === r).sort((a, b) => a.grantedAt - b.grantedAt);
  const order = [...ROLES].reverse();
  const line = (g: RoleGrant, time: (ms: number) => string) => `<@${g.userId}> — granted by ${g.grantedBy === 'system' ? 'OPS_ADMINS' : `<@${g.grantedBy}>`}, ${time(g.grantedAt)}`;
  const blocks = [
    header('Granted roles'),
    ...order.flatMap((r) => {
      const members = byRole(r);
      return members.length === 0 ? [] : sectionsOf(members.map((g) => `• ${line(g, (ms) => slackTime(ms, '{date_short}'))}`), `*${r}*`);
    }),
    context('Everyone else in the workspace is a *viewer*; guests and other workspaces have no access until granted.'),
  ];
  const text = order
    .flatMap((r) => byRole(r).map((g) => `${r}: ${line(g, utcTime)}`))
    .join('\n');
  return { text, blocks: blocks.slice(0, 50) };
}
