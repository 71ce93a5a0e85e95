/**
 * `opsbot validate` as a person or CI runs it: `node src/main.ts validate` in a project folder
 * holding opsbot.yaml, workflows/ and playbooks/; assertions on stdout and the exit code.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/workflows/', import.meta.url));

let project: string;

beforeEach(() => {
  project = mkdtempSync(join(tmpdir(), 'opsbot-validate-'));
  writeFileSync(join(project, 'opsbot.yaml'), 'autorun:\n  enabled: true\n');
  for (const dir of ['workflows', 'playbooks']) {
    mkdirSync(join(project, dir));
    writeFileSync(join(project, dir, 'README.md'), `# ${dir}/\n`);
  }
});

afterEach(() => {
  rmSync(project, { recursive: true, force: true });
});

function validate(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // Only what the CLI needs: never the parent's Slack variables.
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

it('passes a project whose definition folders hold only their READMEs', async () => {
  expect(await validate()).toEqual({ code: 0, stdout: './opsbot.yaml: ok\n0 workflows, 0 playbooks: ok\n', stderr: '' });
});

it('counts the workflows and playbooks it checked', async () => {
  cpSync(join(FIXTURES, 'valid', 'deploy.yaml'), join(project, 'workflows', 'deploy.yaml'));
  cpSync(join(FIXTURES, 'mixed', 'restart.yml'), join(project, 'workflows', 'restart.yml'));
  cpSync(join(FIXTURES, '..', 'playbooks', 'pod-crash-looping.yaml'), join(project, 'playbooks', 'pod-crash-looping.yaml'));
  expect(await validate()).toEqual({ code: 0, stdout: './opsbot.yaml: ok\n2 workflows, 1 playbook: ok\n', stderr: '' });
});

it('prints each problem as file:line:col: message, a count, and exits 1', async () => {
  cpSync(join(FIXTURES, 'mixed'), join(project, 'workflows'), { recursive: true });
  writeFileSync(join(project, 'playbooks', 'disk-full.yaml'), 'name: disk-full\ndescription: Free space\nrole: responder\nsteps:\n  - { id: clean, action: shell, retries: -1 }\nrisk: low\nremediation: free-disk\nmatch: [{ labels: { alertname: KubePersistentVolumeFillingUp } }]\n');
  const result = await validate();
  expect(result.stdout.split('\n')).toEqual([
    './opsbot.yaml: ok',
    'workflows/broken.yaml:8:4: invalid YAML: All sequence items must start at the same column',
    'workflows/typo.yaml:8:5: steps[0].continue_on_eror: unknown key, expected one of: id, name, when, timeout, retries, continue_on_error, outputs, undo, action, with, for_each, for_each_concurrency, approval, wait, parallel',
    'playbooks/disk-full.yaml:5:42: steps[0].retries: expected a whole number from 0 to 10, got -1',
    '3 errors',
    '',
  ]);
  expect(result).toMatchObject({ code: 1, stderr: '' });
});
