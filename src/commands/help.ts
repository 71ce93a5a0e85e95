import { z } from 'zod';
import { UserError } from '../errors.ts';
import { roleAtLeast, ROLES, type Role } from '../roles.ts';
import { defineCommand, type CommandContext } from './command.ts';
import type { AnyCommand } from './command-types.ts';
import type { CoreDeps } from './core-deps.ts';
import { didYouMean } from './did-you-mean.ts';
import { commandHelpView, helpOverview, type HelpGroup } from './help-view.ts';
import { usage } from './usage.ts';

const args = z.object({ topic: z.string().optional() });

/**
 * `help` lists what the caller may run (DESIGN §4: help lists only what the caller may run);
 * `help <command>` explains one command, including ones the caller can't run yet (saying which
 * role they need); `help <group>` lists the group's commands the caller may run.
 */
export const help = defineCommand({
  name: 'help',
  summary: 'List the commands you can run, or explain one',
  examples: ['help', 'help role grant'],
  args,
  rest: 'topic',
  role: 'viewer',
  async run({ caller, reply, deps, commandPrefix = '/ops' }: CommandContext<CoreDeps>, { topic }) {
    const { registry } = deps;
    const visible = (c: AnyCommand) => roleAtLeast(caller.role, c.role);
    const words = (topic ?? '').split(/\s+/).filter((w) => w !== '');

    if (words.length === 0) {
      await reply.private(helpOverview(visibleGroups(registry.groups(), visible), commandPrefix));
      return;
    }

    const found = registry.match(words);
    if (found.kind === 'command') {
      const c = found.command;
      await reply.private(
        commandHelpView({
          name: c.name,
          summary: c.summary,
          usage: usage(c, commandPrefix),
          examples: c.examples ?? [],
          role: c.role,
          callerRole: caller.role,
          allowed: visible(c),
          commandPrefix,
        }),
      );
      return;
    }

    const groupName = (words[0] as string).toLowerCase();
    const group = registry.groups().get(groupName);
    if (group && words.length === 1) {
      const mine = group.filter(visible);
      if (mine.length === 0) {
        throw new UserError('no_permitted_commands', `You can't run any \`${groupName}\` commands: they need *${lowestRole(group)}* or higher.`, `Ask an admin: \`${commandPrefix} role grant @you ${lowestRole(group)}\`.`);
      }
      await reply.private(helpOverview([{ group: groupName, commands: mine }], commandPrefix, `${groupName} commands`));
      return;
    }

    throw new UserError('unknown_command', `There's no \`${words.join(' ')}\` command. ${didYouMean(found.suggestions)}`.trim(), `Type \`${commandPrefix} help\` for the list.`);
  },
});

function visibleGroups(groups: Map<string, AnyCommand[]>, visible: (c: AnyCommand) => boolean): HelpGroup[] {
  return [...groups]
    .map(([group, commands]) => ({ group, commands: commands.filter(visible) }))
    .filter((g) => g.commands.length > 0);
}

function lowestRole(commands: readonly AnyCommand[]): Role {
  return ROLES.find((r) => commands.some((c) => c.role === r)) ?? 'admin';
}
