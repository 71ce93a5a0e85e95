import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { incidentPlaybookButtons } from '../../src/incidents/incident-playbooks.ts';
import type { Incident } from '../../src/incidents/incident-types.ts';
import { ACTION_NAMES } from '../../src/workflows/actions/catalog.ts';
import { loadDefinitions } from '../../src/workflows/load-definitions.ts';
import { loadRuleAlerts } from '../support/rule-alerts.ts';

/** Which "Run playbook" buttons an incident's summary offers, and the command each one runs. */

const PLAYBOOKS = [...loadDefinitions({ dir: fileURLToPath(new URL('../../playbooks', import.meta.url)), source: 'playbook', knownActions: new Set(ACTION_NAMES) }).definitions.values()];
const RULES = loadRuleAlerts(fileURLToPath(new URL('../fixtures/prometheus-rules/kube-prometheus', import.meta.url)));
const crashLooping = RULES.find((r) => r.alert === 'KubePodCrashLooping')!.alertGroup;
const rolloutStuck = RULES.find((r) => r.alert === 'KubeDeploymentRolloutStuck')!.alertGroup;

function incident(fields: Partial<Incident>): Incident {
  return { number: 3, id: 'INC-3', title: 'Checkout is slow', severity: 'P2', status: 'investigating', service: null, summary: null, ...fields } as Incident;
}

describe('the Run playbook buttons of an incident', () => {
  it('offer the playbooks of its linked alert groups first, targeted by their labels and naming the group', () => {
    const buttons = incidentPlaybookButtons(incident({}), { definitions: () => PLAYBOOKS, linkedAlertGroups: () => [{ id: '12', group: crashLooping }, { id: '13', group: rolloutStuck }] });
    expect(buttons).toEqual([
      { label: 'Run pod-crash-looping (low risk)', command: 'playbook run pod-crash-looping namespace="shop" pod="api-5d8f7c9b6-x2x7k" container="api" incident="INC-3" alert="12"' },
      { label: 'Run bad-deploy-rollback (high risk)', command: 'playbook run bad-deploy-rollback namespace="shop" deployment="api" incident="INC-3" alert="13"' },
    ]);
  });

  it('match the incident itself by what people wrote, each playbook once, with no targets filled in', () => {
    const words = incident({ title: 'checkout pods OOMKilled and in CrashLoopBackOff', service: 'checkout' });
    expect(incidentPlaybookButtons(words, { definitions: () => PLAYBOOKS, linkedAlertGroups: () => [{ id: '12', group: crashLooping }] }).map((b) => b.command)).toEqual([
      'playbook run pod-crash-looping namespace="shop" pod="api-5d8f7c9b6-x2x7k" container="api" incident="INC-3" alert="12"',
      'playbook run memory-pressure-scale-out incident="INC-3"',
    ]);
    expect(incidentPlaybookButtons(incident({ title: 'Checkout is slow', service: 'checkout' }), { definitions: () => PLAYBOOKS })).toEqual([]);
  });
});
