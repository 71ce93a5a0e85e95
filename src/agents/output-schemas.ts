import { z } from 'zod';
import { CI_FAILURE_CATEGORIES } from './offline/ci-failure-category.ts';
import { categorySchema, remediationSchema, severitySchema } from './taxonomy.ts';

/**
 * What each agent answers, online and offline alike. These schemas are sent to the Messages API
 * as the structured-output format, so they stay within what JSON Schema there supports: plain
 * objects, enums, arrays, no records (params are name/value pairs), no transforms.
 */

const confidence = z.number().min(0).max(1).describe('0 (a guess) to 1 (certain)');
const likelihood = z.enum(['high', 'medium', 'low']);
export const riskSchema = z.enum(['low', 'medium', 'high']);
export type Risk = z.infer<typeof riskSchema>;

export const triageOutputSchema = z.object({
  summary: z.string().describe('What is wrong, in two sentences at most'),
  category: categorySchema,
  severity: severitySchema.describe('P1 (worst) to P4'),
  service: z.string().nullable().describe('The affected service, or null when unknown'),
  causes: z
    .array(z.object({ cause: z.string(), likelihood, evidence: z.string() }))
    .describe('Likely causes, most likely first'),
  diagnostics: z
    .array(z.object({ check: z.string(), status: z.enum(['ran', 'recommended']), finding: z.string().nullable() }))
    .describe('Checks run through tools (with what they found) or recommended to a human'),
  remediation: remediationSchema.describe('The kind of fix that fits first'),
  confidence,
});
export type TriageOutput = z.infer<typeof triageOutputSchema>;

const paramPair = z.object({ name: z.string(), value: z.string() });
export type ParamPair = z.infer<typeof paramPair>;

export const proposalSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('playbook'), name: z.string(), params: z.array(paramPair), rationale: z.string() }),
  z.object({ kind: z.literal('action'), action: z.string(), params: z.array(paramPair), rationale: z.string() }),
  z.object({ kind: z.literal('manual'), steps: z.array(z.string()).min(1), rationale: z.string() }),
  z.object({ kind: z.literal('patch'), repository: z.string().nullable(), path: z.string(), diff: z.string(), rationale: z.string() }),
]);
export type Proposal = z.infer<typeof proposalSchema>;

export const fixOutputSchema = z.object({
  summary: z.string().describe('The remediation in one sentence'),
  proposal: proposalSchema,
  risk: riskSchema,
  confidence,
});
export type FixOutput = z.infer<typeof fixOutputSchema>;

export const reviewOutputSchema = z.object({
  verdict: z.enum(['accept', 'reject']),
  reasons: z.array(z.string()).min(1),
  risk: riskSchema,
  requiredChanges: z.array(z.string()).describe('What the fix must change to be accepted; empty when accepted'),
});
export type ReviewOutput = z.infer<typeof reviewOutputSchema>;

export const ciAnalysisOutputSchema = z.object({
  summary: z.string(),
  errorLines: z.array(z.object({ line: z.number().int().min(1), text: z.string() })).describe('The log lines that matter, 1-based'),
  category: z.enum(CI_FAILURE_CATEGORIES),
  risk: riskSchema.describe('Risk of merging or re-running as is'),
  confidence,
  suggestedAction: z.enum(['rerun', 'fix-code', 'fix-test', 'fix-dependency', 'fix-environment', 'investigate']),
});
export type CiAnalysisOutput = z.infer<typeof ciAnalysisOutputSchema>;

export const prReviewOutputSchema = z.object({
  summary: z.string(),
  findings: z.array(
    z.object({
      file: z.string(),
      line: z.number().int().min(0).describe('Line in the new file; 0 for the whole file'),
      severity: z.enum(['blocker', 'major', 'minor', 'nit']),
      message: z.string(),
    }),
  ),
});
export type PrReviewOutput = z.infer<typeof prReviewOutputSchema>;

export const intentOutputSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('command'), command: z.string().describe('The command as typed after /ops, e.g. "workflow run deploy service=api"'), explanation: z.string() }),
  z.object({ kind: z.literal('question'), question: z.string().describe('A clarifying question when the request is ambiguous') }),
  z.object({ kind: z.literal('answer'), answer: z.string().describe('A direct answer when no command is needed') }),
]);
export type IntentOutput = z.infer<typeof intentOutputSchema>;

export const postmortemOutputSchema = z.object({
  summary: z.string(),
  impact: z.string(),
  narrative: z.string().describe('What happened, in order, from the timeline'),
  contributingFactors: z.array(z.string()),
  actionItems: z.array(z.object({ action: z.string(), owner: z.string().nullable() })),
});
export type PostmortemOutput = z.infer<typeof postmortemOutputSchema>;
