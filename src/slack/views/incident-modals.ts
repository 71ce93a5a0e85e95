import type { ModalView, PlainTextOption } from '@slack/types';
import { clip, context, escapeMrkdwn, section } from '../../commands/blocks.ts';
import { SEVERITIES, type Severity } from '../../config/policy-schema.ts';
import type { Incident } from '../../incidents/incident-types.ts';
import { quoteArg } from './incident-messages.ts';

/**
 * The declare modal (from `/ops incident declare` without arguments, or the message shortcut) and
 * the resolve modal (from the Resolve… button). A submission becomes command text, so it is
 * checked, audited and answered like the typed command.
 */

export const INCIDENT_DECLARE_CALLBACK = 'incident_declare';
export const INCIDENT_RESOLVE_CALLBACK = 'incident_resolve';
/** slack-app-manifest.yaml's message shortcut. */
export const DECLARE_FROM_MESSAGE_CALLBACK = 'incident_declare_from_message';

const VALUE = 'value';
const TITLE_MAX = 150;
const SERVICE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

type Obj = Record<string, unknown>;

interface DeclareMetadata {
  channel: string;
  /** The message a shortcut declared from: `C…/1712345678.000100`. */
  source?: string;
}

export interface DeclareModalInput {
  channel: string;
  severities: Readonly<Record<Severity, { description: string }>>;
  /** Known service names (opsbot.yaml `services`), shown as a hint. */
  services: readonly string[];
  title?: string;
  severity?: Severity;
  summary?: string;
  source?: { channel: string; ts: string };
}

export function declareModal(input: DeclareModalInput): ModalView {
  const metadata: DeclareMetadata = { channel: input.channel, ...(input.source ? { source: `${input.source.channel}/${input.source.ts}` } : {}) };
  const option = (severity: Severity): PlainTextOption => ({
    text: { type: 'plain_text', text: severity },
    value: severity,
    description: { type: 'plain_text', text: clip(input.severities[severity].description, 75) },
  });
  const definitions = SEVERITIES.map((s) => `*${s}* — ${escapeMrkdwn(input.severities[s].description)}`).join('\n');
  return {
    type: 'modal',
    callback_id: INCIDENT_DECLARE_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Declare an incident' },
    submit: { type: 'plain_text', text: 'Declare' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: 'title',
        label: { type: 'plain_text', text: 'Title' },
        element: { type: 'plain_text_input', action_id: VALUE, max_length: TITLE_MAX, ...(input.title ? { initial_value: clip(input.title, TITLE_MAX) } : {}) },
      },
      {
        type: 'input',
        block_id: 'severity',
        label: { type: 'plain_text', text: 'Severity' },
        element: { type: 'static_select', action_id: VALUE, options: SEVERITIES.map(option), ...(input.severity ? { initial_option: option(input.severity) } : {}) },
      },
      section(definitions),
      {
        type: 'input',
        block_id: 'summary',
        optional: true,
        label: { type: 'plain_text', text: 'Summary' },
        element: { type: 'plain_text_input', action_id: VALUE, multiline: true, max_length: 2_500, ...(input.summary ? { initial_value: clip(input.summary, 2_500) } : {}) },
      },
      {
        type: 'input',
        block_id: 'service',
        optional: true,
        label: { type: 'plain_text', text: 'Service' },
        ...(input.services.length > 0 ? { hint: { type: 'plain_text', text: clip(`Known: ${input.services.join(', ')}`, 2_000) } } : {}),
        element: { type: 'plain_text_input', action_id: VALUE, max_length: 80 },
      },
      ...(input.source ? [context('The message you declared from goes on the timeline first.')] : []),
    ],
  };
}

function values(view: Obj): Record<string, string> {
  const state = ((view.state as Obj | undefined)?.values ?? {}) as Record<string, Record<string, Obj> | undefined>;
  const out: Record<string, string> = {};
  for (const [block, actions] of Object.entries(state)) {
    const field = actions?.[VALUE];
    const value = typeof field?.value === 'string' ? field.value : (field?.selected_option as Obj | undefined)?.value;
    if (typeof value === 'string' && value.trim() !== '') out[block] = value.trim();
  }
  return out;
}

function metadataOf<T>(view: Obj, callbackId: string): T | undefined {
  if (view.callback_id !== callbackId || typeof view.private_metadata !== 'string') return undefined;
  try {
    return JSON.parse(view.private_metadata) as T;
  } catch {
    return undefined;
  }
}

/** Field errors for `response_action: errors`; undefined: it may be submitted. */
export function declareModalErrors(view: Obj): Record<string, string> | undefined {
  const v = values(view);
  const errors: Record<string, string> = {};
  if (!v.title) errors.title = 'Give the incident a title.';
  if (!v.severity || !(SEVERITIES as readonly string[]).includes(v.severity)) errors.severity = 'Choose a severity.';
  if (v.service && !SERVICE.test(v.service)) errors.service = 'Letters, digits, ., - and _ only (like checkout-api).';
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** `incident declare "title" sev=P2 service="api" summary="…" source=C…/ts`, and where it answers. */
export function declareModalCommand(view: Obj): { text: string; channelId: string } | undefined {
  const metadata = metadataOf<DeclareMetadata>(view, INCIDENT_DECLARE_CALLBACK);
  if (!metadata || typeof metadata.channel !== 'string') return undefined;
  const v = values(view);
  if (!v.title || !v.severity) return undefined;
  const parts = ['incident declare', quoteArg(v.title.replace(/\s+/g, ' ')), `sev=${v.severity}`];
  if (v.service) parts.push(`service=${quoteArg(v.service)}`);
  if (v.summary) parts.push(`summary=${quoteArg(v.summary)}`);
  if (typeof metadata.source === 'string') parts.push(`source=${quoteArg(metadata.source)}`);
  return { text: parts.join(' '), channelId: metadata.channel };
}

interface ResolveMetadata {
  incident: string;
  channel: string;
}

/** The Resolve… button's form: the summary is what the resolution records. */
export function resolveModal(incident: Incident, channel: string): ModalView {
  const metadata: ResolveMetadata = { incident: incident.id, channel };
  return {
    type: 'modal',
    callback_id: INCIDENT_RESOLVE_CALLBACK,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: clip(`Resolve ${incident.id}`, 24) },
    submit: { type: 'plain_text', text: 'Resolve' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(`*${escapeMrkdwn(incident.title)}* (${incident.severity}, ${incident.status})`),
      {
        type: 'input',
        block_id: 'summary',
        label: { type: 'plain_text', text: 'What resolved it?' },
        element: { type: 'plain_text_input', action_id: VALUE, multiline: true, max_length: 1_800 },
      },
      context('A postmortem draft is posted once it is resolved.'),
    ],
  };
}

export function resolveModalErrors(view: Obj): Record<string, string> | undefined {
  return values(view).summary ? undefined : { summary: 'Say what resolved it.' };
}

export function resolveModalCommand(view: Obj): { text: string; channelId: string } | undefined {
  const metadata = metadataOf<ResolveMetadata>(view, INCIDENT_RESOLVE_CALLBACK);
  const summary = values(view).summary;
  if (!metadata || typeof metadata.incident !== 'string' || typeof metadata.channel !== 'string' || !summary) return undefined;
  return { text: `incident resolve ${metadata.incident} --confirm ${quoteArg(summary)}`, channelId: metadata.channel };
}
