import { agentCommands } from './agent-commands.ts';
import { alertCommands } from './alert-commands.ts';
import { audit } from './audit-command.ts';
import { autorunCommand } from './autorun-command.ts';
import { ciCommands } from './ci-commands.ts';
import type { AnyCommand } from './command-types.ts';
import { help } from './help.ts';
import { incidentCommands } from './incident-commands.ts';
import { incidentResponseCommands } from './incident-response-commands.ts';
import { k8sCommands } from './k8s-commands.ts';
import { playbookCommands } from './playbook-commands.ts';
import { prCommands } from './pr-commands.ts';
import { roleGrant, roleList, roleRevoke } from './role-commands.ts';
import { workflowCommands } from './workflow-commands.ts';

export type { AgentCommandDeps } from './agent-commands.ts';
export type { AlertCommandDeps } from './alert-commands.ts';
export type { CiCommandDeps } from './ci-commands.ts';
export type { CoreDeps } from './core-deps.ts';
export type { IncidentCommandDeps } from './incident-command-deps.ts';
export type { K8sCommandDeps } from './k8s-commands.ts';
export type { PlaybookCommandDeps } from './playbook-commands.ts';
export type { PrCommandDeps } from './pr-commands.ts';
export type { WorkflowCommandDeps } from './workflow-command-deps.ts';

/** The commands every install has; feature commands are appended in app.ts. */
export const builtinCommands: AnyCommand[] = [help, roleGrant, roleRevoke, roleList, audit];

/** Feature commands: the `workflow …` group (WorkflowCommandDeps), `agents …` (AgentCommandDeps), `autorun` (AutorunCommandDeps), `ci …` (CiCommandDeps), `pr …` (PrCommandDeps), `k8s …` (K8sCommandDeps), `incident …` (IncidentCommandDeps), `playbook …` (PlaybookCommandDeps), `alerts …` (AlertCommandDeps). */
export const featureCommands: AnyCommand[] = [...workflowCommands, ...agentCommands, autorunCommand, ...ciCommands, ...prCommands, ...k8sCommands, ...incidentCommands, ...incidentResponseCommands, ...playbookCommands, ...alertCommands];
