import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ACTION_NAMES } from '../../src/workflows/actions/catalog.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import { paramsSchema } from '../../src/workflows/params.ts';

const dir = fileURLToPath(new URL('../../workflows', import.meta.url));

describe('the workflows opsbot ships', () => {
  const { definitions, errors } = loadDefinitions({ dir, source: 'workflow', knownActions: new Set(ACTION_NAMES) });

  it('all load without an error, against the real action catalog', () => {
    expect(errors).toEqual([]);
    expect([...definitions.keys()].sort()).toEqual(['config-change', 'deploy', 'incident-checklist', 'maintenance-window']);
  });

  it('gate production in the deploy pipeline behind two approvals, after staging and a soak, each rollout watched and undoable', () => {
    const deploy = definitions.get('deploy');
    const kinds = deploy?.steps.map((s) => `${s.id}:${s.kind === 'action' ? s.action : s.kind}`);
    expect(kinds).toEqual([
      'approve-staging:approval',
      'staging:k8s.set-image',
      'staging-rollout:k8s.wait-rollout',
      'soak:wait',
      'verify-staging:http',
      'approve-production:approval',
      'production:k8s.set-image',
      'production-rollout:k8s.wait-rollout',
      'verify-production:http',
    ]);
    const approval = deploy?.steps.find((s) => s.id === 'approve-production');
    expect(approval).toMatchObject({ kind: 'approval', min: 2 });
    for (const id of ['staging', 'production']) {
      const step = deploy?.steps.find((s) => s.id === id);
      expect(step?.undo?.action).toBe('k8s.rollout-undo');
      expect(step && 'with' in step ? step.with.environment : undefined).toBe(id);
    }
  });

  it('require two approvals before a config change is applied, with a backup to restore', () => {
    const change = definitions.get('config-change');
    expect(change?.steps.find((s) => s.id === 'four-eyes')).toMatchObject({ kind: 'approval', min: 2 });
    expect(change?.steps.find((s) => s.id === 'apply')?.undo).toBeDefined();
  });

  it('keep a config change inside opsbot\'s working folder: no .. and no absolute path', () => {
    const schema = paramsSchema(definitions.get('config-change')!);
    const withFile = (file: string) => schema.safeParse({ file, key: 'replicas', value: '3' }).success;

    expect(withFile('config/app.json')).toBe(true);
    expect(withFile('../secrets.json')).toBe(false);
    expect(withFile('config/../../x.json')).toBe(false);
    expect(withFile('/etc/app.json')).toBe(false);
  });
});
