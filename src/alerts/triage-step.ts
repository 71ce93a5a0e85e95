import type { AgentDefinition } from '../agents/agent.ts';
import type { AgentRunner, RunContext } from '../agents/agent-runner.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { TriageStep } from './triage-types.ts';

export interface StepResult<O> {
  output: O;
  step: TriageStep;
}

/**
 * One agent run of the triage loop. The runner already falls back to the offline answer when the
 * model fails; this covers the runner itself throwing (a store error, a bug), so the loop always
 * has an answer, guarded like any other, and the reply says what happened.
 */
export async function runStep<I, O>(
  runner: AgentRunner,
  agent: AgentDefinition<I, O>,
  input: I,
  context: RunContext,
  at: { step: TriageStep['agent']; round: number },
  log: Logger,
): Promise<StepResult<O>> {
  try {
    const answer = await runner.run(agent, input, context);
    return { output: answer.output, step: { agent: at.step, round: at.round, runId: answer.runId, provider: answer.provider, model: answer.model, notes: answer.notes } };
  } catch (err) {
    log.error({ err: errorMessage(err), agent: agent.name, round: at.round }, 'agent run failed; using the offline answer');
    const offline = agent.offline(input);
    const guarded = agent.guard ? agent.guard(offline.output, input) : { output: offline.output, violations: [] };
    return {
      output: guarded.output,
      step: {
        agent: at.step,
        round: at.round,
        provider: 'offline',
        model: null,
        notes: [`The ${agent.name} agent failed (${errorMessage(err)}); the offline answer is shown instead.`, ...offline.notes, ...guarded.violations.map((v) => `Blocked: ${v}.`)],
      },
    };
  }
}
