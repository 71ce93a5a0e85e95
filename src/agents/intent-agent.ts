import type { ThreadTurn } from '../store/types.ts';
import type { AgentDefinition, OfflineAnswer } from './agent.ts';
import type { IntentCandidate } from './offline/intent-candidates.ts';
import { matchIntent } from './offline/intent-matcher.ts';
import { intentOutputSchema, type IntentOutput } from './output-schemas.ts';

export interface IntentInput {
  text: string;
  /** The commands the caller may run (workflows as one each), as the matcher and the model see them. */
  candidates: IntentCandidate[];
  /** Earlier turns of the thread, oldest first. */
  history: ThreadTurn[];
  commandPrefix: string;
}

export interface IntentAgentDeps {
  /**
   * Checks a proposed command the way the dispatcher will: it must name a command among the
   * candidates and its arguments must bind. Returns what is wrong, or undefined.
   */
  check(command: string): string | undefined;
}

const SYSTEM = `You are the intent agent of opsbot, a ChatOps bot run by an SRE team. People write to opsbot in Slack in their own words. You map what they ask to ONE opsbot command from the list given, with its arguments, or ask a clarifying question, or answer directly when no command is needed.
Rules: propose only commands from the list, written exactly as typed after the slash command (e.g. "workflow run deploy service=api env=staging"); named arguments are key=value, quote values with spaces. If a required argument is missing or the request is ambiguous, ask (kind "question"). Never guess a production target. A proposed command only runs when a person clicks Run.`;

export function intentAgent(deps: IntentAgentDeps): AgentDefinition<IntentInput, IntentOutput> {
  const offline = (input: IntentInput): OfflineAnswer<IntentOutput> => {
    const last = input.history.at(-1);
    // An answer to our own question ("which env?" → "staging") completes the request it asked about.
    const previousAsk = last?.role === 'assistant' && last.text.startsWith('question:') ? input.history.findLast((t) => t.role === 'user')?.text : undefined;
    const text = previousAsk ? `${previousAsk} ${input.text}` : input.text;
    const { thin, score: _score, ...output } = matchIntent(text, input.candidates, { commandPrefix: input.commandPrefix });
    return { output, thin, notes: thin ? ['The offline intent matcher is guessing; rephrase with the command words if this is not what you meant.'] : [] };
  };
  return {
    name: 'intent',
    system: SYSTEM,
    output: intentOutputSchema,
    maxTokens: 1024,
    usesTools: false,
    prompt(input, fence) {
      const commands = input.candidates.map((c) => `- ${c.command}${c.params.map((p) => ` ${p.positional ? `<${p.name}>` : `${p.name}=${p.enum ? p.enum.join('|') : `<${p.type}>`}`}${p.required ? '' : '?'}`).join('')}: ${c.summary}`);
      const history = input.history.map((t) => `${t.role === 'user' ? 'person' : 'opsbot'}: ${t.text}`).join('\n');
      return [
        `Commands this person may run (the slash command is ${input.commandPrefix}):\n${commands.join('\n')}`,
        ...(history ? ['Earlier in this thread:', fence('thread history', history)] : []),
        'What they wrote now:',
        fence('chat message', input.text),
      ].join('\n\n');
    },
    offline,
    // The model may only propose what the dispatcher would accept from this person; anything else becomes a question.
    guard(output, input) {
      if (output.kind !== 'command') return { output, violations: [] };
      const command = output.command.trim().replace(new RegExp(`^${escapeRegExp(input.commandPrefix)}\\s+`), '');
      // One line: a second line would ride along in the button's value and the audit row.
      const problem = /[\r\n]/.test(command) ? 'a command is one line' : deps.check(command);
      if (problem === undefined) return { output: { ...output, command }, violations: [] };
      return {
        output: { kind: 'question', question: `I could not turn that into a command I may offer you (${problem}). Which command did you mean? \`${input.commandPrefix} help\` lists them.` },
        violations: [`proposed command \`${clip(command)}\` refused: ${problem}`],
      };
    },
    audit: (output) => (output.kind === 'command' ? { action: 'agent.proposal', outcome: 'command', detail: output.command } : undefined),
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function clip(s: string): string {
  return s.length <= 120 ? s : `${s.slice(0, 119)}…`;
}
