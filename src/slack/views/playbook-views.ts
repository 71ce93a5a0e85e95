import type { ModalView } from '@slack/types';
import { clip, context, escapeMrkdwn, header, section, sectionsOf } from '../../commands/blocks.ts';
import type { WorkflowDefinition } from '../../workflows/definition.ts';
import type { MessageContent } from '../chat-port.ts';
import type { ViewCommand } from '../request-handlers.ts';
import { paramsModal, paramsModalErrors, quoteCommandValue, readParamsModal, WORKFLOW_RUN_CALLBACK } from './workflow-params-modal.ts';
import { button } from './workflow-views.ts';

/**
 * What `playbook list` and `playbook run` show, and the one way the text of a `playbook run`
 * command is built: the incident's buttons, the alert groups' Run buttons (alerts issue) and the
 * params form all produce it, so a click is checked like the typed command. Pure.
 */

export const PLAYBOOK_RUN_CALLBACK = 'playbook_run';
/** A button's value holds at most 2,000 characters. */
const MAX_BUTTON_VALUE = 2_000;

/** What a run is for: `incident=INC-3`, `alert=<alert group id>`. */
export interface PlaybookLinks {
  incident?: string;
  alert?: string;
}

/** `playbook run pod-crash-looping namespace="shop" pod="api-1" incident="INC-3"`: values quoted so the parser gives them back exactly. */
export function playbookRunCommand(name: string, params: Readonly<Record<string, string>>, links: PlaybookLinks = {}): string {
  const words = [`playbook run ${name}`, ...Object.entries(params).map(([key, value]) => `${key}=${quoteCommandValue(value)}`)];
  if (links.incident) words.push(`incident=${quoteCommandValue(links.incident)}`);
  if (links.alert) words.push(`alert=${quoteCommandValue(links.alert)}`);
  return words.join(' ');
}

export interface AutorunState {
  /** opsbot.yaml `autorun.enabled`. */
  policyEnabled: boolean;
  /** `/ops autorun`. */
  switchOn: boolean;
}

export function playbookListView(playbooks: readonly WorkflowDefinition[], autorun: AutorunState, commandPrefix: string): MessageContent {
  if (playbooks.length === 0) return { text: 'No playbooks are loaded: add them to playbooks/ (see playbooks/README.md).' };
  const state = !autorun.policyEnabled
    ? 'Automatic runs are disabled in opsbot.yaml: every playbook waits for a click.'
    : autorun.switchOn
      ? `Automatic runs are on (\`${commandPrefix} autorun off\` stops them).`
      : `Automatic runs are switched off (\`${commandPrefix} autorun on\` resumes them).`;
  const lines = playbooks.map((def) => {
    const spec = def.playbook;
    if (!spec) return `• *${escapeMrkdwn(def.name)}*`;
    const auto = spec.autorun.enabled ? `runs by itself for ${spec.autorun.severities.join('/')}` : spec.risk === 'low' ? 'runs on a click' : 'a click, then an approval';
    const targets = Object.values(spec.paramsFromAlert);
    return (
      `• *${escapeMrkdwn(def.name)}* — ${escapeMrkdwn(def.description)}\n` +
      `   ${RISK_MARK[spec.risk]} ${spec.risk} risk · ${spec.remediation} · ${auto} · needs ${'byParam' in def.run ? `${def.run.role}+` : def.run.role}` +
      `${targets.length > 0 ? ` · targets from ${targets.map((t) => `\`${t}\``).join(', ')}` : ''}`
    );
  });
  const text = ['Playbooks', ...playbooks.map((d) => `${d.name}: ${d.playbook?.risk ?? '?'} risk, ${d.playbook?.remediation ?? '?'}${d.playbook?.autorun.enabled ? ', auto-run' : ''}`), state].join('\n');
  return { text, blocks: [header('Playbooks'), ...sectionsOf(lines), context(`${state} \`${commandPrefix} playbook run <name> key=value… [incident=INC-n]\` starts one.`)] };
}

const RISK_MARK = { low: '🟢', medium: '🟠', high: '🔴' } as const;

/** A mention has no trigger_id to open the form with; a button does. */
export function playbookFillInPrompt(def: WorkflowDefinition, given: Readonly<Record<string, string>>, missing: readonly string[], links: PlaybookLinks): MessageContent {
  const full = playbookRunCommand(def.name, given, links);
  const command = full.length <= MAX_BUTTON_VALUE ? full : playbookRunCommand(def.name, {}, links);
  return {
    text: `${def.name} needs ${missing.join(', ')}. Fill them in to start it.`,
    blocks: [
      section(`*${escapeMrkdwn(def.name)}* needs ${missing.map((m) => `*${escapeMrkdwn(m)}*`).join(', ')}.`),
      { type: 'actions', block_id: 'fill-in', elements: [button('fill-in', 'Fill in…', command, 'primary')] },
    ],
  };
}

interface ModalMetadata extends PlaybookLinks {
  workflow: string;
  channel: string;
}

/** The workflow params form, submitted as a `playbook run` command that keeps the run's links. */
export function playbookParamsModal(def: WorkflowDefinition, given: Readonly<Record<string, string>>, target: { channel: string } & PlaybookLinks): ModalView {
  const modal = paramsModal(def, given, { channel: target.channel });
  const metadata: ModalMetadata = { workflow: def.name, channel: target.channel, ...(target.incident ? { incident: target.incident } : {}), ...(target.alert ? { alert: target.alert } : {}) };
  return { ...modal, callback_id: PLAYBOOK_RUN_CALLBACK, private_metadata: JSON.stringify(metadata), title: { type: 'plain_text', text: clip(`Playbook ${def.name}`, 24) } };
}

type Obj = Record<string, unknown>;

/** The form is the workflow one under another callback id: read (and checked) as that one, plus the links. */
const asWorkflowForm = (view: Obj): Obj => ({ ...view, callback_id: view.callback_id === PLAYBOOK_RUN_CALLBACK ? WORKFLOW_RUN_CALLBACK : undefined });

export function readPlaybookModal(view: Obj): { text: string; channelId: string } | undefined {
  const read = readParamsModal(asWorkflowForm(view));
  if (!read) return undefined;
  // readParamsModal has parsed the same metadata already: it is JSON.
  const metadata = JSON.parse(String(view.private_metadata)) as Partial<ModalMetadata>;
  const links: PlaybookLinks = { ...(typeof metadata.incident === 'string' ? { incident: metadata.incident } : {}), ...(typeof metadata.alert === 'string' ? { alert: metadata.alert } : {}) };
  return { text: playbookRunCommand(read.workflow, read.params, links), channelId: read.target.channel };
}

/** For the request handlers: the form's field errors while Slack waits, then its command. */
export function playbookViewCommands(definitions: () => ReadonlyMap<string, WorkflowDefinition>): Record<string, ViewCommand> {
  return {
    [PLAYBOOK_RUN_CALLBACK]: {
      errors: (view) => paramsModalErrors(asWorkflowForm(view as Obj), definitions()),
      command: (view) => readPlaybookModal(view as Obj),
    },
  };
}
