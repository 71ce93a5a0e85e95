import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Invocation } from '../../src/commands/command.ts';
import { UserError } from '../../src/errors.ts';
import type { SlackEmulator } from '../../src/local/emulator/index.ts';
import type { ChatPort } from '../../src/slack/chat-port.ts';
import { createReplier } from '../../src/slack/replier.ts';
import { type ChatRig, silentLog, startChatRig } from '../support/chat-rig.ts';

const log = silentLog;
const GENERAL = 'C0GENERAL';
const RANDOM = 'C0RANDOM'; // public, the bot is not a member
const PRIVATE = 'G0PRIVATE'; // private, the bot is not a member
const ALICE = 'U0ALICE';

let emulator: SlackEmulator;
let chat: ChatPort;
let rig: ChatRig;

beforeEach(async () => {
  rig = await startChatRig();
  ({ emulator, chat } = rig);
});

afterEach(() => rig.stop());

async function slash(channel: string): Promise<Invocation> {
  await emulator.slashCommand({ user: ALICE, channel, text: 'status' });
  const body = new URLSearchParams(emulator.deliveries().at(-1)?.body ?? '');
  return { source: 'slash', text: 'status', userId: ALICE, channelId: channel, responseUrl: body.get('response_url') ?? '' };
}

async function mention(channel: string): Promise<Invocation> {
  const { ts } = await emulator.mention({ user: ALICE, channel, text: '<@U0OPSBOT> status' });
  return { source: 'mention', text: 'status', userId: ALICE, channelId: channel, threadTs: ts };
}

const replierFor = (invocation: Invocation) => createReplier({ chat, invocation, log });
const methods = () => emulator.calls.map((c) => `${c.method} ${c.status === 200 && c.response.ok !== false ? 'ok' : String(c.response.error)}`);

describe('a replier', () => {
  it('answers a slash command privately through its response_url, even where the bot is not a member', async () => {
    await replierFor(await slash(RANDOM)).private('Only you see this.');
    expect(emulator.ephemerals({ user: ALICE })).toEqual([expect.objectContaining({ channel: RANDOM, text: 'Only you see this.', via: 'response_url' })]);
  });

  it('answers a mention privately with an ephemeral in the mention’s thread', async () => {
    const invocation = await mention(GENERAL);
    await replierFor(invocation).private('Only you see this.');
    expect(emulator.ephemerals({ user: ALICE })).toEqual([
      expect.objectContaining({ channel: GENERAL, threadTs: invocation.threadTs, text: 'Only you see this.', via: 'chat.postEphemeral' }),
    ]);
  });

  it('answers a mention publicly in its thread', async () => {
    const invocation = await mention(GENERAL);
    const ref = await replierFor(invocation).public('Deployed.');
    expect(emulator.replies(GENERAL, invocation.threadTs!)).toEqual([expect.objectContaining({ ts: ref.ts, text: 'Deployed.' })]);
  });

  it('joins a public channel it is not in, then posts there', async () => {
    await replierFor(await slash(RANDOM)).public('Deployed.');
    expect(emulator.messages(RANDOM).map((m) => m.text)).toEqual(['Deployed.']);
    expect(methods()).toEqual(['chat.postMessage not_in_channel', 'conversations.join ok', 'chat.postMessage ok']);
  });

  it('stops the handler with the invite hint when it is not in a private channel, leaving the telling to the dispatcher', async () => {
    const reply = replierFor(await slash(PRIVATE));
    const error = await reply.public('Deployed.').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect(error).toMatchObject({ code: 'not_in_channel', message: "I'm not in this private channel.", hint: 'Invite me with `/invite @opsbot`, then try again.' });
    expect(emulator.ephemerals({ user: ALICE })).toEqual([]);
    expect(emulator.messages(PRIVATE)).toEqual([]);
  });

  it('uploads a file into the conversation, joining a public channel first', async () => {
    await replierFor(await slash(RANDOM)).file({ filename: 'pods.txt', content: 'api-1 Running' });
    expect(emulator.messages(RANDOM)).toEqual([expect.objectContaining({ files: [expect.objectContaining({ name: 'pods.txt', content: 'api-1 Running' })] })]);
    expect(emulator.callsTo('conversations.join')).toHaveLength(1);
  });

  it('gives the same invite hint when a file cannot go into a private channel', async () => {
    const reply = replierFor(await slash(PRIVATE));
    await expect(reply.file({ filename: 'pods.txt', content: 'api-1 Running' })).rejects.toMatchObject({ code: 'not_in_channel', hint: 'Invite me with `/invite @opsbot`, then try again.' });
    expect(emulator.messages(PRIVATE)).toEqual([]);
  });

  it('falls back to an ephemeral once a response_url is used up', async () => {
    const reply = replierFor(await slash(GENERAL));
    for (let i = 1; i <= 6; i++) await reply.private(`answer ${i}`);
    expect(emulator.ephemerals({ user: ALICE }).map((e) => `${e.text} via ${e.via}`)).toEqual([
      'answer 1 via response_url',
      'answer 2 via response_url',
      'answer 3 via response_url',
      'answer 4 via response_url',
      'answer 5 via response_url',
      'answer 6 via chat.postEphemeral',
    ]);
  });
});
