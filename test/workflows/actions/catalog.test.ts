import { describe, expect, it } from 'vitest';
import type { ChatPort } from '../../../src/slack/chat-port.ts';
import { ACTION_NAMES, createActionCatalog } from '../../../src/workflows/actions/catalog.ts';

// The catalog only wires; no action runs here, so the chat port is never called.
const chat = {} as ChatPort;

describe('the action catalog', () => {
  it('lists the built-in actions, each declaring whether a crash-interrupted attempt may simply be retried', () => {
    const catalog = createActionCatalog({ chat, runLocation: () => ({ channel: 'C0GENERAL' }), baseEnv: { PATH: '/usr/bin:/bin' } });
    expect(Object.fromEntries([...catalog].map(([name, action]) => [name, action.idempotent]))).toEqual({
      shell: false,
      'shell.idempotent': true,
      http: true,
      'http.post': false,
      'wait-until': true,
      'slack.message': false,
      'github.dispatch-workflow': false,
      'github.create-issue': false,
      'github.comment': false,
      'github.create-deployment': false,
      'github.deployment-status': true,
      'github.rerun-failed-jobs': false,
      'k8s.set-image': true,
      'k8s.restart': false,
      'k8s.scale': true,
      'k8s.rollout-undo': false,
      'k8s.wait-rollout': true,
      'k8s.logs': true,
      'k8s.deployment': true,
      'k8s.describe': true,
      'k8s.events': true,
    });
    expect([...catalog.values()].every((action) => action.summary.length > 0)).toBe(true);
    expect(catalog.get('wait-until')?.rawInputs).toEqual(['condition']);
  });

  it('names every action in the static list opsbot validate checks workflows against', () => {
    const catalog = createActionCatalog({ chat, runLocation: () => ({ channel: 'C0GENERAL' }), baseEnv: { PATH: '/usr/bin:/bin' } });
    expect([...catalog.keys()]).toEqual([...ACTION_NAMES]);
  });
});
