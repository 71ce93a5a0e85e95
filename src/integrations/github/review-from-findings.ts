import type { PrFile } from '../../agents/offline/pr-static-checks.ts';
import type { PrReviewOutput } from '../../agents/output-schemas.ts';
import { commentableLines } from './diff-anchors.ts';
import type { ReviewComment } from './github-types.ts';

type Finding = PrReviewOutput['findings'][number];

/** GitHub takes many more; past this a review is noise, and the rest go in the body. */
const MAX_LINE_COMMENTS = 30;
const MAX_BODY_CHARS = 60_000;

export interface GitHubReviewDraft {
  body: string;
  comments: ReviewComment[];
}

/**
 * A stored PR review (the agent's findings) as a GitHub review: findings on a line the diff
 * shows become line comments; the rest (whole-file findings, lines outside the hunks, past the
 * cap) are listed in the body, since GitHub refuses a comment it cannot anchor. Model text is
 * untrusted: @mentions are defused so a review cannot ping people or teams. Pure.
 */
export function reviewFromFindings(input: { output: PrReviewOutput; files: readonly PrFile[]; runId: string; provider: string; postedBy: string }): GitHubReviewDraft {
  const anchors = new Map(input.files.map((f) => [f.filename, commentableLines(f.patch)]));
  const comments: ReviewComment[] = [];
  const elsewhere: Finding[] = [];
  for (const f of input.output.findings) {
    if (f.line > 0 && anchors.get(f.file)?.has(f.line) && comments.length < MAX_LINE_COMMENTS) {
      comments.push({ path: f.file, line: f.line, body: `**${f.severity}**: ${defuse(f.message)}` });
    } else {
      elsewhere.push(f);
    }
  }
  const listed = elsewhere.map((f) => `- **${f.severity}** \`${f.line > 0 ? `${f.file}:${f.line}` : f.file}\`: ${defuse(f.message).replace(/\s+/g, ' ')}`);
  const body = [
    '#### opsbot review',
    defuse(input.output.summary),
    ...(listed.length > 0 ? [`Findings not on a changed line:\n${listed.join('\n')}`] : []),
    `<sub>${input.provider} · agent run ${input.runId} · posted from Slack by ${defuse(input.postedBy)}</sub>`,
  ].join('\n\n');
  return { body: body.length > MAX_BODY_CHARS ? `${body.slice(0, MAX_BODY_CHARS - 1)}…` : body, comments };
}

/** `@name` and `@org/team` notify on GitHub; a zero-width space after the `@` keeps the text and drops the ping. */
export function defuse(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}
