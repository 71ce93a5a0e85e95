import { afterEach, describe, expect, it } from 'vitest';
import { type RunningOpsbot, startOpsbot } from './support/opsbot.ts';

describe('opsbot through Slack', () => {
  let opsbot: RunningOpsbot | undefined;
  afterEach(async () => {
    await opsbot?.stop();
    opsbot = undefined;
  });

  it('answers /ops help privately to the person who asked', async () => {
    opsbot = await startOpsbot();
    const { emulator } = opsbot;

    const ack = await emulator.slashCommand({ user: 'U0ALICE', channel: 'C0GENERAL', text: 'help' });
    await opsbot.settle();

    expect(ack.status).toBe(200);
    const answers = emulator.ephemerals({ user: 'U0ALICE' });
    expect(answers).toHaveLength(1);
    expect(answers[0]?.text).toContain('help');
  });
});
