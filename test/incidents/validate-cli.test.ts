/**
 * `opsbot validate` checks the escalation file opsbot.yaml names: `node src/main.ts validate` in a
 * project folder; assertions on stdout and the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
let project: string;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'opsbot-validate-escalation-'));
  writeFileSync(join(project, 'opsbot.yaml'), 'incidents:\n  escalation_file: escalation.yaml\n');
});
afterEach(() => rmSync(project, { recursive: true, force: true }));

function validate(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, 'validate'], { cwd: project, env: { PATH: process.env.PATH ?? '', HOME: project }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

it('passes a valid escalation file and counts its rules', async () => {
  writeFileSync(join(project, 'escalation.yaml'), 'policies:\n  - page: [S0ONCALL]\n');
  expect(await validate()).toEqual({ code: 0, stdout: './opsbot.yaml: ok\nescalation.yaml: ok (1 rule)\n0 workflows, 0 playbooks: ok\n', stderr: '' });
});

it('fails on a mistake in it, naming the file, line and key', async () => {
  writeFileSync(join(project, 'escalation.yaml'), 'policies:\n  - page: [S0ONCALL]\n    ack_timeout: soon\n');
  expect(await validate()).toEqual({
    code: 1,
    stdout: './opsbot.yaml: ok\nescalation.yaml:3:18: policies[0].ack_timeout: expected a duration like 15m (30s, 5m, 4h, 7d or 1h30m), got "soon"\n0 workflows, 0 playbooks: ok\n',
    stderr: '',
  });
});
