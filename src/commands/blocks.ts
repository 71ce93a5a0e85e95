import type { Block } from '../slack/chat-port.ts';

/** Slack's limits (Block Kit reference): section text 3000 chars, header 150, 50 blocks a message. */
export const SECTION_TEXT_MAX = 3000;
export const HEADER_TEXT_MAX = 150;
export const BLOCKS_MAX = 50;

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: clip(text, HEADER_TEXT_MAX), emoji: true } };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: clip(mrkdwn, SECTION_TEXT_MAX) } };
}

export function context(mrkdwn: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(mrkdwn, SECTION_TEXT_MAX) }] };
}

/** Lines packed into as few sections as the text limit allows; a title line starts the first. */
export function sectionsOf(lines: readonly string[], title?: string): Block[] {
  const blocks: Block[] = [];
  let chunk = title ?? '';
  for (const line of lines) {
    const next = chunk === '' ? line : `${chunk}\n${line}`;
    if (next.length > SECTION_TEXT_MAX && chunk !== '') {
      blocks.push(section(chunk));
      chunk = line;
    } else {
      chunk = next;
    }
  }
  if (chunk !== '') blocks.push(section(chunk));
  return blocks;
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Slack reads `<…>` as markup (mentions, links) even inside code spans, so plain text that
 * may hold angle brackets — usage lines, values people typed — is escaped before it is shown.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
