import type { AgentDefinition } from './agent.ts';
import { staticPrReview, type PrInput } from './offline/pr-static-checks.ts';
import { prReviewOutputSchema, type PrReviewOutput } from './output-schemas.ts';

export interface PrReviewInput {
  /** `owner/repo#123`, for people and the run record. */
  pr: string;
  change: PrInput;
}

/** Patches beyond this many characters are cut: the model reviews what fits, and says so. */
const MAX_PATCH_CHARS = 80_000;

const SYSTEM = `You are the pull-request reviewer of opsbot, a ChatOps bot run by an SRE team. You review a diff for bugs, security problems (secrets, injection, unsafe defaults), operational risk (migrations, config, resource limits) and missing tests.
Answer with summary (what the change does and your overall judgement) and findings: each with file (a path from the diff), line (the line number in the new file, 0 for the whole file), severity (blocker, major, minor, nit) and message (the problem and the fix). No findings is a valid answer.`;

export function prReviewAgent(): AgentDefinition<PrReviewInput, PrReviewOutput> {
  return {
    name: 'pr-review',
    system: SYSTEM,
    output: prReviewOutputSchema,
    maxTokens: 4096,
    usesTools: true,
    prompt(input, fence) {
      let budget = MAX_PATCH_CHARS;
      const files = input.change.files.map((file) => {
        const patch = file.patch ?? '(no patch: binary or too large)';
        const shown = patch.length <= budget ? patch : `${patch.slice(0, Math.max(0, budget))}\n[… cut]`;
        budget -= shown.length;
        return `--- ${file.filename} (${file.status}, +${file.additions} -${file.deletions})\n${shown}`;
      });
      return [
        `Pull request ${input.pr} by ${input.change.author}.`,
        'Title and description:',
        fence('pull request description', `${input.change.title}\n\n${input.change.body ?? ''}`),
        'The diff:',
        fence('diff', files.join('\n\n')),
      ].join('\n\n');
    },
    offline: (input) => staticPrReview(input.change),
    // A finding must point into the change: a path the PR does not touch sends people nowhere.
    guard(output, input) {
      const paths = new Set(input.change.files.map((f) => f.filename));
      const findings = output.findings.filter((f) => paths.has(f.file));
      const dropped = output.findings.length - findings.length;
      return { output: { ...output, findings }, violations: dropped > 0 ? [`${dropped} finding(s) about files outside the pull request dropped`] : [] };
    },
  };
}
