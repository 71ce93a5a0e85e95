import type { KnownBlock, SectionBlock } from '@slack/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { validateBlocks, type EmulatedMessage, type SlackEmulator } from '../../src/local/emulator/index.ts';
import type { ChatPort } from '../../src/slack/chat-port.ts';
import { MAX_BUTTON_TEXT, MAX_HEADER_TEXT, MAX_SECTION_TEXT } from '../../src/slack/message-limits.ts';
import { type ChatRig, runUntilSettled as settleWith, startChatRig } from '../support/chat-rig.ts';

const GENERAL = 'C0GENERAL';
const ALICE = 'U0ALICE';

let clock: ManualClock;
let emulator: SlackEmulator;
let chat: ChatPort;
let rig: ChatRig;

beforeEach(async () => {
  rig = await startChatRig();
  ({ clock, emulator, chat } = rig);
});

afterEach(() => rig.stop());

const runUntilSettled = <T>(promise: Promise<T>) => settleWith(clock, promise);

const section = (text: string): SectionBlock => ({ type: 'section', text: { type: 'mrkdwn', text } });
const lines = (count: number) => Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(72)}`).join('\n');

/** Slack accepted every call, and everything it holds would pass its own checks. */
function expectNoSlackErrors(messages: EmulatedMessage[]): void {
  expect(emulator.calls.filter((c) => c.status !== 200 || c.response.ok === false)).toEqual([]);
  for (const m of messages) if (m.blocks) expect(validateBlocks(m.blocks, 'message')).toEqual([]);
}

async function responseUrlFor(user: string, channel: string): Promise<string> {
  await emulator.slashCommand({ user, channel, text: 'status' });
  const body = new URLSearchParams(emulator.deliveries().at(-1)?.body ?? '');
  return body.get('response_url') ?? '';
}

describe('the Slack chat port posts any content without an error the user sees', () => {
  it('spreads 51 blocks over two messages', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`row ${i}`));
    const ref = await runUntilSettled(chat.post(GENERAL, { text: 'report', blocks }));
    const messages = emulator.messages(GENERAL);
    expect(messages.map((m) => m.blocks?.length)).toEqual([50, 2]);
    expect(ref.ts).toBe(messages[0]?.ts);
    expectNoSlackErrors(messages);
  });

  it('splits a section over 3,000 characters into sections Slack accepts', async () => {
    await chat.post(GENERAL, { text: 'logs', blocks: [section(lines(100))] });
    const [message] = emulator.messages(GENERAL);
    expect((message?.blocks as SectionBlock[]).map((b) => b.text?.text.length ?? 0).every((n) => n <= MAX_SECTION_TEXT)).toBe(true);
    expect((message?.blocks as SectionBlock[]).map((b) => b.text?.text).join('\n')).toBe(lines(100));
    expectNoSlackErrors(emulator.messages(GENERAL));
  });

  it('cuts a header over 150 characters and a button label over 75', async () => {
    const blocks: KnownBlock[] = [
      { type: 'header', text: { type: 'plain_text', text: 'H'.repeat(300) } },
      { type: 'actions', elements: [{ type: 'button', action_id: 'approve', value: 'run-1', text: { type: 'plain_text', text: 'A'.repeat(120) } }] },
    ];
    await chat.post(GENERAL, { text: 'approve?', blocks });
    const [message] = emulator.messages(GENERAL);
    expect(JSON.stringify(message?.blocks)).toContain(`${'H'.repeat(MAX_HEADER_TEXT - 1)}…`);
    expect(JSON.stringify(message?.blocks)).toContain(`"${'A'.repeat(MAX_BUTTON_TEXT - 1)}…"`);
    expectNoSlackErrors(emulator.messages(GENERAL));
  });

  it('splits text over 40,000 characters into several messages, in order', async () => {
    const text = lines(560);
    await runUntilSettled(chat.post(GENERAL, { text }));
    const messages = emulator.messages(GENERAL);
    expect(messages.length).toBe(4);
    expect(messages.map((m) => m.text).join('\n')).toBe(text);
    expectNoSlackErrors(messages);
  });

  it('attaches huge output as a file under a short summary', async () => {
    const text = lines(3_000);
    const ref = await runUntilSettled(chat.post(GENERAL, { text }));
    const [summary, shared] = emulator.messages(GENERAL);
    expect(summary).toMatchObject({ ts: ref.ts, text: 'Output was too long for Slack; attached as output.txt' });
    expect(shared?.files).toEqual([expect.objectContaining({ name: 'output.txt', content: text })]);
    expectNoSlackErrors(emulator.messages(GENERAL));
  });

  it('retries a whole upload whose step was rate limited, and shares the file once', async () => {
    emulator.setRateLimit('files.completeUploadExternal', { perMinute: 1 });
    await runUntilSettled(chat.upload(GENERAL, { filename: 'a.txt', content: 'a' }));
    await runUntilSettled(chat.upload(GENERAL, { filename: 'b.txt', content: 'b' }));
    expect(emulator.messages(GENERAL).flatMap((m) => m.files ?? []).map((f) => f.name)).toEqual(['a.txt', 'b.txt']);
    expect(emulator.callsTo('files.completeUploadExternal').map((c) => c.status)).toEqual([200, 429, 200]);
  });

  it('keeps every part of long output in the thread it was asked in', async () => {
    const { ts: parent } = await chat.post(GENERAL, { text: 'deploy api' });
    await runUntilSettled(chat.post(GENERAL, { text: lines(560) }, parent));
    expect(emulator.messages(GENERAL)).toHaveLength(1);
    expect(emulator.replies(GENERAL, parent)).toHaveLength(4);
  });

  it('edits a message in place, dropping blocks the new content no longer has', async () => {
    const ref = await chat.post(GENERAL, { text: 'deploying', blocks: [section('*deploying*')] });
    await chat.update(ref, { text: 'deployed' });
    expect(emulator.messages(GENERAL)).toEqual([expect.objectContaining({ text: 'deployed', edited: expect.objectContaining({ count: 1 }) })]);
    expect(emulator.messages(GENERAL)[0]?.blocks).toBeUndefined();
  });

  it('sends private output as ephemerals, cut rather than uploaded where everyone would see it', async () => {
    await runUntilSettled(chat.ephemeral(GENERAL, ALICE, { text: lines(3_000) }));
    const ephemerals = emulator.ephemerals({ user: ALICE });
    expect(ephemerals).toHaveLength(4);
    expect(ephemerals.at(-1)?.text).toMatch(/output cut: \d+ more parts not shown here/);
    expect(emulator.messages(GENERAL)).toEqual([]);
  });

  it('answers through a response_url, ephemeral unless told otherwise', async () => {
    const url = await responseUrlFor(ALICE, 'C0RANDOM');
    await runUntilSettled(chat.respond(url, { text: 'only you can see this' }));
    expect(emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: 'C0RANDOM', text: 'only you can see this', via: 'response_url' })]);
    expect(emulator.callsTo('chat.postEphemeral')).toEqual([]);
  });

  it('fits a response_url answer too', async () => {
    const url = await responseUrlFor(ALICE, GENERAL);
    await runUntilSettled(chat.respond(url, { text: 'report', blocks: Array.from({ length: 60 }, (_, i) => section(`row ${i}`)) }));
    expect(emulator.ephemerals({ user: ALICE }).map((e) => e.blocks?.length)).toEqual([50, 11]);
  });

  it('opens a modal and publishes a home tab within their limits', async () => {
    await chat.openModal(emulator.issueTriggerId(ALICE), {
      type: 'modal',
      title: { type: 'plain_text', text: 'Approve the production deploy' },
      blocks: Array.from({ length: 130 }, (_, i) => section(`row ${i}`)),
    });
    await chat.publishHome(ALICE, { type: 'home', blocks: [section(lines(60))] });
    expect(emulator.views()).toEqual([expect.objectContaining({ user: ALICE, view: expect.objectContaining({ blocks: expect.any(Array) }) })]);
    expect((emulator.views()[0]?.view.blocks as unknown[]).length).toBe(100);
    expect((emulator.home(ALICE)?.blocks as unknown[]).length).toBe(2);
    expectNoSlackErrors([]);
  });

  it('uploads a file into a thread', async () => {
    const { ts } = await chat.post(GENERAL, { text: 'logs follow' });
    await runUntilSettled(chat.upload(GENERAL, { filename: 'pod.log', content: 'line 1\nline 2', title: 'pod logs' }, ts));
    expect(emulator.replies(GENERAL, ts)).toEqual([expect.objectContaining({ files: [expect.objectContaining({ name: 'pod.log', content: 'line 1\nline 2' })] })]);
  });
});
