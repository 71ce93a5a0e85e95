import type { z } from 'zod';
import type { Fence } from './untrusted.ts';

export const AGENT_NAMES = ['triage', 'fix', 'review', 'ci-analyst', 'pr-review', 'intent', 'postmortem'] as const;
export type AgentName = (typeof AGENT_NAMES)[number];

/** A deterministic answer in the agent's own schema, and what to say about it. */
export interface OfflineAnswer<O> {
  output: O;
  /** The answer is a guess or leaves things out; the reply says so. */
  thin: boolean;
  notes: string[];
}

/** Model output after the guard: what may be used, and what was taken out or changed. */
export interface Guarded<O> {
  output: O;
  /** One line each, for the transcript, the log and the reply: `action k8s.delete is not in the catalog`. */
  violations: string[];
}

/**
 * An agent is data, like a command: its prompt, output schema, offline answer and guard. The
 * runner (agent-runner.ts) does the rest: the model call and tool loop, redaction, fallback,
 * accounting and the run record.
 */
export interface AgentDefinition<I, O> {
  name: AgentName;
  /** Stable across calls, so the Messages API can cache it. */
  system: string;
  output: z.ZodType<O>;
  maxTokens: number;
  /** Offer the read-only diagnostic tools. */
  usesTools: boolean;
  /** The user turn: trusted framing around fenced untrusted parts. */
  prompt(input: I, fence: Fence): string;
  offline(input: I): OfflineAnswer<O>;
  /** What the model may never decide; enforced on every answer, the offline one included. */
  guard?(output: O, input: I): Guarded<O>;
  /** Audit row for a proposal or verdict, if this output is one. */
  audit?(output: O): { action: string; outcome: string; detail: string } | undefined;
}
