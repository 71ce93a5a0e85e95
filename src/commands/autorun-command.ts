import { z } from 'zod';
import type { AutorunSwitch } from '../autorun-switch.ts';
import type { Policy } from '../config/policy-schema.ts';
import { defineCommand, type CommandContext } from './command.ts';
import type { CoreDeps } from './core-deps.ts';
import { utcTime } from './time-format.ts';

export interface AutorunCommandDeps extends CoreDeps {
  autorun: AutorunSwitch;
  policy: Policy;
}

export const autorunCommand = defineCommand({
  name: 'autorun',
  summary: 'Stop (off) or resume (on) every automatic action: playbooks and CI re-runs',
  examples: ['autorun', 'autorun off', 'autorun on'],
  args: z.object({ state: z.enum(['on', 'off', 'status'], { error: 'on, off or status' }).default('status') }),
  positional: ['state'],
  // Anyone on call may pull the brake; the audit log says who.
  role: 'responder',
  async run({ caller, clock, reply, deps, invocation }: CommandContext<AutorunCommandDeps>, { state }) {
    const current = deps.autorun.state();
    const policyNote = deps.policy.autorun.enabled ? '' : ' (opsbot.yaml sets `autorun.enabled: false`, so nothing runs by itself either way)';
    if (state === 'status') {
      const since = current.by ? ` since ${utcTime(current.at ?? 0)}, switched by <@${current.by}>` : '';
      await reply.private(`Automatic actions are *${current.on ? 'on' : 'off'}*${since}${policyNote}.`);
      return;
    }
    const on = state === 'on';
    deps.autorun.set(on, caller.id, clock.now());
    deps.store.audit.append({ at: clock.now(), actor: caller.id, channel: invocation.channelId, action: 'autorun', command: 'autorun', args: JSON.stringify({ on, was: current.on }), outcome: 'ok' });
    await reply.public(on ? `▶️ <@${caller.id}> turned automatic actions *on*${policyNote}.` : `⏸️ <@${caller.id}> turned automatic actions *off*: playbooks and CI re-runs now wait for a click.`);
  },
});
