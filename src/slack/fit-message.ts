import type { ActionsBlock, AnyBlock, ContextBlock, MarkdownBlock, KnownBlock, SectionBlock, TextObject, View } from '@slack/types';
import { OpsError } from '../errors.ts';
import type { Block, FileContent, MessageContent } from './chat-port.ts';
import { isObject, renderMarkdown } from './render-markdown.ts';
import { ELLIPSIS, splitText, truncateText } from './split-text.ts';
import {
  MAX_ACTIONS_ELEMENTS,
  MAX_BLOCKS_PER_MESSAGE,
  MAX_BLOCKS_PER_VIEW,
  MAX_BUTTON_TEXT,
  MAX_BUTTON_VALUE,
  MAX_CONTEXT_ELEMENTS,
  MAX_HEADER_TEXT,
  MAX_ID_LENGTH,
  MAX_MARKDOWN_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_MESSAGES_BEFORE_FILE,
  MAX_PRIVATE_METADATA,
  MAX_SECTION_FIELD_TEXT,
  MAX_SECTION_FIELDS,
  MAX_SECTION_TEXT,
  MAX_TEXT_OBJECT,
  MAX_VIEW_TITLE,
  SPLIT_TEXT_SIZE,
} from './message-limits.ts';

/**
 * Makes any content postable without an error the user would see: Slack rejects a message
 * over one of its limits as a whole, so a long command output would otherwise vanish.
 */

export type FittedMessage = { messages: MessageContent[] } | { file: FileContent; summary: MessageContent };

export interface FitOptions {
  /**
   * false where a file would reach more people than the message (ephemerals, response_url):
   * output that needs too many messages is cut, with a note, instead of uploaded.
   */
  allowFile?: boolean;
  /** More messages than this become a file (or are cut). */
  maxMessages?: number;
}


export function fitMessage(content: MessageContent, options: FitOptions = {}): FittedMessage {
  const maxMessages = options.maxMessages ?? MAX_MESSAGES_BEFORE_FILE;
  const allowFile = options.allowFile ?? true;
  assertFixable(content.blocks ?? []);

  const parts = content.blocks?.length ? packBlocks(content) : splitPlainText(content.text);
  if (parts.length <= maxMessages) return { messages: parts };
  if (allowFile) return toFile(content);
  return { messages: cutTo(parts, maxMessages) };
}

/** A modal or App Home view within Slack's limits (100 blocks, 24-character titles). */
export function fitView<V extends View>(view: V): V {
  assertFixable(view.blocks);
  if (view.private_metadata !== undefined && view.private_metadata.length > MAX_PRIVATE_METADATA) {
    throw new OpsError(
      'private_metadata_too_long',
      `private_metadata is ${view.private_metadata.length} characters; Slack allows ${MAX_PRIVATE_METADATA}. Store the state and pass its id.`,
    );
  }
  let blocks: AnyBlock[] = fitBlocks(view.blocks as KnownBlock[]);
  if (blocks.length > MAX_BLOCKS_PER_VIEW) {
    const shown = blocks.slice(0, MAX_BLOCKS_PER_VIEW - 1);
    blocks = [...shown, note(`${ELLIPSIS}${blocks.length - shown.length} more blocks not shown.`)];
  }
  const fitted: V = { ...view, blocks };
  if (fitted.type === 'modal') {
    fitted.title = truncateTextObject(fitted.title, MAX_VIEW_TITLE);
    if (fitted.submit) fitted.submit = truncateTextObject(fitted.submit, MAX_VIEW_TITLE);
    if (fitted.close) fitted.close = truncateTextObject(fitted.close, MAX_VIEW_TITLE);
  }
  return fitted;
}

// ---- plain text -------------------------------------------------------------------

function splitPlainText(text: string): MessageContent[] {
  if (text.length <= MAX_MESSAGE_TEXT) return [{ text }];
  return splitText(text, SPLIT_TEXT_SIZE).map((piece) => ({ text: piece }));
}

function truncateTextObject<T extends { text: string }>(object: T, max: number): T {
  return object.text.length > max ? { ...object, text: truncateText(object.text, max) } : object;
}

// ---- blocks -----------------------------------------------------------------------

/**
 * What splitting cannot fix is a programming error: a button value carries state back to the
 * app, and cutting it would corrupt that state. Handlers store big state and pass an id.
 */
function assertFixable(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) assertFixable(item);
    return;
  }
  if (!isObject(value)) return;
  if (value.type === 'button' && typeof value.value === 'string' && value.value.length > MAX_BUTTON_VALUE) {
    throw new OpsError(
      'button_value_too_long',
      `A button value is ${value.value.length} characters; Slack allows ${MAX_BUTTON_VALUE}. Store the state and pass its id.`,
    );
  }
  for (const key of ['block_id', 'action_id'] as const) {
    const id = value[key];
    if (typeof id === 'string' && id.length > MAX_ID_LENGTH) {
      throw new OpsError(`${key}_too_long`, `A ${key} is ${id.length} characters; Slack allows ${MAX_ID_LENGTH}.`);
    }
  }
  for (const child of Object.values(value)) assertFixable(child);
}

/** Every block within its own limits; a block too big for one becomes several. */
function fitBlocks(blocks: readonly KnownBlock[]): Block[] {
  return blocks.flatMap((block) => fitBlock(fitButtons(block)));
}

function fitBlock(block: KnownBlock): Block[] {
  switch (block.type) {
    case 'header':
      return [{ ...block, text: truncateTextObject(block.text, MAX_HEADER_TEXT) }];
    case 'section':
      return fitSection(block);
    case 'markdown':
      return splitText(block.text, MAX_MARKDOWN_TEXT).map((text, i): MarkdownBlock => withId<MarkdownBlock>({ type: 'markdown', text }, i === 0 ? block.block_id : undefined));
    case 'actions':
      return chunk(block.elements, MAX_ACTIONS_ELEMENTS).map((elements, i): ActionsBlock => withId<ActionsBlock>({ type: 'actions', elements }, i === 0 ? block.block_id : undefined));
    case 'context': {
      const elements = block.elements.map((e) => ('text' in e && typeof e.text === 'string' ? truncateTextObject(e, MAX_TEXT_OBJECT) : e));
      return chunk(elements, MAX_CONTEXT_ELEMENTS).map((els, i): ContextBlock => withId<ContextBlock>({ type: 'context', elements: els }, i === 0 ? block.block_id : undefined));
    }
    default:
      return [block];
  }
}

function fitSection(block: SectionBlock): Block[] {
  const { text, fields, accessory, block_id, expand } = block;
  const texts: TextObject[] = text
    ? splitText(text.text, MAX_SECTION_TEXT, { fences: text.type === 'mrkdwn' }).map((piece) => ({ ...text, text: piece }))
    : [];
  const fieldGroups = chunk((fields ?? []).map((f) => truncateTextObject(f, MAX_SECTION_FIELD_TEXT)), MAX_SECTION_FIELDS);
  if (texts.length <= 1 && fieldGroups.length <= 1) {
    if (text === undefined && fields === undefined) return [block];
    return [{ ...block, ...(texts[0] ? { text: texts[0] } : {}), ...(fieldGroups[0] ? { fields: fieldGroups[0] } : {}) }];
  }
  const sections: SectionBlock[] = texts.map((t) => ({ type: 'section', text: t }));
  // The fields stay right under the end of the text they belonged to.
  const [firstFields, ...moreFields] = fieldGroups;
  const last = sections.at(-1);
  if (firstFields && last) last.fields = firstFields;
  else if (firstFields) sections.push({ type: 'section', fields: firstFields });
  for (const group of moreFields) sections.push({ type: 'section', fields: group });
  const first = sections[0];
  if (first) {
    if (block_id !== undefined) first.block_id = block_id;
    if (accessory !== undefined) first.accessory = accessory;
    if (expand !== undefined) first.expand = expand;
  }
  return sections;
}

/** Button labels over Slack's limit are cut; everything is copied so the caller's blocks stay as they were. */
function fitButtons<T>(value: T): T {
  if (Array.isArray(value)) return value.map(fitButtons) as T;
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = fitButtons(child);
  if (out.type === 'button') {
    if (isObject(out.text) && typeof out.text.text === 'string') out.text = { ...out.text, text: truncateText(out.text.text, MAX_BUTTON_TEXT) };
    if (typeof out.accessibility_label === 'string') out.accessibility_label = truncateText(out.accessibility_label, MAX_BUTTON_TEXT);
  }
  return out as T;
}

/**
 * Blocks into messages of at most 50 blocks and about SPLIT_TEXT_SIZE visible characters; a
 * continuation starts with a marker so readers know it belongs to the message above.
 */
function packBlocks(content: MessageContent): MessageContent[] {
  const blocks = fitBlocks(content.blocks ?? []);
  const groups: Block[][] = [];
  let group: Block[] = [];
  let weight = 0;
  for (const block of blocks) {
    const w = textWeight(block);
    const room = MAX_BLOCKS_PER_MESSAGE - (groups.length > 0 ? 1 : 0);
    if (group.length > 0 && (group.length >= room || weight + w > SPLIT_TEXT_SIZE)) {
      groups.push(group);
      group = [];
      weight = 0;
    }
    group.push(block);
    weight += w;
  }
  if (group.length > 0) groups.push(group);

  const text = truncateText(content.text, MAX_MESSAGE_TEXT);
  if (groups.length === 1) return [{ text, blocks: groups[0] ?? [] }];
  return groups.map((g, i) =>
    i === 0
      ? { text, blocks: g }
      : {
          text: `${truncateText(content.text, 200)} (continued)`,
          blocks: [note(`${ELLIPSIS}continued (part ${i + 1} of ${groups.length})`), ...g],
        },
  );
}

/** Visible characters: every `text` string in the block. */
function textWeight(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + textWeight(item), 0);
  if (!isObject(value)) return 0;
  let sum = 0;
  for (const [key, child] of Object.entries(value)) sum += key === 'text' && typeof child === 'string' ? child.length : textWeight(child);
  return sum;
}

/** The first `max` parts; the last one says how much was left out. */
function cutTo(parts: MessageContent[], max: number): MessageContent[] {
  const omitted = parts.length - max;
  const kept = parts.slice(0, max);
  const last = kept.at(-1);
  if (!last) return kept;
  const remark = `${ELLIPSIS}output cut: ${omitted} more part${omitted === 1 ? '' : 's'} not shown here.`;
  if (last.blocks?.length) {
    const blocks = last.blocks.slice(0, MAX_BLOCKS_PER_MESSAGE - 1);
    kept[kept.length - 1] = { ...last, blocks: [...blocks, note(remark)] };
  } else {
    kept[kept.length - 1] = { text: `${last.text}\n_${remark}_` };
  }
  return kept;
}

// ---- file fallback ----------------------------------------------------------------

function toFile(content: MessageContent): { file: FileContent; summary: MessageContent } {
  const blocks = content.blocks ?? [];
  const header = blocks[0]?.type === 'header' ? blocks[0].text.text : undefined;
  const filename = `${slug(header ?? '') || 'output'}.${blocks.length > 0 ? 'md' : 'txt'}`;
  const rendered = blocks.length > 0 ? renderMarkdown(blocks) : '';
  const file: FileContent = {
    filename,
    title: header ?? 'Output',
    content: rendered.trim() ? rendered : content.text,
  };
  const notice = `Output was too long for Slack; attached as ${filename}`;
  if (blocks.length === 0) return { file, summary: { text: notice } };
  // Buttons cannot live in a file: they stay on the summary so the message still works.
  const fitted = fitBlocks(blocks);
  const headerBlock = fitted[0]?.type === 'header' ? [fitted[0]] : [];
  const actions = fitted.filter((b) => b.type === 'actions').slice(0, MAX_BLOCKS_PER_MESSAGE - 2);
  return {
    file,
    summary: { text: notice, blocks: [...headerBlock, { type: 'section', text: { type: 'mrkdwn', text: notice } }, ...actions] },
  };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}

// ---- helpers ----------------------------------------------------------------------

function note(text: string): ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `_${text}_` }] };
}

function withId<T extends { block_id?: string }>(block: T, blockId: string | undefined): T {
  return blockId === undefined ? block : { ...block, block_id: blockId };
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

