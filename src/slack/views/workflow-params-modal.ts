import type { InputBlock, ModalView, PlainTextOption } from '@slack/types';
import { clip, escapeMrkdwn, section } from '../../commands/blocks.ts';
import type { ParamDefinition, WorkflowDefinition } from '../../workflows/definition.ts';
import { paramsSchema } from '../../workflows/params.ts';
import type { MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * The modal that asks for a run's params, and its way back: a submission is checked against the
 * workflow's own params schema while Slack waits for the ack (errors show under their fields),
 * then becomes the command text `workflow run <name> key="value"…`, so it is checked, audited
 * and answered like the typed command.
 */

export const WORKFLOW_RUN_CALLBACK = 'workflow_run';
const ACTION_ID = 'value';
const MAX_BUTTON_VALUE = 2_000;

/** Where the run's messages go: the conversation the modal was opened from. */
export interface RunModalTarget {
  channel: string;
}

interface Metadata extends RunModalTarget {
  workflow: string;
}

type Obj = Record<string, unknown>;

const blockId = (param: string) => `param:${param}`;

export function paramsModal(def: WorkflowDefinition, given: Readonly<Record<string, string>>, target: RunModalTarget): ModalView {
  const metadata: Metadata = { workflow: def.name, ...target };
  return {
    type: 'modal',
    callback_id: WORKFLOW_RUN_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: clip(`Run ${def.name}`, 24) },
    submit: { type: 'plain_text', text: 'Run' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [section(escapeMrkdwn(def.description)), ...Object.entries(def.params).map(([name, param]) => paramInput(name, param, given[name]))],
  };
}

function paramInput(name: string, param: ParamDefinition, given: string | undefined): InputBlock {
  const initial = given ?? (param.default !== undefined ? String(param.default) : undefined);
  const hint = [param.description, param.pattern ? `must match ${param.pattern}` : undefined].filter(Boolean).join(' · ');
  const choices = param.enum?.map(String) ?? (param.type === 'boolean' ? ['true', 'false'] : undefined);
  const base = {
    type: 'input' as const,
    block_id: blockId(name),
    label: { type: 'plain_text' as const, text: name },
    optional: !param.required || param.default !== undefined,
    ...(hint ? { hint: { type: 'plain_text' as const, text: clip(hint, 2_000) } } : {}),
  };
  if (choices) {
    const option = (value: string): PlainTextOption => ({ text: { type: 'plain_text', text: clip(value, 75) }, value });
    return {
      ...base,
      element: {
        type: 'static_select',
        action_id: ACTION_ID,
        options: choices.map(option),
        ...(initial !== undefined && choices.includes(initial) ? { initial_option: option(initial) } : {}),
      },
    };
  }
  return {
    ...base,
    element: { type: 'plain_text_input', action_id: ACTION_ID, ...(initial !== undefined && initial !== '' ? { initial_value: initial } : {}) },
  };
}

/** The submitted view's workflow, target and non-empty values; undefined when it is not ours or is malformed. */
export function readParamsModal(view: Obj): { workflow: string; target: RunModalTarget; params: Record<string, string> } | undefined {
  if (view.callback_id !== WORKFLOW_RUN_CALLBACK || typeof view.private_metadata !== 'string') return undefined;
  let metadata: Partial<Metadata>;
  try {
    metadata = JSON.parse(view.private_metadata) as Partial<Metadata>;
  } catch {
    return undefined;
  }
  if (typeof metadata.workflow !== 'string' || typeof metadata.channel !== 'string') return undefined;
  const values = ((view.state as Obj | undefined)?.values ?? {}) as Record<string, Record<string, Obj> | undefined>;
  const params: Record<string, string> = {};
  for (const [block, actions] of Object.entries(values)) {
    if (!block.startsWith('param:')) continue;
    const field = actions?.[ACTION_ID];
    const value = typeof field?.value === 'string' ? field.value : (field?.selected_option as Obj | undefined)?.value;
    if (typeof value === 'string' && value !== '') params[block.slice('param:'.length)] = value;
  }
  return { workflow: metadata.workflow, target: { channel: metadata.channel }, params };
}

/**
 * Field errors for `response_action: errors`, by block: what the params schema refuses, worded
 * without the param's name (the field shows it). Undefined: the submission may run.
 */
export function paramsModalErrors(view: Obj, definitions: ReadonlyMap<string, WorkflowDefinition>): Record<string, string> | undefined {
  const read = readParamsModal(view);
  const def = read && definitions.get(read.workflow);
  if (!read || !def) return undefined;
  const parsed = paramsSchema(def).safeParse(read.params);
  if (parsed.success) return undefined;
  const errors: Record<string, string> = {};
  for (const issue of parsed.error.issues) {
    const name = String(issue.path[0] ?? '');
    if (!Object.hasOwn(def.params, name)) continue;
    errors[blockId(name)] ??= clip(issue.message.replace(`${name}: `, ''), 150);
  }
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/**
 * `workflow run deploy version="v1; rm -rf /"`: each value double-quoted so the command parser
 * gives it back exactly (its escapes: `\"` and `\\`; `&amp; &lt; &gt;` for what Slack markup uses).
 */
export function runCommandText(workflow: string, params: Readonly<Record<string, string>>): string {
  return [`workflow run ${workflow}`, ...Object.entries(params).map(([key, value]) => `${key}=${quoteCommandValue(value)}`)].join(' ');
}

/** A value as a command argument the parser gives back exactly (`playbook run` builds its text the same way). */
export function quoteCommandValue(value: string): string {
  return `"${value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\"“”„]/g, (c) => `\\${c}`)}"`;
}

/** A mention has no trigger_id to open a modal with: a button does, so it is offered first. */
export function fillInPrompt(def: WorkflowDefinition, given: Readonly<Record<string, string>>, missing: readonly string[]): MessageContent {
  const full = runCommandText(def.name, given);
  const command = full.length <= MAX_BUTTON_VALUE ? full : `workflow run ${def.name}`;
  const text = `${def.name} needs ${missing.join(', ')}. Fill them in to start it.`;
  return {
    text,
    blocks: [
      section(`*${escapeMrkdwn(def.name)}* needs ${missing.map((m) => `*${m}*`).join(', ')}.`),
      { type: 'actions', block_id: 'fill-in', elements: [button('fill-in', 'Fill in…', command, 'primary')] },
    ],
  };
}
