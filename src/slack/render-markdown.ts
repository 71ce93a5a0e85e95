import type { KnownBlock } from '@slack/types';
import { FENCE } from './split-text.ts';

/** A readable plain-text/markdown rendition; interactive blocks have no meaning in a file. */
export function renderMarkdown(blocks: readonly KnownBlock[]): string {
  return blocks
    .map(renderBlock)
    .filter((s): s is string => s !== undefined && s !== '')
    .join('\n\n')
    .concat('\n');
}

function renderBlock(block: KnownBlock): string | undefined {
  switch (block.type) {
    case 'header':
      return `# ${block.text.text}`;
    case 'section':
      return [block.text?.text, ...(block.fields ?? []).map((f) => f.text)].filter((s) => s !== undefined).join('\n');
    case 'markdown':
      return block.text;
    case 'context':
      return block.elements.map((e) => ('text' in e && typeof e.text === 'string' ? e.text : 'alt_text' in e ? e.alt_text : '')).join(' · ');
    case 'divider':
      return '---';
    case 'image':
      return `[image: ${block.alt_text}]`;
    case 'rich_text':
      return block.elements.map((e) => (e.type === 'rich_text_preformatted' ? `${FENCE}\n${collectText(e)}\n${FENCE}` : collectText(e))).join('\n');
    default:
      return undefined;
  }
}

function collectText(value: unknown): string {
  if (Array.isArray(value)) return value.map(collectText).join('');
  if (!isObject(value)) return '';
  if (typeof value.text === 'string') return value.text;
  if (typeof value.url === 'string') return value.url;
  if (typeof value.user_id === 'string') return `<@${value.user_id}>`;
  if (typeof value.channel_id === 'string') return `<#${value.channel_id}>`;
  return collectText(value.elements);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
