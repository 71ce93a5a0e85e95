import { describe, expect, it } from 'vitest';
import { isTest, staticPrReview, type PrFile, type PrInput } from '../../../src/agents/offline/pr-static-checks.ts';
import { prReviewOutputSchema } from '../../../src/agents/output-schemas.ts';
import { ORDINARY_TEXT, SECRET_SAMPLES } from '../../secret-samples.ts';

/** A one-hunk patch in the API's form; lines start with '+', '-' or ' ' as in a diff. */
function hunk(newStart: number, lines: string[]): string {
  const oldCount = lines.filter((l) => !l.startsWith('+')).length;
  const newCount = lines.filter((l) => !l.startsWith('-')).length;
  return [`@@ -${newStart},${oldCount} +${newStart},${newCount} @@`, ...lines].join('\n');
}

function file(filename: string, lines: string[], extra: Partial<PrFile> = {}): PrFile {
  return {
    filename,
    status: 'modified',
    additions: lines.filter((l) => l.startsWith('+')).length,
    deletions: lines.filter((l) => l.startsWith('-')).length,
    patch: hunk(10, lines),
    ...extra,
  };
}

function pr(...files: PrFile[]): PrInput {
  return { title: 'Tune retries', body: null, author: 'alice', files };
}

const ghToken = `ghp_${'R4nd0mT0k3nB0dyAbCdEfGhIjKlMnOpQrSt'}`;
const testFile = file('test/client.test.ts', ['+it("retries", () => {});']);

describe('staticPrReview: secrets', () => {
  it('reports a GitHub token added on line 11 as a blocker that names its kind, never the token', () => {
    const review = staticPrReview(pr(file('src/client.ts', [' const a = 1;', `+const token = "${ghToken}";`]), testFile));

    expect(review.output.findings).toContainEqual({
      file: 'src/client.ts',
      line: 11,
      severity: 'blocker',
      message: expect.stringContaining('Possible GitHub token added (value not shown)') as string,
    });
    expect(JSON.stringify(review)).not.toContain('R4nd0mT0k3nB0dy');
  });

  it.each(SECRET_SAMPLES)('blocks a $family added to a config file without repeating it', ({ value, secret }) => {
    const lines = value.split('\n').map((l) => `+${l}`);
    const review = staticPrReview(pr(file('deploy/values.yaml', lines)));

    expect(review.output.findings.filter((f) => f.severity === 'blocker')).not.toHaveLength(0);
    expect(JSON.stringify(review)).not.toContain(secret);
  });

  it('does not call secret-named variables, types and placeholders in code a secret', () => {
    const review = staticPrReview(
      pr(
        file('src/auth.ts', [
          '+const token = await getToken();',
          '+  password: string;',
          '+const headers = { Authorization: `Bearer ${token}` };',
          '+if (!apiKey) throw new Error("api_key: required");',
          '+const secret = config.signingSecret;',
          '+const password = "********";',
          '+const token2 = { token: "<paste token here>" };',
        ]),
        testFile,
      ),
    );

    expect(review.output.findings.filter((f) => f.severity === 'blocker')).toEqual([]);
  });

  it('leaves ordinary log-like text in docs alone', () => {
    const review = staticPrReview(pr(file('docs/ops.md', ORDINARY_TEXT.map((t) => `+${t}`))));

    expect(review.output.findings).toEqual([]);
  });

  it('blocks a hardcoded password literal in code', () => {
    const review = staticPrReview(pr(file('src/db.ts', ['+const password = "s3cretPass!";']), testFile));

    expect(review.output.findings).toContainEqual(expect.objectContaining({ file: 'src/db.ts', line: 10, severity: 'blocker', message: expect.stringContaining('quoted secret assignment') as string }));
  });

  it('blocks a configured secret value when told about it', () => {
    const review = staticPrReview(pr(file('notes.txt', ['+signing with 8f14e45fceea167a5a36dedd4bea2543'])), { knownSecrets: ['8f14e45fceea167a5a36dedd4bea2543'] });

    expect(review.output.findings).toEqual([expect.objectContaining({ severity: 'blocker', message: expect.stringContaining('configured secret') as string })]);
    expect(JSON.stringify(review)).not.toContain('8f14e45f');
  });

  it('flags a newly added file named like a credential, but not its .example template', () => {
    const review = staticPrReview(pr(file('.env.production', ['+LOG_LEVEL=info'], { status: 'added' }), file('.env.example', ['+LOG_LEVEL=info'], { status: 'added' })));

    expect(review.output.findings).toEqual([expect.objectContaining({ file: '.env.production', line: 0, severity: 'major' })]);
  });
});

describe('staticPrReview: leftovers', () => {
  it('reports an added TODO as a nit with its text', () => {
    const review = staticPrReview(pr(file('src/retry.ts', [' x();', '+// TODO(alice): handle 429 with backoff']), testFile));

    expect(review.output.findings).toContainEqual({ file: 'src/retry.ts', line: 11, severity: 'nit', message: 'TODO added: handle 429 with backoff' });
  });

  it('reports FIXME and XXX, but not todoList or a phone mask like 555-XXX-XXXX', () => {
    const review = staticPrReview(
      pr(file('src/a.py', ['+# FIXME flaky on CI', '+x = 1  # XXX', '+todoList = []', '+mask = "555-XXX-XXXX"']), file('tests/test_a.py', ['+def test_a(): pass'])),
    );

    expect(review.output.findings.map((f) => [f.line, f.severity, f.message])).toEqual([
      [10, 'nit', 'FIXME added: flaky on CI'],
      [11, 'nit', 'XXX added.'],
    ]);
  });

  it('never echoes a secret sitting in a TODO line', () => {
    const review = staticPrReview(pr(file('README.md', [`+TODO: rotate ${ghToken} before release`])));

    expect(review.output.findings.map((f) => f.severity).sort()).toEqual(['blocker', 'nit']);
    expect(JSON.stringify(review)).not.toContain('R4nd0mT0k3nB0dy');
  });

  it('reports console.log and debugger left in source as minor, at their lines', () => {
    const review = staticPrReview(pr(file('src/api.ts', ['+console.log("here", req.body);', ' ok();', '+  debugger;', '+// console.log(old)', '+logger.info("fine");', '+console.debug(state);']), testFile));

    expect(review.output.findings).toEqual([
      { file: 'src/api.ts', line: 10, severity: 'minor', message: 'console.log left in source; remove it or use the logger.' },
      { file: 'src/api.ts', line: 12, severity: 'minor', message: 'debugger statement left in source; remove it or use the logger.' },
      { file: 'src/api.ts', line: 15, severity: 'minor', message: 'console.debug left in source; remove it or use the logger.' },
    ]);
  });

  it('leaves console.log in test files alone', () => {
    const review = staticPrReview(pr(file('src/api.ts', ['+ok();']), file('test/api.test.ts', ['+console.log(result);'])));

    expect(review.output.findings).toEqual([]);
  });

  it('recognises print-debugging in Python, Go, Java and Rust', () => {
    const review = staticPrReview(
      pr(
        file('app/views.py', ['+    breakpoint()', '+    print(request)']),
        file('cmd/main.go', ['+\tprintln("got", x)']),
        file('src/main/java/App.java', ['+    System.out.println(x);']),
        file('src/lib.rs', ['+    dbg!(value);']),
        file('tests/test_views.py', ['+def test_x(): pass']),
      ),
    );

    expect(review.output.findings.map((f) => `${f.file}:${f.line} ${f.message.split(' left')[0]}`)).toEqual([
      'app/views.py:10 debugger breakpoint',
      'app/views.py:11 print()',
      'cmd/main.go:10 builtin println',
      'src/main/java/App.java:10 System.out.println',
      'src/lib.rs:10 dbg!()',
    ]);
  });

  it('folds the sixth and later leftovers of one kind in a file into one line', () => {
    const lines = Array.from({ length: 8 }, (_, i) => `+console.log(${i});`);
    const review = staticPrReview(pr(file('src/noisy.ts', lines), testFile));

    expect(review.output.findings).toHaveLength(6);
    expect(review.output.findings[5]).toEqual({ file: 'src/noisy.ts', line: 15, severity: 'minor', message: '3 more console.log added in this file, from this line on.' });
  });
});

describe('staticPrReview: tests touched', () => {
  it('reports source changed without a test as major on the first source file, line 0', () => {
    const review = staticPrReview(pr(file('README.md', ['+docs']), file('src/a.ts', ['+a();']), file('src/b.ts', ['+b();'])));

    expect(review.output.findings).toEqual([
      { file: 'src/a.ts', line: 0, severity: 'major', message: 'Source changed (src/a.ts, src/b.ts) but no test file was touched; add or update a test, or say in the PR why none is needed.' },
    ]);
  });

  it('is satisfied by any touched test file and silent for docs-only or deletion-only PRs', () => {
    expect(staticPrReview(pr(file('src/a.ts', ['+a();']), testFile)).output.findings).toEqual([]);
    expect(staticPrReview(pr(file('docs/a.md', ['+hello']))).output.findings).toEqual([]);
    expect(staticPrReview(pr(file('src/old.ts', ['-gone();'], { status: 'removed' }))).output.findings).toEqual([]);
  });

  it.each([
    'test/a.ts',
    'tests/unit/a.py',
    'src/__tests__/a.js',
    'pkg/server/server_test.go',
    'src/a.test.ts',
    'web/a.spec.jsx',
    'app/test_models.py',
    'spec/models/user_spec.rb',
    'src/test/java/AppTest.java',
  ])('recognises %s as a test file', (path) => {
    expect(isTest(path)).toBe(true);
  });

  it.each(['src/attestation.ts', 'src/contest.py', 'lib/latest/a.go'])('does not take %s for a test file', (path) => {
    expect(isTest(path)).toBe(false);
  });
});

describe('staticPrReview: size and lockfiles', () => {
  const sized = (changed: number, extra: PrFile[] = []) =>
    staticPrReview(pr({ filename: 'src/big.ts', status: 'modified', additions: changed, deletions: 0, patch: '@@ -1,0 +1,0 @@' }, testFile, ...extra));
  const sizeFinding = (review: ReturnType<typeof staticPrReview>) => review.output.findings.find((f) => f.message.includes('-line limit'));

  it('calls a PR over 400 changed lines minor and over 1,000 (2.5x) major', () => {
    expect(sizeFinding(sized(399))).toBeUndefined();
    expect(sizeFinding(sized(400))).toMatchObject({ severity: 'minor', file: 'src/big.ts', line: 0 });
    expect(sizeFinding(sized(1000))).toMatchObject({ severity: 'major' });
    expect(sizeFinding(sized(1000))?.message).toBe('1001 lines changed, over the 400-line limit; consider splitting the PR. Largest: src/big.ts (1000).');
  });

  it('does not count lockfile lines toward the size, and honours maxChangedLines', () => {
    const lock: PrFile = { filename: 'package-lock.json', status: 'modified', additions: 5000, deletions: 3000, patch: '@@ -1,0 +1,0 @@' };
    const manifest = file('package.json', ['-"a": "1"', '+"a": "2"']);
    expect(sizeFinding(sized(100, [lock, manifest]))).toBeUndefined();

    const review = staticPrReview(pr(file('src/a.ts', ['+a();', '+b();']), testFile), { maxChangedLines: 2 });
    expect(sizeFinding(review)).toMatchObject({ severity: 'minor', message: expect.stringContaining('3 lines changed, over the 2-line limit') as string });
  });

  it('reports a lockfile changed without its manifest as minor', () => {
    const review = staticPrReview(pr(file('go.sum', ['+golang.org/x/net v0.1.0 h1:abc=']), file('yarn.lock', ['+x'])));

    expect(review.output.findings).toEqual([
      { file: 'go.sum', line: 0, severity: 'minor', message: expect.stringContaining('Lockfile changed without go.mod') as string },
      { file: 'yarn.lock', line: 0, severity: 'minor', message: expect.stringContaining('Lockfile changed without package.json') as string },
    ]);
  });

  it('accepts a workspace lockfile explained by a manifest below it', () => {
    const review = staticPrReview(pr(file('pnpm-lock.yaml', ['+x']), file('packages/api/package.json', ['+"y": "1"'])));

    expect(review.output.findings).toEqual([]);
  });
});

describe('staticPrReview: what the answer claims', () => {
  it('notes each file GitHub sent without a patch and marks the answer thin', () => {
    const review = staticPrReview(
      pr(
        { filename: 'assets/logo.png', status: 'added', additions: 0, deletions: 0 },
        { filename: 'docs/old-name.md', status: 'renamed', additions: 0, deletions: 0 },
        file('docs/a.md', ['+hello']),
      ),
    );

    expect(review.thin).toBe(true);
    expect(review.notes).toEqual(['assets/logo.png: GitHub sent no patch (binary or too large), so it was not scanned.']);
    expect(review.output.summary).toContain('1 file(s) had no patch and were not scanned.');
  });

  it('says it is a static check, not a code review, and counts what it found', () => {
    const review = staticPrReview(pr(file('src/a.ts', ['+console.log(1);', '+// TODO later'])));

    expect(review.output.summary).toBe(
      'Static checks on 1 file(s), +2/-0: secrets, TODO/FIXME/XXX and debug leftovers in added lines, tests touched, size, lockfiles. ' +
        'Found 1 major, 1 minor, 1 nit. This is a static check by the offline reviewer, not a code review: the logic was not read.',
    );
    expect(review.output.findings.map((f) => f.severity)).toEqual(['major', 'minor', 'nit']);
  });

  it('is thin whenever code was added, even when nothing was found', () => {
    const review = staticPrReview(pr(file('src/a.ts', ['+a();']), testFile));

    expect(review.output.findings).toEqual([]);
    expect(review.output.summary).toContain('Nothing found.');
    expect(review.thin).toBe(true);
    expect(review.notes).toEqual(['2 added line(s) of code were pattern-checked, not reviewed: the offline reviewer does not read logic.']);
  });

  it('is not thin for a fully scanned docs and config change', () => {
    const review = staticPrReview(pr(file('docs/a.md', ['+hello']), file('deploy/values.yaml', ['-replicas: 2', '+replicas: 3'])));

    expect(review).toMatchObject({ thin: false, notes: [] });
  });

  it('is thin and says so when the PR lists no files', () => {
    expect(staticPrReview(pr())).toMatchObject({ thin: true, notes: ['The PR lists no changed files, so there was nothing to check.'] });
  });

  it('answers in the PR reviewer output schema', () => {
    const review = staticPrReview(pr(file('src/a.ts', [`+const t = "${ghToken}"; // TODO`, '+console.log(t);']), file('yarn.lock', ['+x'])));

    expect(prReviewOutputSchema.parse(review.output)).toEqual(review.output);
  });
});
