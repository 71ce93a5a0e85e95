/**
 * Offline PR reviewer: static checks over a PR's files (the shape of GitHub's "list pull request
 * files" API), answering with the same schema as the LLM reviewer. It looks at the added lines
 * and the file list only; it never reads the logic, and its summary says so.
 *
 * `thin` is true unless every changed file came with a patch and no code lines were added (docs,
 * config, lockfile or deletion-only PRs): only then did the checks see everything worth seeing.
 * A small code change that passes every check is still thin, because "nothing found" by a
 * pattern scan is not "looks right".
 */
import { createRedactor, createSecretFinder, MIN_LITERAL_SECRET_LENGTH, type SecretKind, type SecretMatch } from '../../redact.ts';
import type { PrReviewOutput } from '../output-schemas.ts';
import { addedLines, type AddedLine } from './diff-lines.ts';

export interface PrFile {
  filename: string;
  /** added | removed | modified | renamed | copied | changed | unchanged */
  status: string;
  additions: number;
  deletions: number;
  /** Absent for binary files and diffs too large for the API. */
  patch?: string;
}

export interface PrInput {
  title: string;
  body: string | null;
  author: string;
  files: PrFile[];
}

export interface StaticPrReviewOptions {
  /** Changed lines (additions + deletions, lockfiles and generated files excluded) before the PR counts as large. */
  maxChangedLines?: number;
  /** Configured secret values to look for besides the known token shapes. */
  knownSecrets?: string[];
}

export interface StaticPrReview {
  output: PrReviewOutput;
  thin: boolean;
  /** Why the answer is thin, one line each, for the reply's footer. */
  notes: string[];
}

type Finding = PrReviewOutput['findings'][number];
type Severity = Finding['severity'];

export const DEFAULT_MAX_CHANGED_LINES = 400;
/** Past this many findings of one kind in one file, the rest are folded into one line. */
const MAX_PER_FILE_AND_KIND = 5;
const SEVERITY_ORDER: readonly Severity[] = ['blocker', 'major', 'minor', 'nit'];

const TEST_PATHS = [
  /(?:^|\/)(?:tests?|__tests__|__mocks__|spec|specs|e2e|testdata)\//,
  /\.(?:test|spec)\.[^/]+$/,
  /_test\.go$/,
  /(?:^|\/)test_[^/]*\.py$/,
  /_test\.py$/,
  /_spec\.rb$/,
  /(?:Tests?|IT)\.(?:java|kt|scala|cs)$/,
];

const CODE_EXTENSIONS = new Set([
  'ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs', 'go', 'py', 'rb', 'java', 'kt', 'kts', 'scala',
  'rs', 'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'cs', 'php', 'swift', 'm', 'mm', 'ex', 'exs', 'vue', 'svelte',
]);

// Changes here are produced by a tool, not written: they neither need tests nor count toward size.
const GENERATED_PATHS = [/(?:^|\/)(?:vendor|node_modules|third_party|dist)\//, /\.min\.js$/, /\.d\.ts$/, /\.pb\.go$/, /[._]generated\.[^/]+$/];

/** Lockfile name → the manifests that would explain a change to it. */
const LOCKFILES: ReadonlyMap<string, readonly string[]> = new Map([
  ['package-lock.json', ['package.json']],
  ['npm-shrinkwrap.json', ['package.json']],
  ['yarn.lock', ['package.json']],
  ['pnpm-lock.yaml', ['package.json', 'pnpm-workspace.yaml']],
  ['bun.lock', ['package.json']],
  ['bun.lockb', ['package.json']],
  ['go.sum', ['go.mod']],
  ['Cargo.lock', ['Cargo.toml']],
  ['poetry.lock', ['pyproject.toml']],
  ['uv.lock', ['pyproject.toml']],
  ['Pipfile.lock', ['Pipfile']],
  ['Gemfile.lock', ['Gemfile', 'gems.rb']],
  ['composer.lock', ['composer.json']],
  ['mix.lock', ['mix.exs']],
  ['Podfile.lock', ['Podfile']],
]);

// Files whose very name says "credential"; templates (.env.example) are meant to be committed.
const CREDENTIAL_FILE = /(?:^|\/)(?:\.env(?:\.[\w-]+)?|id_(?:rsa|dsa|ecdsa|ed25519)|[^/]+\.(?:pem|key|p12|pfx|jks|keystore))$/;
const CREDENTIAL_TEMPLATE = /\.(?:example|sample|template|dist|tmpl|pub)$/;

interface DebugPattern {
  pattern: RegExp;
  /** What the finding calls it; `$1` stands for the pattern's first group (console.$1 → console.debug). */
  label: string;
}

type DebugPatterns = readonly DebugPattern[];

const JS_DEBUG: DebugPatterns = [
  { pattern: /\bconsole\.(log|debug|trace|dir)\s*\(/, label: 'console.$1' },
  { pattern: /(?:^|[;{}])\s*debugger\s*(?:;|$)/, label: 'debugger statement' },
];
const JVM_DEBUG: DebugPatterns = [{ pattern: /\bSystem\.(?:out|err)\.print(?:ln|f)?\s*\(|\.printStackTrace\s*\(\s*\)/, label: 'System.out.println' }];
const PY_DEBUG: DebugPatterns = [
  { pattern: /^\s*(?:breakpoint\s*\(\s*\)|import\s+i?pdb\b|i?pdb\.set_trace\s*\()/, label: 'debugger breakpoint' },
  { pattern: /^\s*print\s*\(/, label: 'print()' },
];
const DEBUG_BY_EXTENSION: ReadonlyMap<string, DebugPatterns> = new Map<string, DebugPatterns>([
  ...['ts', 'tsx', 'mts', 'cts', 'js', 'jsx', 'mjs', 'cjs', 'vue', 'svelte'].map((ext): [string, DebugPatterns] => [ext, JS_DEBUG]),
  ...['java', 'kt', 'scala'].map((ext): [string, DebugPatterns] => [ext, JVM_DEBUG]),
  ['py', PY_DEBUG],
  ['go', [{ pattern: /^\s*(?:println|print)\s*\(|\bspew\.Dump\s*\(/, label: 'builtin println' }]],
  ['rb', [{ pattern: /\bbinding\.(?:pry|irb)\b|^\s*(?:byebug|debugger)\b/, label: 'debugger breakpoint' }]],
  ['rs', [{ pattern: /\bdbg!\s*\(/, label: 'dbg!()' }]],
  ['php', [{ pattern: /\b(?:var_dump|print_r|dd)\s*\(/, label: 'var_dump()' }]],
]);

const COMMENT_LINE = /^\s*(?:\/\/|#|\/\*|\*|--|<!--)/;
// Uppercase only: `todoList` is a name, not a note. Hyphens excluded so "555-XXX-XXXX" is not one.
const TODO = /(?<![-\w])(TODO|FIXME|XXX)(?![-\w])/;

const SECRET_KINDS_FROM_ASSIGNMENT: ReadonlySet<SecretKind> = new Set(['quoted secret assignment', 'secret assignment']);

export function staticPrReview(input: PrInput, options: StaticPrReviewOptions = {}): StaticPrReview {
  const maxChanged = options.maxChangedLines ?? DEFAULT_MAX_CHANGED_LINES;
  const findSecrets = createSecretFinder(options.knownSecrets ?? []);
  const redact = createRedactor(options.knownSecrets ?? []).redactString;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const unscanned: string[] = [];
  let codeLinesAdded = 0;

  for (const file of input.files) {
    if (file.patch === undefined) {
      if (needsPatch(file)) {
        unscanned.push(file.filename);
        notes.push(`${file.filename}: GitHub sent no patch (binary or too large), so it was not scanned.`);
      }
    } else {
      const added = addedLines(file.patch);
      if (isCode(file.filename)) codeLinesAdded += added.length;
      findings.push(...scanAddedLines(file.filename, added, findSecrets, redact));
    }
    if ((file.status === 'added' || file.status === 'renamed') && CREDENTIAL_FILE.test(file.filename) && !CREDENTIAL_TEMPLATE.test(file.filename)) {
      findings.push({
        file: file.filename,
        line: 0,
        severity: 'major',
        message: 'A file named like a credential was added; make sure it holds no private key or secret, or keep it out of the repository.',
      });
    }
  }

  const missingTests = missingTestsFinding(input.files);
  if (missingTests) findings.push(missingTests);
  const size = sizeFinding(input.files, maxChanged);
  if (size) findings.push(size);
  findings.push(...lockfileFindings(input.files));

  const fileOrder = new Map(input.files.map((f, i) => [f.filename, i]));
  findings.sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity) ||
      (fileOrder.get(a.file) ?? 0) - (fileOrder.get(b.file) ?? 0) ||
      a.line - b.line,
  );

  if (input.files.length === 0) notes.push('The PR lists no changed files, so there was nothing to check.');
  if (codeLinesAdded > 0) notes.push(`${codeLinesAdded} added line(s) of code were pattern-checked, not reviewed: the offline reviewer does not read logic.`);
  const thin = input.files.length === 0 || unscanned.length > 0 || codeLinesAdded > 0;

  return { output: { summary: summarize(input.files, findings, unscanned.length), findings }, thin, notes };
}

function scanAddedLines(file: string, added: AddedLine[], findSecrets: (s: string) => SecretMatch[], redact: (s: string) => string): Finding[] {
  const out: Finding[] = [];
  const code = isCode(file);
  const generated = isGenerated(file) || isLockfile(file);
  const debugPatterns = !isTest(file) && !generated ? (DEBUG_BY_EXTENSION.get(extension(file)) ?? []) : [];
  const overflow = new Map<string, { count: number; line: number }>();

  const add = (key: string, finding: Finding) => {
    const seen = overflow.get(key) ?? { count: 0, line: finding.line };
    seen.count += 1;
    overflow.set(key, seen);
    if (seen.count <= MAX_PER_FILE_AND_KIND) out.push(finding);
    else if (seen.count === MAX_PER_FILE_AND_KIND + 1) seen.line = finding.line;
  };

  for (const { line, text } of added) {
    // Every credential is reported, never folded: each one has to be removed and rotated.
    const kinds = new Set(findSecrets(text).filter((m) => isReportable(m, text, code)).map((m) => m.kind));
    for (const kind of kinds) {
      out.push({ file, line, severity: 'blocker', message: `Possible ${kind} added (value not shown). Remove it from the change and rotate it; if it is a fake, make that obvious.` });
    }
    if (generated) continue;

    const todo = TODO.exec(text);
    if (todo?.[1] !== undefined) {
      const after = text.slice(todo.index + todo[1].length);
      // "TODO(alice): x", "FIXME - x", "XXX x */" all read as "x".
      const rest = redact(after.replace(/^(?:\([^)]*\))?\s*[:-]?\s*/, '').replace(/\s*(?:\*\/|-->)\s*$/, '').trim());
      const shown = rest.length > 80 ? `${rest.slice(0, 79)}…` : rest;
      add('todo', { file, line, severity: 'nit', message: shown ? `${todo[1]} added: ${shown}` : `${todo[1]} added.` });
    }

    if (debugPatterns.length > 0 && !COMMENT_LINE.test(text)) {
      for (const { pattern, label } of debugPatterns) {
        const m = pattern.exec(text);
        if (!m) continue;
        const name = label.replace('$1', m[1] ?? '');
        add(`debug:${name}`, { file, line, severity: 'minor', message: `${name} left in source; remove it or use the logger.` });
        break;
      }
    }
  }

  for (const [key, { count, line }] of overflow) {
    if (count <= MAX_PER_FILE_AND_KIND) continue;
    const more = count - MAX_PER_FILE_AND_KIND;
    const what = key === 'todo' ? 'TODO/FIXME/XXX' : key.slice('debug:'.length);
    out.push({ file, line, severity: key === 'todo' ? 'nit' : 'minor', message: `${more} more ${what} added in this file, from this line on.` });
  }
  return out;
}

/**
 * The redactor's nets are wide on purpose (logs may over-redact); a blocker must not fire on
 * `const token = getToken()`. Unquoted assignments count only outside code, and assigned values
 * that are placeholders, references or prose do not count anywhere.
 */
function isReportable(match: SecretMatch, line: string, code: boolean): boolean {
  if (!SECRET_KINDS_FROM_ASSIGNMENT.has(match.kind)) return true;
  if (match.kind === 'secret assignment' && code) return false;
  const assigned = line.slice(match.start, match.end);
  const value = assigned
    .slice(assigned.search(/[:=]/) + 1)
    .trim()
    .replace(/^\\?["']|\\?["']$/g, '');
  return (
    value.length >= MIN_LITERAL_SECRET_LENGTH &&
    !/\s/.test(value) &&
    !/^[$%!<({[]|\{\{|\$\{|process\.env|os\.environ|getenv/i.test(value) &&
    !/^(.)\1*$/.test(value)
  );
}

function missingTestsFinding(files: PrFile[]): Finding | undefined {
  const source = files.filter((f) => isSource(f.filename) && f.status !== 'removed' && f.additions + f.deletions > 0);
  const first = source[0];
  if (!first || files.some((f) => isTest(f.filename))) return undefined;
  const names = source.map((f) => f.filename);
  const listed = names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
  return {
    file: first.filename,
    line: 0,
    severity: 'major',
    message: `Source changed (${listed}) but no test file was touched; add or update a test, or say in the PR why none is needed.`,
  };
}

function sizeFinding(files: PrFile[], maxChanged: number): Finding | undefined {
  const counted = files.filter((f) => !isLockfile(f.filename) && !isGenerated(f.filename));
  const changed = counted.reduce((sum, f) => sum + f.additions + f.deletions, 0);
  if (changed <= maxChanged) return undefined;
  const largest = counted.reduce((a, b) => (b.additions + b.deletions > a.additions + a.deletions ? b : a));
  const excluded = files.length - counted.length;
  return {
    file: largest.filename,
    line: 0,
    severity: changed > maxChanged * 2.5 ? 'major' : 'minor',
    message:
      `${changed} lines changed, over the ${maxChanged}-line limit${excluded > 0 ? ` (lockfiles and generated files not counted)` : ''}; ` +
      `consider splitting the PR. Largest: ${largest.filename} (${largest.additions + largest.deletions}).`,
  };
}

function lockfileFindings(files: PrFile[]): Finding[] {
  const out: Finding[] = [];
  for (const file of files) {
    const manifests = LOCKFILES.get(basename(file.filename));
    if (!manifests || file.status === 'removed') continue;
    const dir = dirname(file.filename);
    // A workspace lockfile sits above the manifests it locks, so any manifest at or below counts.
    const explained = files.some((f) => manifests.includes(basename(f.filename)) && (dir === '' || f.filename.startsWith(`${dir}/`)));
    if (explained) continue;
    out.push({
      file: file.filename,
      line: 0,
      severity: 'minor',
      message: `Lockfile changed without ${manifests.join(' or ')}; check that the dependency changes are intended (a stray reinstall or registry switch shows up like this).`,
    });
  }
  return out;
}

function summarize(files: PrFile[], findings: Finding[], unscanned: number): string {
  const additions = files.reduce((n, f) => n + f.additions, 0);
  const deletions = files.reduce((n, f) => n + f.deletions, 0);
  const counts = SEVERITY_ORDER.map((s) => [s, findings.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  return [
    `Static checks on ${files.length} file(s), +${additions}/-${deletions}: secrets, TODO/FIXME/XXX and debug leftovers in added lines, tests touched, size, lockfiles.`,
    counts.length > 0 ? `Found ${counts.join(', ')}.` : 'Nothing found.',
    unscanned > 0 ? `${unscanned} file(s) had no patch and were not scanned.` : '',
    'This is a static check by the offline reviewer, not a code review: the logic was not read.',
  ]
    .filter(Boolean)
    .join(' ');
}

/** A file whose missing patch hides something: not a removal and not a pure rename. */
function needsPatch(file: PrFile): boolean {
  if (file.status === 'removed' || file.status === 'unchanged') return false;
  return !(file.status === 'renamed' && file.additions + file.deletions === 0);
}

export function isTest(path: string): boolean {
  return TEST_PATHS.some((re) => re.test(path));
}

function isCode(path: string): boolean {
  return CODE_EXTENSIONS.has(extension(path));
}

function isSource(path: string): boolean {
  return isCode(path) && !isTest(path) && !isGenerated(path);
}

function isGenerated(path: string): boolean {
  return GENERATED_PATHS.some((re) => re.test(path));
}

function isLockfile(path: string): boolean {
  return LOCKFILES.has(basename(path));
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

function extension(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1).toLowerCase();
}
