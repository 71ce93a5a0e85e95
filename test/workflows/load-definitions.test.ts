import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { formatDefinitionError, loadDefinitions, parseDefinition } from '../../src/workflows/load-definitions.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/workflows/', import.meta.url));

let temp: string | undefined;
afterEach(() => {
  if (temp) rmSync(temp, { recursive: true, force: true });
  temp = undefined;
});

function folder(files: Record<string, string>): string {
  temp = mkdtempSync(join(tmpdir(), 'opsbot-definitions-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(temp, name), text);
  return temp;
}

describe('loadDefinitions', () => {
  it('reads a definition using every field into exactly the WorkflowDefinition the engine runs', () => {
    const dir = join(FIXTURES, 'valid');
    const { definitions, errors } = loadDefinitions({ dir, source: 'workflow' });
    expect(errors).toEqual([]);
    expect([...definitions.keys()]).toEqual(['deploy']);
    const expected: WorkflowDefinition = {
      name: 'deploy',
      description: 'Build, test and roll out a service',
      params: {
        service: { type: 'string', required: true, enum: ['api', 'web'] },
        version: { type: 'string', description: 'release tag', required: true, pattern: 'v\\d+\\.\\d+\\.\\d+' },
        env: { type: 'string', required: false, default: 'staging', enum: ['staging', 'production'] },
        replicas: { type: 'number', required: false, default: 3 },
        dry: { type: 'boolean', required: false, default: false },
      },
      run: { role: 'responder', byParam: 'env', values: { production: 'deployer' } },
      concurrency: { key: '${{ params.service }}-${{ params.env }}', mode: 'refuse' },
      triggers: {
        command: false,
        schedules: [{ cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', params: { service: 'api', version: 'v1.0.0', replicas: 2 } }],
        webhook: { tokenEnv: 'DEPLOY_WEBHOOK_TOKEN' },
      },
      steps: [
        {
          kind: 'action',
          id: 'build',
          name: 'Build the image',
          action: 'shell',
          with: { argv: ['make', 'build', 'VERSION=${{ params.version }}'], env: { DRY: '${{ string(params.dry) }}' } },
          timeoutMs: 600_000,
          retry: { max: 2, backoffMs: 10_000, maxBackoffMs: 60_000 },
          continueOnError: false,
          outputs: { image: '${{ result.stdout }}' },
          line: 32,
        },
        {
          kind: 'action',
          id: 'smoke',
          action: 'http',
          with: { url: 'http://127.0.0.1:8080/health/${{ item }}', expect_status: 200 },
          forEach: { items: "${{ ['eu', 'us'] }}", concurrency: 2 },
          retry: { max: 3, backoffMs: 5_000, maxBackoffMs: 300_000 },
          continueOnError: true,
          line: 41,
        },
        {
          kind: 'approval',
          id: 'approve',
          when: "${{ params.env == 'production' }}",
          approvers: { users: ['U012ABCDEF', 'U034GHIJKL'], groups: ['S0123ABCD'], roles: ['deployer'] },
          min: 2,
          expiresMs: 3_600_000,
          message: 'Roll out ${{ params.version }} of ${{ params.service }} to production?',
          continueOnError: false,
          line: 48,
        },
        { kind: 'wait', id: 'soak', durationMs: 600_000, continueOnError: false, line: 55 },
        {
          kind: 'parallel',
          id: 'rollout',
          branches: [
            [{ kind: 'action', id: 'eu', action: 'shell', with: { argv: ['deploy', 'eu', '${{ steps.build.outputs.image }}'] }, continueOnError: false, line: 59 }],
            [
              {
                kind: 'action',
                id: 'us-east',
                action: 'shell',
                with: { argv: ['deploy', 'us', '${{ steps.build.outputs.image }}'] },
                outputs: { revision: '${{ result.stdout }}' },
                continueOnError: false,
                line: 62,
              },
            ],
          ],
          undo: { action: 'shell', with: { argv: ['rollback', '${{ params.service }}', "${{ steps['us-east'].outputs.revision }}"] } },
          continueOnError: false,
          line: 57,
        },
      ],
      file: join(dir, 'deploy.yaml'),
      source: 'workflow',
    };
    // toStrictEqual: no key the type does not declare, and no optional key present as undefined.
    expect(definitions.get('deploy')).toStrictEqual(expected);
  });

  it('loads the good files of a folder and reports each bad one at its file:line:col', () => {
    const dir = join(FIXTURES, 'mixed');
    const { definitions, errors } = loadDefinitions({ dir, source: 'workflow' });
    expect([...definitions.keys()]).toEqual(['restart']);
    expect(definitions.get('restart')).toMatchObject({ file: join(dir, 'restart.yml'), source: 'workflow' });
    expect(errors.map(formatDefinitionError)).toEqual([
      `${join(dir, 'broken.yaml')}:8:4: invalid YAML: All sequence items must start at the same column`,
      `${join(dir, 'typo.yaml')}:8:5: steps[0].continue_on_eror: unknown key, expected one of: id, name, when, timeout, retries, continue_on_error, outputs, undo, action, with, for_each, for_each_concurrency, approval, wait, parallel`,
    ]);
    expect(errors[0]).toEqual({ file: join(dir, 'broken.yaml'), line: 8, column: 4, message: 'invalid YAML: All sequence items must start at the same column' });
  });

  it('reads nothing and reports nothing for a folder holding only its README, or no folder at all', () => {
    const dir = folder({ 'README.md': '# workflows/\n' });
    expect(loadDefinitions({ dir, source: 'workflow' })).toEqual({ definitions: new Map(), errors: [] });
    expect(loadDefinitions({ dir: join(dir, 'missing'), source: 'playbook' })).toEqual({ definitions: new Map(), errors: [] });
  });

  it('reports a folder it cannot read instead of throwing', () => {
    const dir = folder({});
    const file = join(dir, 'workflows');
    writeFileSync(file, 'not a folder');
    expect(loadDefinitions({ dir: file, source: 'workflow' }).errors).toEqual([{ file, line: 1, column: 1, message: 'cannot read the folder (ENOTDIR)' }]);
  });

  it('follows symbolic links (a mounted ConfigMap), skips hidden files, and reports a file it cannot read while loading the others', () => {
    const wait = (name: string) => `name: ${name}\ndescription: Wait\nrole: viewer\nsteps:\n  - { id: w, wait: 1s }\n`;
    const dir = folder({ '.hidden.yaml': wait('hidden') });
    mkdirSync(join(dir, '..data'));
    writeFileSync(join(dir, '..data', 'b.yaml'), wait('b'));
    symlinkSync(join(dir, '..data', 'b.yaml'), join(dir, 'b.yaml'));
    symlinkSync(join(dir, 'gone.yaml'), join(dir, 'a.yaml'));
    const { definitions, errors } = loadDefinitions({ dir, source: 'workflow' });
    expect([...definitions.keys()]).toEqual(['b']);
    expect(errors).toEqual([{ file: join(dir, 'a.yaml'), line: 1, column: 1, message: 'cannot read the file (ENOENT)' }]);
  });

  it('refuses a second file naming the same workflow (deploy.yaml and deploy.yml)', () => {
    const text = 'name: deploy\ndescription: Ship it\nrole: deployer\nsteps:\n  - { id: w, wait: 1s }\n';
    const dir = folder({ 'deploy.yaml': text, 'deploy.yml': text });
    const { definitions, errors } = loadDefinitions({ dir, source: 'workflow' });
    expect(definitions.get('deploy')?.file).toBe(join(dir, 'deploy.yaml'));
    expect(errors.map(formatDefinitionError)).toEqual([`${join(dir, 'deploy.yml')}:1:1: name: deploy is already defined by ${join(dir, 'deploy.yaml')}`]);
  });

  it('ignores files that are not YAML and folders inside', () => {
    const dir = folder({ 'notes.txt': 'name: [', 'deploy.yaml.bak': 'name: [' });
    mkdirSync(join(dir, 'old.yaml'));
    expect(loadDefinitions({ dir, source: 'workflow' })).toEqual({ definitions: new Map(), errors: [] });
  });
});

describe('parseDefinition', () => {
  const parse = (text: string, knownActions?: Set<string>) => parseDefinition(text, 'workflows/deploy.yaml', { source: 'workflow', knownActions });

  it('gives the line and column of a YAML syntax error', () => {
    expect(parse('name: deploy\nsteps: [\n  { id: a, wait: 1s }\n').errors).toEqual([
      { file: 'workflows/deploy.yaml', line: 4, column: 1, message: expect.stringMatching(/^invalid YAML: /) },
    ]);
    expect(parse('name: deploy\ndescription: a\nname: again\n').errors.map(formatDefinitionError)).toEqual([
      'workflows/deploy.yaml:3:1: invalid YAML: Map keys must be unique',
    ]);
  });

  it('reports an empty file as a missing workflow', () => {
    expect(parse('# nothing yet\n').errors.map(formatDefinitionError)).toEqual([
      'workflows/deploy.yaml:1:1: expected a workflow (a mapping with keys name, description, params, role, concurrency, triggers, steps), got nothing',
    ]);
  });

  it('reports every problem of a file at once, in the order they appear', () => {
    const text = [
      'name: deploy', // 1
      'description: Ship it', // 2
      'role: root', // 3
      'steps:', // 4
      '  - id: Build', // 5
      '    action: shell', // 6
      '    timeout: forever', // 7
    ].join('\n');
    expect(parse(text).errors.map(formatDefinitionError)).toEqual([
      'workflows/deploy.yaml:3:7: role: expected one of viewer, responder, deployer, admin, got "root"',
      'workflows/deploy.yaml:5:9: steps[0].id: expected a step id of lowercase letters, digits, - and _, starting with a letter, got "Build"',
      'workflows/deploy.yaml:7:14: steps[0].timeout: expected a duration like 10m (30s, 5m, 4h, 7d or 1h30m), got "forever"',
    ]);
  });

  it('requires the name to be the file name', () => {
    const text = 'name: deploy-api\ndescription: Ship it\nrole: deployer\nsteps:\n  - { id: w, wait: 1s }\n';
    expect(parse(text).errors.map(formatDefinitionError)).toEqual([
      'workflows/deploy.yaml:1:7: name: expected the file\'s name, "deploy", got "deploy-api" (rename one of them)',
    ]);
  });

  it('refuses an action the catalog does not have, in a step or its undo', () => {
    const text = [
      'name: deploy',
      'description: Ship it',
      'role: deployer',
      'steps:',
      '  - id: build',
      '    action: shel',
      '    undo: { action: http.delete }',
    ].join('\n');
    expect(parse(text, new Set(['shell', 'http'])).errors.map(formatDefinitionError)).toEqual([
      'workflows/deploy.yaml:6:13: steps[0].action: unknown action "shel" (known: http, shell)',
      'workflows/deploy.yaml:7:21: steps[0].undo.action: unknown action "http.delete" (known: http, shell)',
    ]);
    expect(parse(text).errors).toEqual([]);
  });
});
