import { clip, context, escapeMrkdwn, header, section } from '../../commands/blocks.ts';
import { slackTime } from '../../commands/time-format.ts';
import type { CiJobAnalysis, CiRunAnalysis } from '../../integrations/github/ci-analysis.ts';
import type { CiRunSubject } from '../../integrations/github/webhook-events.ts';
import type { Block, MessageContent } from '../chat-port.ts';
import { button } from './workflow-views.ts';

/**
 * The one Slack message for a failed CI run: where it failed, the lines that explain it, what
 * the analyst made of it, and Re-run failed jobs / Open issue (commands, so roles apply). Edited
 * in place after a re-run or an issue. Pure.
 */

export interface CiFailureViewInput {
  run: CiRunSubject;
  analysis: CiRunAnalysis;
  /** A re-run of this attempt was requested (by a person, or by opsbot itself). */
  rerun?: { requestedBy: string; automatic: boolean; at: number };
  issueUrl?: string | null;
  dryRun: boolean;
}

/** Of each analysed job; the log itself is one click away. */
const LINES_PER_JOB = 12;
const LINE_CHARS = 180;
const CODE_CHARS = 1_800;
const NOTES_SHOWN = 3;

const CATEGORY_MARK: Record<string, string> = {
  dependency: '📦',
  environment: '🧰',
  test: '🧪',
  resource: '💾',
  infrastructure: '🌐',
  flaky: '🎲',
};

export function ciFailureView(input: CiFailureViewInput): MessageContent {
  const { run, analysis } = input;
  const repo = `${run.repo.owner}/${run.repo.repo}`;
  const sha = run.headSha.slice(0, 7);
  const commitUrl = `https://github.com/${repo}/commit/${run.headSha}`;
  const firstLine = (run.commitMessage ?? '').split('\n')[0] ?? '';
  const title = `❌ CI ${run.conclusion === 'timed_out' ? 'timed out' : 'failed'}: ${repo} · ${run.name}`;
  const where = [
    `*Branch* \`${escapeMrkdwn(clip(run.headBranch || '?', 80))}\``,
    `*Commit* <${commitUrl}|${sha}>${firstLine ? ` ${escapeMrkdwn(clip(firstLine, 100))}` : ''}`,
    `*Run* <${run.url}|#${run.id}${run.attempt > 1 ? ` attempt ${run.attempt}` : ''}>${run.event ? ` (${escapeMrkdwn(run.event)})` : ''}${run.actor ? ` by ${escapeMrkdwn(run.actor)}` : ''}`,
  ].join(' · ');

  const blocks: Block[] = [header(title), section(where)];
  for (const job of analysis.jobs) blocks.push(...jobBlocks(job));
  if (analysis.moreJobs.length > 0) blocks.push(context(`Also failed, not analysed: ${analysis.moreJobs.map((n) => escapeMrkdwn(clip(n, 60))).join(', ')}`));
  if (analysis.jobs.length === 0 && analysis.unavailable.length === 0) blocks.push(section('GitHub lists no failed job for this run.'));
  if (analysis.unavailable.length > 0) {
    blocks.push(section(`⚠️ *Could not fetch*\n${analysis.unavailable.map((u) => `• ${escapeMrkdwn(clip(u, 300))}`).join('\n')}`));
  }
  const autoRerun = autoRerunText(input);
  if (autoRerun) blocks.push(section(autoRerun));
  if (input.rerun && !input.rerun.automatic) blocks.push(section(`🔁 <@${input.rerun.requestedBy}> re-ran the failed jobs ${slackTime(input.rerun.at)}.`));
  if (input.issueUrl) blocks.push(section(`📝 Issue opened: ${input.issueUrl}`));

  const buttons = [
    ...(input.rerun ? [] : [button('ci-rerun', 'Re-run failed jobs', `ci rerun ${repo} ${run.id} attempt=${run.attempt}`, 'primary')]),
    ...(input.issueUrl ? [] : [button('ci-issue', 'Open issue', `ci issue ${repo} ${run.id}`)]),
  ];
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: 'ci', elements: buttons });
  blocks.push(context(providerText(analysis) + (input.dryRun ? ' · *DRY RUN*: re-runs and issues are shown, not sent.' : '')));

  const first = analysis.jobs.find((j) => j.errorLines.length > 0);
  const category = analysis.jobs.find((j) => j.category)?.category;
  const text = `${title} on ${run.headBranch || '?'} (${sha})${category ? `: ${category}` : ''}${first ? ` — ${clip(displayLine(first.errorLines[0]!.text), 150)}` : ''}`;
  return { text, blocks };
}

function jobBlocks(job: CiJobAnalysis): Block[] {
  const steps = job.job.failedSteps.length > 0 ? ` (step ${job.job.failedSteps.map((s) => `_${escapeMrkdwn(clip(s, 60))}_`).join(', ')})` : '';
  const verdict = job.category
    ? ` · ${CATEGORY_MARK[job.category] ?? ''} *${job.category}*, confidence ${Math.round((job.confidence ?? 0) * 100)}%${job.suggestedAction ? ` · suggests ${job.suggestedAction}` : ''}`
    : '';
  const head = `*Job <${job.job.url}|${escapeMrkdwn(clip(job.job.name, 80))}>*${steps}${verdict}`;
  const summary = job.summary ? `\n${escapeMrkdwn(clip(job.summary, 400))}` : '';
  const code = errorLinesBlock(job.errorLines);
  return [section(`${head}${summary}${code ? `\n${code}` : ''}`)];
}

/** The error lines as a code block, capped; Slack reads `<…>` even in code, so it is escaped. */
export function errorLinesBlock(lines: ReadonlyArray<{ line: number; text: string }>): string {
  if (lines.length === 0) return '';
  const shown: string[] = [];
  let size = 0;
  for (const l of lines.slice(0, LINES_PER_JOB)) {
    const text = `${l.line}: ${clip(displayLine(l.text), LINE_CHARS)}`;
    if (size + text.length > CODE_CHARS) break;
    shown.push(text);
    size += text.length + 1;
  }
  const more = lines.length - shown.length;
  const body = escapeMrkdwn(shown.join('\n')).replace(/```/g, "'''");
  return `\`\`\`${body}${more > 0 ? `\n… ${more} more line${more === 1 ? '' : 's'}` : ''}\`\`\``;
}

/** Without the `job<TAB>step<TAB>` prefix of downloaded logs and the runner's timestamp. */
function displayLine(text: string): string {
  return text.replace(/^(?:[^\t\n]*\t){0,2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?/, '').trimEnd();
}

function autoRerunText(input: CiFailureViewInput): string | undefined {
  const auto = input.analysis.autoRerun;
  if (!auto) return undefined;
  switch (auto.outcome) {
    case 'requested':
      return `🔁 *Re-run automatically* (once): ${escapeMrkdwn(auto.reason)}. \`autorun off\` stops automatic re-runs.`;
    case 'dry_run':
      return `🔁 *DRY RUN*: would have re-run the failed jobs automatically: ${escapeMrkdwn(auto.reason)}.`;
    case 'failed':
      return `⚠️ The automatic re-run failed: ${escapeMrkdwn(auto.reason)}.`;
    case 'skipped':
      return `ℹ️ Not re-run automatically: ${escapeMrkdwn(auto.reason)}.`;
  }
}

function providerText(analysis: CiRunAnalysis): string {
  const who =
    analysis.provider === null ? 'No analysis' : analysis.provider === 'offline' ? 'Analysed by the offline heuristics' : `Analysed by ${analysis.model ?? 'the model'}`;
  const notes = analysis.notes.filter((n) => !/^Answered by/.test(n)).slice(0, NOTES_SHOWN);
  return [who, ...notes.map((n) => escapeMrkdwn(clip(n, 200)))].join(' · ');
}
