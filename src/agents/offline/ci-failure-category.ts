/**
 * Offline CI-failure analyst, part two: a category for the failure from keyword rules over the
 * extracted lines. The first rule group with the most hits wins; ties go to the earlier group,
 * which is ordered from the most specific cause (a full disk) to the least (a failing test).
 */
import type { ExtractedLine } from './ci-log-extract.ts';

export const CI_FAILURE_CATEGORIES = ['dependency', 'environment', 'test', 'resource', 'infrastructure', 'flaky'] as const;
export type CiFailureCategory = (typeof CI_FAILURE_CATEGORIES)[number];

export interface CategoryGuess {
  category: CiFailureCategory;
  /** 0–1: how clearly the keywords pointed one way; thin evidence says so. */
  confidence: number;
  /** The lines that decided it (line numbers), so the reply can show its reasons. */
  evidence: number[];
}

const RULES: ReadonlyArray<{ category: CiFailureCategory; pattern: RegExp }> = [
  { category: 'resource', pattern: /No space left on device|OutOfMemoryError|out of memory|Killed|Too many open files|disk quota|heap space|GC overhead/i },
  {
    category: 'infrastructure',
    pattern: /\b50[234]\b|Could not resolve host|Connection (?:refused|reset|timed out)|unable to access '|remote end hung up|TLS handshake|rate limit|runner .*(?:lost|shutdown)|agent went offline|Publish .* failed|archive does not exist/i,
  },
  {
    category: 'dependency',
    pattern: /could not be resolved|Could not resolve dependencies|Failed to read artifact descriptor|Could not find artifact|artifact .* not found|ERESOLVE|No matching version|ModuleNotFoundError|No module named|Cannot find module|package .* does not exist|cannot find symbol|Undefined reference|incompatible types|NoSuchMethodError|NoClassDefFoundError/i,
  },
  {
    category: 'environment',
    pattern: /command not found|Permission denied|unsafe repository|safe\.directory|not defined|unsupported (?:class file )?(?:major )?version|JAVA_HOME|environment variable|Unable to create Root Module|config(?:uration)? (?:file )?.*not found|invalid (?:target|source) release/i,
  },
  { category: 'flaky', pattern: /\bflaky\b|timed out|TimeoutException|intermittent|retrying|deadlock/i },
  { category: 'test', pattern: /Tests run: .*(?:Failures: [1-9]|Errors: [1-9])|AssertionError|AssertionFailedError|ComparisonFailure|expected:? ?<|\bFAIL\b|Test.* FAILED|There are test failures|Tests in error|Failed tests/i },
];

export function categorizeCiFailure(lines: readonly ExtractedLine[]): CategoryGuess {
  let best: CategoryGuess | undefined;
  let totalHits = 0;
  for (const rule of RULES) {
    const evidence = lines.filter((l) => rule.pattern.test(l.text)).map((l) => l.number);
    totalHits += evidence.length;
    if (evidence.length > 0 && (!best || evidence.length > best.evidence.length)) best = { category: rule.category, confidence: 0, evidence };
  }
  // Nothing matched: a failed build with no recognisable cause is most often a test or script failing.
  if (!best) return { category: 'test', confidence: 0.2, evidence: [] };
  const share = best.evidence.length / totalHits;
  return { ...best, confidence: Math.round(Math.min(0.9, 0.3 + 0.6 * share) * 100) / 100 };
}
