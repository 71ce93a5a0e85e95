import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, ModalView, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { OpsError } from '../../src/errors.ts';
import { validateBlocks, validateView } from '../../src/local/emulator/block-limits.ts';
import type { MessageContent } from '../../src/slack/chat-port.ts';
import { fitMessage, fitView } from '../../src/slack/fit-message.ts';
import { splitText, truncateText } from '../../src/slack/split-text.ts';
import {
  MAX_BLOCKS_PER_MESSAGE,
  MAX_BUTTON_TEXT,
  MAX_HEADER_TEXT,
  MAX_MESSAGE_TEXT,
  MAX_SECTION_FIELD_TEXT,
  MAX_SECTION_TEXT,
  SPLIT_TEXT_SIZE,
} from '../../src/slack/message-limits.ts';

const section = (text: string, type: 'mrkdwn' | 'plain_text' = 'mrkdwn'): SectionBlock => ({ type: 'section', text: { type, text } });
const header = (text: string): HeaderBlock => ({ type: 'header', text: { type: 'plain_text', text } });
const button = (text: string, value = 'v', actionId = 'a'): Button => ({ type: 'button', text: { type: 'plain_text', text }, value, action_id: actionId });
const lines = (count: number, width = 79) => Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(width - 7)}`).join('\n');

function messagesOf(content: MessageContent, options?: Parameters<typeof fitMessage>[1]): MessageContent[] {
  const fitted = fitMessage(content, options);
  if (!('messages' in fitted)) throw new Error('expected messages, got a file');
  return fitted.messages;
}

/** What Slack itself would say about each message: nothing. */
function expectAllValid(messages: MessageContent[]): void {
  for (const m of messages) {
    expect(m.text.length).toBeLessThanOrEqual(MAX_MESSAGE_TEXT);
    if (m.blocks) expect(validateBlocks(m.blocks, 'message')).toEqual([]);
  }
}

const fenceCount = (s: string) => s.split('```').length - 1;

describe('fitMessage with plain text', () => {
  it('leaves a short message as it is', () => {
    expect(fitMessage({ text: 'deployed api to staging' })).toEqual({ messages: [{ text: 'deployed api to staging' }] });
  });

  it('keeps text of exactly 40,000 characters in one message', () => {
    const text = 'y'.repeat(MAX_MESSAGE_TEXT);
    expect(messagesOf({ text })).toEqual([{ text }]);
  });

  it('splits text over 40,000 characters at line boundaries into comfortable pieces', () => {
    const text = lines(600); // 48,000 characters
    const parts = messagesOf({ text });
    expect(parts.length).toBe(4);
    for (const p of parts) expect(p.text.length).toBeLessThanOrEqual(SPLIT_TEXT_SIZE);
    expect(parts.map((p) => p.text).join('\n')).toBe(text);
  });

  it('uploads a file with a short summary when the text would need more than four messages', () => {
    const text = lines(1000); // 80,000 characters
    const fitted = fitMessage({ text });
    expect(fitted).toEqual({
      file: { filename: 'output.txt', title: 'Output', content: text },
      summary: { text: 'Output was too long for Slack; attached as output.txt' },
    });
  });

  it('cuts private output to four messages and says how much was left out, instead of uploading it', () => {
    const parts = messagesOf({ text: lines(1000) }, { allowFile: false });
    expect(parts).toHaveLength(4);
    expect(parts.at(-1)?.text).toMatch(/output cut: \d+ more parts? not shown here/);
    expectAllValid(parts);
  });
});

describe('splitText', () => {
  it('closes a code block at the cut and reopens it in the next piece', () => {
    const text = ['Pods:', '```', lines(100), '```', 'done'].join('\n');
    const pieces = splitText(text, 3_000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(3_000);
      expect(fenceCount(piece) % 2).toBe(0);
    }
    expect(pieces[1]?.startsWith('```\n')).toBe(true);
    const rejoined = pieces.join('\n').replaceAll('\n```\n```\n', '\n');
    expect(rejoined).toBe(text);
  });

  it('wraps a single line longer than the limit, at a space when there is one', () => {
    const words = Array.from({ length: 2_000 }, (_, i) => `w${i}`).join(' ');
    const pieces = splitText(words, 1_000, { fences: false });
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(1_000);
    expect(pieces.join('')).toBe(words);
    expect(pieces[0]?.endsWith(' ')).toBe(true);
  });

  it('cuts a line with no spaces at the limit', () => {
    const pieces = splitText('z'.repeat(2_500), 1_000, { fences: false });
    expect(pieces.map((p) => p.length)).toEqual([1_000, 1_000, 500]);
  });

  it('never cuts an emoji made of two UTF-16 units in half', () => {
    const text = '😀'.repeat(1_000);
    for (const piece of splitText(text, 999, { fences: false })) expect(piece).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    expect(truncateText(text, 100)).toMatch(/^(😀)+…$/);
  });
});

describe('fitMessage with blocks', () => {
  it('splits a section over 3,000 characters into several sections, keeping its accessory and block id on the first', () => {
    const block: SectionBlock = { ...section(lines(100)), block_id: 'logs', accessory: button('Rerun', 'run-1') };
    const [message, ...more] = messagesOf({ text: 'logs', blocks: [block] });
    expect(more).toEqual([]);
    const sections = (message?.blocks ?? []) as SectionBlock[];
    expect(sections.length).toBe(3);
    for (const s of sections) expect(s.text?.text.length).toBeLessThanOrEqual(MAX_SECTION_TEXT);
    expect(sections[0]).toMatchObject({ block_id: 'logs', accessory: { value: 'run-1' } });
    expect(sections[1]?.block_id).toBeUndefined();
    expect(sections.map((s) => s.text?.text).join('\n')).toBe(block.text?.text);
    expectAllValid([message!]);
  });

  it('keeps a code block balanced in every section it is split into', () => {
    const text = '```\n' + lines(80) + '\n```';
    const [message] = messagesOf({ text: 'logs', blocks: [section(text)] });
    for (const s of (message?.blocks ?? []) as SectionBlock[]) expect(fenceCount(s.text?.text ?? '') % 2).toBe(0);
  });

  it('splits plain_text sections without adding code fences', () => {
    const [message] = messagesOf({ text: 'logs', blocks: [section(lines(80), 'plain_text')] });
    for (const s of (message?.blocks ?? []) as SectionBlock[]) expect(s.text?.text).not.toContain('```');
  });

  it('spreads more than ten fields over several sections and cuts a field over 2,000 characters', () => {
    const fields = Array.from({ length: 23 }, (_, i) => ({ type: 'mrkdwn' as const, text: i === 0 ? 'f'.repeat(2_500) : `field ${i}` }));
    const [message] = messagesOf({ text: 'status', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Status' }, fields }] });
    const sections = (message?.blocks ?? []) as SectionBlock[];
    expect(sections.map((s) => s.fields?.length)).toEqual([10, 10, 3]);
    expect(sections[0]?.text?.text).toBe('Status');
    expect(sections[0]?.fields?.[0]?.text).toHaveLength(MAX_SECTION_FIELD_TEXT);
    expect(sections[0]?.fields?.[0]?.text.endsWith('…')).toBe(true);
    expectAllValid([message!]);
  });

  it('cuts a header over 150 characters with an ellipsis', () => {
    const [message] = messagesOf({ text: 'h', blocks: [header('H'.repeat(200))] });
    const text = (message?.blocks?.[0] as HeaderBlock).text.text;
    expect(text).toHaveLength(MAX_HEADER_TEXT);
    expect(text.endsWith('…')).toBe(true);
  });

  it('cuts button labels over 75 characters, in actions and accessories alike, without touching the caller’s blocks', () => {
    const blocks: KnownBlock[] = [
      { type: 'actions', elements: [button('A'.repeat(100), 'approve', 'approve')] },
      { ...section('deploy?'), accessory: button('B'.repeat(80), 'more', 'more') },
    ];
    const before = JSON.stringify(blocks);
    const [message] = messagesOf({ text: 'approve', blocks });
    const actions = message?.blocks?.[0] as ActionsBlock;
    expect((actions.elements[0] as Button).text.text).toHaveLength(MAX_BUTTON_TEXT);
    expect(((message?.blocks?.[1] as SectionBlock).accessory as Button).text.text).toHaveLength(MAX_BUTTON_TEXT);
    expect(JSON.stringify(blocks)).toBe(before);
    expectAllValid([message!]);
  });

  it('refuses a button value over 2,000 characters as a programming error', () => {
    const blocks: KnownBlock[] = [{ type: 'actions', elements: [button('Approve', 'v'.repeat(2_001))] }];
    expect(() => fitMessage({ text: 'approve', blocks })).toThrow(OpsError);
    expect(() => fitMessage({ text: 'approve', blocks })).toThrow(expect.objectContaining({ code: 'button_value_too_long' }));
  });

  it('splits 51 blocks into two messages, the second marked as a continuation', () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`row ${i}`));
    const parts = messagesOf({ text: 'report', blocks });
    expect(parts.map((p) => p.blocks?.length)).toEqual([50, 2]);
    expect((parts[1]?.blocks?.[0] as ContextBlock).elements[0]).toMatchObject({ text: '_…continued (part 2 of 2)_' });
    expect(parts[1]?.blocks?.[1]).toEqual(section('row 50'));
    expectAllValid(parts);
  });

  it('never packs more visible text into one message than a comfortable screenful', () => {
    const blocks = Array.from({ length: 10 }, (_, i) => section(`${i} ${'t'.repeat(2_900)}`));
    const parts = messagesOf({ text: 'report', blocks });
    expect(parts.length).toBe(3);
    expectAllValid(parts);
  });

  it('splits an actions block over 25 elements and a context block over 10 elements', () => {
    const buttons = Array.from({ length: 30 }, (_, i) => button(`b${i}`, `${i}`, `a${i}`));
    const texts = Array.from({ length: 12 }, (_, i) => ({ type: 'mrkdwn' as const, text: `c${i}` }));
    const [message] = messagesOf({ text: 'x', blocks: [{ type: 'actions', block_id: 'acts', elements: buttons }, { type: 'context', elements: texts }] });
    expect(message?.blocks?.map((b) => b.type)).toEqual(['actions', 'actions', 'context', 'context']);
    expect(message?.blocks?.[1]?.block_id).toBeUndefined();
    expectAllValid([message!]);
  });

  it('splits a markdown block over 12,000 characters', () => {
    const parts = messagesOf({ text: 'x', blocks: [{ type: 'markdown', text: lines(200) }] });
    expect(parts.flatMap((p) => p.blocks ?? []).filter((b) => b.type === 'markdown').length).toBe(2);
    expectAllValid(parts);
  });

  it('cuts a fallback text over 40,000 characters when blocks carry the content', () => {
    const [message] = messagesOf({ text: 'q'.repeat(50_000), blocks: [section('short')] });
    expect(message?.text).toHaveLength(MAX_MESSAGE_TEXT);
  });

  it('turns huge block output into a markdown file, keeping the header and the buttons on the summary', () => {
    const blocks: KnownBlock[] = [
      header('Deploy log: api'),
      ...Array.from({ length: 30 }, (_, i) => section(`step ${i}\n${'l'.repeat(2_500)}`)),
      { type: 'divider' },
      { type: 'actions', elements: [button('Roll back', 'run-7', 'rollback')] },
    ];
    const fitted = fitMessage({ text: 'deploy log', blocks });
    if (!('file' in fitted)) throw new Error('expected a file');
    expect(fitted.file.filename).toBe('deploy-log-api.md');
    expect(fitted.file.title).toBe('Deploy log: api');
    expect(fitted.file.content.startsWith('# Deploy log: api\n\nstep 0\n')).toBe(true);
    expect(fitted.file.content).toContain('step 29');
    expect(fitted.file.content).toContain('\n---\n');
    expect(fitted.summary.text).toBe('Output was too long for Slack; attached as deploy-log-api.md');
    expect(fitted.summary.blocks?.map((b) => b.type)).toEqual(['header', 'section', 'actions']);
    expectAllValid([fitted.summary]);
  });

  it('leaves blocks it has no limits for as they are', () => {
    const blocks: KnownBlock[] = [{ type: 'divider' }, { type: 'image', image_url: 'https://example.com/a.png', alt_text: 'graph' }];
    expect(messagesOf({ text: 'x', blocks })).toEqual([{ text: 'x', blocks }]);
  });
});

describe('fitView', () => {
  it('keeps a modal within 100 blocks and 24-character titles', () => {
    const view: ModalView = {
      type: 'modal',
      title: { type: 'plain_text', text: 'Approve the production deploy' },
      submit: { type: 'plain_text', text: 'Approve and run it right now' },
      blocks: Array.from({ length: 120 }, (_, i) => section(`row ${i}`)),
    };
    const fitted = fitView(view);
    expect(fitted.blocks).toHaveLength(100);
    expect(fitted.title.text).toHaveLength(24);
    expect(validateView(fitted, 'modal')).toEqual([]);
    expect(view.blocks).toHaveLength(120);
  });

  it('refuses private_metadata over 3,000 characters', () => {
    expect(() => fitView({ type: 'home', blocks: [], private_metadata: 'm'.repeat(3_001) })).toThrow(
      expect.objectContaining({ code: 'private_metadata_too_long' }),
    );
  });

  it('splits oversized sections in a view too', () => {
    const fitted = fitView({ type: 'home', blocks: [section(lines(100))] });
    expect(fitted.blocks.length).toBe(3);
    expect(validateView(fitted, 'home')).toEqual([]);
  });
});

it('a message of exactly 50 blocks stays one message', () => {
  const blocks = Array.from({ length: MAX_BLOCKS_PER_MESSAGE }, (_, i) => section(`row ${i}`));
  expect(messagesOf({ text: 'x', blocks })).toHaveLength(1);
});
