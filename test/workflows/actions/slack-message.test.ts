import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MessageRef } from '../../../src/slack/chat-port.ts';
import { createSlackMessageAction } from '../../../src/workflows/actions/slack-message.ts';
import { type ChatRig, runUntilSettled, startChatRig } from '../../support/chat-rig.ts';
import { actionContext } from './action-context.ts';

const GENERAL = 'C0GENERAL';
const ALERTS = 'C0ALERTS';

let rig: ChatRig;
let parent: MessageRef;

beforeEach(async () => {
  rig = await startChatRig();
  parent = await runUntilSettled(rig.clock, rig.chat.post(GENERAL, { text: 'deploy api v2.3.0 — running' }));
});

afterEach(() => rig.stop());

const action = () => createSlackMessageAction({ chat: rig.chat, runLocation: (runId) => (runId === 'run-1' ? { channel: GENERAL, threadTs: parent.ts } : { channel: 'C0NOWHERE' }) });
const post = (input: Record<string, unknown>, dryRun = false) => {
  const slack = action();
  return runUntilSettled(rig.clock, slack.run(slack.parse(input), actionContext({ dryRun, clock: rig.clock })));
};

describe('slack.message', () => {
  it('posts into the run’s thread by default', async () => {
    const { result } = await post({ text: 'Staging is green :white_check_mark:' });
    const replies = rig.emulator.replies(GENERAL, parent.ts);
    expect(replies.map((m) => m.text)).toEqual(['Staging is green :white_check_mark:']);
    expect(result).toEqual({ channel: GENERAL, ts: replies[0]?.ts });
  });

  it('posts to the run’s channel itself with thread: false', async () => {
    await post({ text: 'Maintenance starts now', thread: false });
    expect(rig.emulator.messages(GENERAL).map((m) => m.text)).toEqual(['deploy api v2.3.0 — running', 'Maintenance starts now']);
    expect(rig.emulator.replies(GENERAL, parent.ts)).toEqual([]);
  });

  it('posts to another channel as a message of its own', async () => {
    const { result } = await post({ channel: ALERTS, text: 'api v2.3.0 is rolling out' });
    expect(rig.emulator.messages(ALERTS).map((m) => m.text)).toEqual(['api v2.3.0 is rolling out']);
    expect(result.channel).toBe(ALERTS);
  });

  it('posts nothing in a dry run, and says what it would have posted', async () => {
    const { result, log } = await post({ text: 'Production is done' }, true);
    expect(result).toEqual({ dryRun: true, channel: GENERAL, text: 'Production is done' });
    expect(log).toBe(`would post to <#${GENERAL}> (in the thread): Production is done`);
    expect(rig.emulator.replies(GENERAL, parent.ts)).toEqual([]);
  });

  it('is not idempotent (Slack has no idempotency key) and needs text', () => {
    const slack = action();
    expect(slack.idempotent).toBe(false);
    expect(() => slack.parse({ channel: GENERAL })).toThrow(/`with\.text` must be a non-empty string, got nothing/);
    expect(() => slack.parse({ text: 'hi', thread: 'yes' })).toThrow(/`with\.thread` must be true or false/);
  });
});
