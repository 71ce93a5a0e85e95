import { agentCommands } from './agent-commands.ts';
import { audit } from './audit-command.ts';
import { autorunCommand } from './autorun-command.ts';
import type { AnyCommand } from './command-types.ts';
import { help } from './help.ts';
import { roleGrant, roleList, roleRevoke } from './role-commands.ts';
import { workflowCommands } from './workflow-commands.ts';

export type { AgentCommandDeps } from './agent-commands.ts';
export type { CoreDeps } from './core-deps.ts';
export type { WorkflowCommandDeps } from './workflow-command-deps.ts';

/** The commands every install has; feature commands are appended in app.ts. */
export const builtinCommands: AnyCommand[] = [help, roleGrant, roleRevoke, roleList, audit];

/** Feature commands: the `workflow …` group (WorkflowCommandDeps), `agents …` (AgentCommandDeps), `autorun` (AutorunCommandDeps). */
export const featureCommands: AnyCommand[] = [...workflowCommands, ...agentCommands, autorunCommand];
