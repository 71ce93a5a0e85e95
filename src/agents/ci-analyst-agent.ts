import type { AgentDefinition, OfflineAnswer } from './agent.ts';
import { categorizeCiFailure } from './offline/ci-failure-category.ts';
import { extractErrorLines } from './offline/ci-log-extract.ts';
import { ciAnalysisOutputSchema, type CiAnalysisOutput } from './output-schemas.ts';

export interface CiAnalysisInput {
  /** `owner/repo`, workflow and job, for people. */
  job: string;
  log: string;
  /** A passing log of the same job, when there is one: shared lines are less likely the cause. */
  passLog?: string;
}

/** Lines of log the model sees: the offline extract's neighbourhood, not the whole log. */
const MAX_LOG_CHARS = 60_000;

const SYSTEM = `You are the CI-failure analyst of opsbot, a ChatOps bot run by an SRE team. From a failed CI job's log you find the lines that explain the failure and classify it.
Answer with: summary (one or two sentences: what failed and why); errorLines (the 1-based line numbers and text of the lines that matter, at most 40); category (dependency, environment, test, resource, infrastructure or flaky); risk of re-running or merging as is (low, medium, high); confidence (0 to 1); suggestedAction (rerun, fix-code, fix-test, fix-dependency, fix-environment or investigate). Re-running is right only for infrastructure hiccups and flaky tests.`;

export function ciAnalystAgent(): AgentDefinition<CiAnalysisInput, CiAnalysisOutput> {
  return {
    name: 'ci-analyst',
    system: SYSTEM,
    output: ciAnalysisOutputSchema,
    maxTokens: 2048,
    usesTools: false,
    prompt(input, fence) {
      const candidates = extractErrorLines(input.log, input.passLog === undefined ? {} : { passLog: input.passLog });
      const log = input.log.length > MAX_LOG_CHARS ? `${input.log.slice(0, 10_000)}\n[… middle of the log cut …]\n${input.log.slice(-(MAX_LOG_CHARS - 10_000))}` : input.log;
      return [
        `Job: ${input.job}`,
        'Lines a heuristic flagged (line: text):',
        fence('flagged ci log lines', candidates.lines.map((l) => `${l.number}: ${l.text}`).join('\n') || 'none'),
        'The log:',
        fence('ci log', log),
      ].join('\n\n');
    },
    offline: offlineCiAnalysis,
    // Line numbers must point into the log; anything else would send people to the wrong place.
    guard(output, input) {
      const total = input.log.split(/\r\n|\r|\n/).length;
      const kept = output.errorLines.filter((l) => l.line <= total).slice(0, 40);
      const dropped = output.errorLines.length - kept.length;
      return { output: { ...output, errorLines: kept }, violations: dropped > 0 ? [`${dropped} error line(s) outside the log or over 40 dropped`] : [] };
    },
  };
}

export function offlineCiAnalysis(input: CiAnalysisInput): OfflineAnswer<CiAnalysisOutput> {
  const extract = extractErrorLines(input.log, input.passLog === undefined ? {} : { passLog: input.passLog });
  const guess = categorizeCiFailure(extract.lines);
  const transient = guess.category === 'infrastructure' || guess.category === 'flaky';
  const suggestedAction: CiAnalysisOutput['suggestedAction'] = transient
    ? 'rerun'
    : guess.category === 'dependency'
      ? 'fix-dependency'
      : guess.category === 'environment' || guess.category === 'resource'
        ? 'fix-environment'
        : guess.category === 'test'
          ? 'fix-test'
          : 'investigate';
  const first = extract.lines.find((l) => guess.evidence.includes(l.number)) ?? extract.lines[0];
  const notes: string[] = [];
  if (extract.lines.length === 0) notes.push('No line in the log looks like an error; the offline analyst has nothing to show.');
  else if (guess.evidence.length === 0) notes.push('No line matched a known failure pattern; the category is a guess.');
  return {
    output: {
      summary: first ? `${input.job} failed (${guess.category}): ${first.text.trim().slice(0, 200)}` : `${input.job} failed; no error line found.`,
      errorLines: extract.lines.map((l) => ({ line: l.number, text: l.text })),
      category: guess.category,
      risk: transient ? 'low' : 'medium',
      confidence: guess.confidence,
      suggestedAction,
    },
    thin: guess.evidence.length === 0,
    notes,
  };
}
