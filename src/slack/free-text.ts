import type { AgentRunner } from '../agents/agent-runner.ts';
import { intentAgent } from '../agents/intent-agent.ts';
import { intentCandidates } from '../agents/offline/intent-candidates.ts';
import type { Clock } from '../clock.ts';
import { bindArgs } from '../commands/bind-args.ts';
import type { Caller, Invocation } from '../commands/command.ts';
import { parseArgs, tokenize } from '../commands/parser.ts';
import type { Registry } from '../commands/registry.ts';
import type { Policy } from '../config/policy-schema.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { roleAtLeast } from '../roles.ts';
import type { Store } from '../store/types.ts';
import type { WorkflowDefinition } from '../workflows/definition.ts';
import type { Replier } from './chat-port.ts';
import { intentView } from './views/intent-view.ts';

/** Slack keeps a button's value to 2,000 characters; the proposed command is that value. */
const MAX_COMMAND_CHARS = 2_000;

export interface FreeTextDeps {
  runner: AgentRunner;
  registry: Registry;
  workflows: () => Iterable<WorkflowDefinition>;
  store: Store;
  clock: Clock;
  policy: Policy;
  commandPrefix: string;
  /** Thread memory keeps what was said with its secrets redacted. */
  redact: (text: string) => string;
}

/**
 * `@opsbot <free text>`: the intent agent maps it to a command the caller may run — shown with
 * Run / Cancel, never run by itself — or asks, or answers. The thread's recent turns are kept in
 * SQLite so "which environment?" → "staging" completes the request.
 */
export function createFreeTextHandler(deps: FreeTextDeps) {
  const { memory } = deps.policy.agents;
  return async ({ invocation, caller, reply, log }: { invocation: Invocation; caller: Caller; reply: Replier; log: Logger }): Promise<void> => {
    const now = deps.clock.now();
    const thread = invocation.threadTs;
    const history = thread && memory.turns > 0 ? deps.store.threadMemory.recent(invocation.channelId, thread, { limit: memory.turns, since: now - memory.ttlMs }) : [];
    const allowed = deps.registry.list().filter((c) => roleAtLeast(caller.role, c.role));

    const check = (command: string): string | undefined => {
      if (command.length > MAX_COMMAND_CHARS) return `longer than ${MAX_COMMAND_CHARS} characters`;
      if (/[\r\n]/.test(command)) return 'a command is one line';
      try {
        const found = deps.registry.match(tokenize(command));
        if (found.kind === 'unknown') return `\`${found.input}\` is not a command`;
        if (!allowed.includes(found.command)) return `you may not run \`${found.command.name}\``;
        bindArgs(found.command, parseArgs(found.rest), deps.commandPrefix);
        return undefined;
      } catch (err) {
        return errorMessage(err);
      }
    };

    const answer = await deps.runner.run(
      intentAgent({ check }),
      { text: invocation.text, candidates: intentCandidates(allowed, deps.workflows()), history, commandPrefix: deps.commandPrefix },
      { requestedBy: caller.id, ...(thread ? { subject: `thread ${invocation.channelId}/${thread}` } : {}) },
    );
    await reply.public(intentView(answer, deps.commandPrefix));
    log.info({ agentRun: answer.runId, kind: answer.output.kind, provider: answer.provider }, 'free text answered');

    if (thread && memory.turns > 0) {
      const said = answer.output.kind === 'command' ? `command: ${answer.output.command}` : answer.output.kind === 'question' ? `question: ${answer.output.question}` : `answer: ${answer.output.answer}`;
      deps.store.transaction(() => {
        deps.store.threadMemory.append({ channel: invocation.channelId, threadTs: thread, role: 'user', userId: caller.id, text: deps.redact(invocation.text), at: now });
        deps.store.threadMemory.append({ channel: invocation.channelId, threadTs: thread, role: 'assistant', userId: null, text: deps.redact(said), at: deps.clock.now() });
      });
    }
  };
}
