import { describe, expect, it } from 'vitest';
import { problemsToResponse, validateBlocks, validateView } from '../../src/local/emulator/block-limits.ts';

const text = (t: string, type = 'mrkdwn') => ({ type, text: t });
const plain = (t: string) => ({ type: 'plain_text', text: t });
const section = (t: string) => ({ type: 'section', text: text(t) });
const button = (actionId: string, extra: Record<string, unknown> = {}) => ({ type: 'button', text: plain('Go'), action_id: actionId, ...extra });
const x = (n: number) => 'x'.repeat(n);

/** The pointers of the problems found, for compact assertions. */
const pointers = (blocks: unknown, surface: 'message' | 'modal' | 'home' = 'message') => validateBlocks(blocks, surface).map((p) => `${p.message} @${p.pointer}`);

describe('validateBlocks', () => {
  it('accepts a typical message at every limit exactly', () => {
    const blocks = [
      { type: 'header', text: plain(x(150)) },
      section(x(3000)),
      { type: 'section', fields: Array.from({ length: 10 }, () => text(x(2000))) },
      { type: 'context', elements: [text(x(3000))] },
      { type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button(`a${i}`, { text: plain(x(75)), value: x(2000) })) },
      { type: 'section', text: text('pick'), accessory: { type: 'static_select', action_id: x(255), options: [{ text: plain(x(75)), value: x(150) }] } },
      { type: 'divider' },
    ];
    expect(validateBlocks(blocks, 'message')).toEqual([]);
  });

  it('counts blocks per surface: 50 in messages, 100 in modals and home tabs', () => {
    const fifty = Array.from({ length: 50 }, (_, i) => section(`${i}`));
    expect(pointers(fifty)).toEqual([]);
    expect(pointers([...fifty, section('51')])).toEqual(['no more than 50 items allowed @/blocks']);
    const hundred = Array.from({ length: 100 }, (_, i) => section(`${i}`));
    expect(pointers(hundred, 'modal')).toEqual([]);
    expect(pointers([...hundred, section('101')], 'home')).toEqual(['no more than 100 items allowed @/blocks']);
  });

  it.each([
    ['section text over 3000', [{ type: 'divider' }, { type: 'divider' }, { type: 'divider' }, section(x(3001))], 'must be less than 3001 characters @/blocks/3/text/text'],
    ['context text over 3000', [{ type: 'context', elements: [text(x(3001))] }], 'must be less than 3001 characters @/blocks/0/elements/0/text'],
    ['header over 150', [{ type: 'header', text: plain(x(151)) }], 'must be less than 151 characters @/blocks/0/text/text'],
    ['header in mrkdwn', [{ type: 'header', text: text('h') }], 'unsupported type: mrkdwn @/blocks/0/text/type'],
    ['button text over 75', [{ type: 'actions', elements: [button('a', { text: plain(x(76)) })] }], 'must be less than 76 characters @/blocks/0/elements/0/text/text'],
    ['button value over 2000', [{ type: 'actions', elements: [button('a', { value: x(2001) })] }], 'must be less than 2001 characters @/blocks/0/elements/0/value'],
    ['option value over 150', [{ type: 'section', text: text('s'), accessory: { type: 'static_select', action_id: 's', options: [{ text: plain('o'), value: x(151) }] } }], 'must be less than 151 characters @/blocks/0/accessory/options/0/value'],
    ['action_id over 255', [{ type: 'actions', elements: [button(x(256))] }], 'must be less than 256 characters @/blocks/0/elements/0/action_id'],
    ['duplicate action_id in a block', [{ type: 'actions', elements: [button('go'), button('go')] }], '`action_id` "go" already exists @/blocks/0/elements/1/action_id'],
    ['duplicate action_id across blocks', [{ type: 'actions', elements: [button('go')] }, { type: 'actions', elements: [button('go')] }], '`action_id` "go" already exists @/blocks/1/elements/0/action_id'],
    ['duplicate block_id', [{ ...section('a'), block_id: 'b' }, { ...section('b'), block_id: 'b' }], '`block_id` "b" already exists @/blocks/1/block_id'],
    ['section with neither text nor fields', [{ type: 'section' }], 'must provide either text or fields @/blocks/0'],
    ['more than 10 fields', [{ type: 'section', fields: Array.from({ length: 11 }, () => text('f')) }], 'no more than 10 items allowed @/blocks/0/fields'],
    ['a field over 2000', [{ type: 'section', fields: [text('a'), text(x(2001))] }], 'must be less than 2001 characters @/blocks/0/fields/1/text'],
    ['more than 25 actions', [{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button(`a${i}`)) }], 'no more than 25 items allowed @/blocks/0/elements'],
    ['unknown block type', [{ type: 'sektion', text: text('a') }], 'unsupported type: sektion @/blocks/0/type'],
    ['empty text', [section('')], 'must be more than 0 characters @/blocks/0/text/text'],
  ])('rejects %s', (_name, blocks, expected) => {
    expect(pointers(blocks)).toContain(expected);
  });

  it('lets views repeat an action_id in different blocks (state is keyed block → action)', () => {
    const input = (blockId: string) => ({ type: 'input', block_id: blockId, label: plain('L'), element: { type: 'plain_text_input', action_id: 'value' } });
    expect(pointers([input('a'), input('b')], 'modal')).toEqual([]);
  });

  it("formats problems as Slack's errors and [ERROR] messages", () => {
    expect(problemsToResponse([{ message: 'no more than 50 items allowed', pointer: '/blocks' }])).toEqual({
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
      response_metadata: { messages: ['[ERROR] no more than 50 items allowed [json-pointer:/blocks]'] },
    });
  });
});

describe('validateView', () => {
  const modal = (extra: Record<string, unknown> = {}) => ({ type: 'modal', title: plain('Deploy'), blocks: [section('hi')], ...extra });

  it('accepts a modal and a home tab', () => {
    expect(validateView(modal(), 'modal')).toEqual([]);
    expect(validateView({ type: 'home', blocks: [section('hi')] }, 'home')).toEqual([]);
  });

  it('checks title length, private_metadata and nested blocks with /view pointers', () => {
    const problems = validateView(modal({ title: plain(x(25)), private_metadata: x(3001), blocks: [section(x(3001))] }), 'modal').map((p) => `${p.message} @${p.pointer}`);
    expect(problems).toEqual([
      'must be less than 25 characters @/view/title/text',
      'must be less than 3001 characters @/view/private_metadata',
      'must be less than 3001 characters @/view/blocks/0/text/text',
    ]);
  });

  it('requires submit when the modal has inputs', () => {
    const blocks = [{ type: 'input', label: plain('L'), element: { type: 'plain_text_input', action_id: 'v' } }];
    expect(validateView(modal({ blocks }), 'modal').map((p) => p.pointer)).toEqual(['/view']);
    expect(validateView(modal({ blocks, submit: plain('Go') }), 'modal')).toEqual([]);
  });
});
