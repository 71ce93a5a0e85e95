import { Writable } from 'node:stream';
import { ManualClock } from '../../src/clock.ts';
import { defaultPolicy, type Policy } from '../../src/config/policy-schema.ts';
import { createGitHubClient, type GitHubTiming } from '../../src/integrations/github/github-client.ts';
import { createGitHubOps, type GitHubLimits } from '../../src/integrations/github/github-ops.ts';
import type { GitHubOps } from '../../src/integrations/github/github-types.ts';
import { createLogger } from '../../src/logger.ts';
import { createRedactor } from '../../src/redact.ts';
import { createFakeGitHubApi, type FakeGitHubApi, type FakeGitHubApiOptions } from './fake-github-api.ts';
import { FAST_GITHUB_TIMING } from './github-timing.ts';

export { FAST_GITHUB_TIMING } from './github-timing.ts';

export interface GitHubRig {
  fake: FakeGitHubApi;
  ops: GitHubOps;
  clock: ManualClock;
  /** Every log line written, as JSON text. */
  logText(): string;
  stop(): Promise<void>;
}

export async function startGitHubRig(
  options: { policy?: Partial<Policy['github']>; timing?: Partial<GitHubTiming>; limits?: Partial<GitHubLimits>; fake?: FakeGitHubApiOptions } = {},
): Promise<GitHubRig> {
  const clock = new ManualClock(Date.now());
  const fake = createFakeGitHubApi({ now: () => clock.now(), ...options.fake });
  await fake.start();
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  // No redaction of the token: the test proves the client never logs it in the first place.
  const log = createLogger({ level: 'debug', pretty: false, redactor: createRedactor([]), destination });
  const client = createGitHubClient({ token: fake.token, baseUrl: fake.url, userAgent: 'opsbot-test', log, clock, timing: { ...FAST_GITHUB_TIMING, ...options.timing } });
  const ops = createGitHubOps({ client, policy: { ...defaultPolicy().github, ...options.policy }, clock, log, ...(options.limits ? { limits: options.limits } : {}) });
  return { fake, ops, clock, logText: () => lines.join(''), stop: () => fake.stop() };
}
