import type { CiRunAnalysis } from './ci-analysis.ts';
import type { CiRunSubject } from './webhook-events.ts';

/**
 * The GitHub issue `ci issue` opens for a failed run: where it failed, the analysis per job and
 * the error lines. Log lines and the analyst's words are untrusted text: the lines go in a code
 * fence longer than any backtick run inside them, and `@name` is broken so nobody is pinged. Pure.
 */

const LINES_PER_JOB = 40;
const BODY_MAX = 60_000;

export function ciIssue(run: CiRunSubject, analysis: CiRunAnalysis, openedByLogin?: string): { title: string; body: string } {
  const category = analysis.jobs.find((j) => j.category)?.category;
  const title = `CI ${run.conclusion === 'timed_out' ? 'timed out' : 'failed'}: ${run.name} on ${run.headBranch || run.headSha.slice(0, 7)}${category ? ` (${category})` : ''}`;
  const parts = [
    `**${quiet(run.name)}** failed on \`${quiet(run.headBranch)}\` at ${run.headSha} — [run #${run.id}, attempt ${run.attempt}](${run.url}).`,
  ];
  for (const job of analysis.jobs) {
    const verdict = job.category ? ` — ${job.category}, confidence ${Math.round((job.confidence ?? 0) * 100)}%` : '';
    parts.push(`### [${quiet(job.job.name)}](${job.job.url})${verdict}`);
    if (job.job.failedSteps.length > 0) parts.push(`Failed step: ${job.job.failedSteps.map(quiet).join(', ')}`);
    if (job.summary) parts.push(quiet(job.summary));
    if (job.errorLines.length > 0) parts.push(fenced(job.errorLines.slice(0, LINES_PER_JOB).map((l) => `${l.line}: ${l.text}`).join('\n')));
  }
  if (analysis.moreJobs.length > 0) parts.push(`Also failed: ${analysis.moreJobs.map(quiet).join(', ')}`);
  if (analysis.unavailable.length > 0) parts.push(`Could not be fetched:\n${analysis.unavailable.map((u) => `- ${quiet(u)}`).join('\n')}`);
  const by = openedByLogin ? `@${openedByLogin}` : 'a Slack user';
  parts.push(`_Opened from Slack by ${by} through opsbot; analysis by ${analysis.provider === 'anthropic' ? (analysis.model ?? 'the model') : 'the offline heuristics'}._`);
  const body = parts.join('\n\n');
  return { title: title.slice(0, 256), body: body.length > BODY_MAX ? `${body.slice(0, BODY_MAX)}\n\n…` : body };
}

/** `@team` in log text or a summary must not notify anyone. */
function quiet(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}

function fenced(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}\n${text}\n${fence}`;
}
