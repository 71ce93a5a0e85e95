import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { intentCandidates } from '../../../src/agents/offline/intent-candidates.ts';
import { matchIntent, quote, type IntentMatch } from '../../../src/agents/offline/intent-matcher.ts';
import { intentOutputSchema } from '../../../src/agents/output-schemas.ts';
import type { AnyCommand } from '../../../src/commands/command-types.ts';
import { builtinCommands, featureCommands } from '../../../src/commands/index.ts';
import { parseArgs, tokenize } from '../../../src/commands/parser.ts';
import { bindArgs, createRegistry } from '../../../src/commands/registry.ts';
import type { WorkflowDefinition } from '../../../src/workflows/definition.ts';
import { loadDefinitions, parseDefinition } from '../../../src/workflows/load-definitions.ts';
import { paramsSchema } from '../../../src/workflows/params.ts';

/** The real registry and the shipped workflows, plus workflows written as a team would write them. */

const shipped = loadDefinitions({ dir: join(import.meta.dirname, '../../../workflows'), source: 'workflow' }).definitions;

function restartWorkflow(kind: string): WorkflowDefinition {
  const yaml = `
name: restart-${kind}
description: Restart a ${kind} and wait until it is ready again
params:
  ${kind}: { type: string, required: true, pattern: '[a-z][a-z0-9-]*', description: ${kind} name }
  env: { type: string, required: true, enum: [staging, production] }
role: deployer
steps:
  - id: restart
    action: shell
    with: { argv: [kubectl, rollout, restart, '${kind}/\${{ params.${kind} }}', -n, '\${{ params.env }}'] }
`;
  const { definition, errors } = parseDefinition(yaml, `workflows/restart-${kind}.yaml`, { source: 'workflow' });
  if (definition === undefined) throw new Error(errors.map((e) => e.message).join('; '));
  return definition;
}

const commands: AnyCommand[] = [...builtinCommands, ...featureCommands];
const restartDeployment = restartWorkflow('deployment');
const workflows = new Map([...shipped, [restartDeployment.name, restartDeployment]]);
const candidates = intentCandidates(commands, workflows.values());
const match = (text: string) => matchIntent(text, candidates);

/** What the dispatcher does with a proposed command: the registry's parser and bindArgs. */
function reparse(command: string, registryCommands: readonly AnyCommand[] = commands): { name: string; args: Record<string, unknown> } {
  const found = createRegistry(registryCommands).match(tokenize(command));
  if (found.kind !== 'command') throw new Error(`not a command: ${command}`);
  return { name: found.command.name, args: bindArgs(found.command, parseArgs(found.rest)) as Record<string, unknown> };
}

/** A proposed `workflow run`, through bindArgs and then the workflow's own param schema. */
function runParams(command: string) {
  const { name, args } = reparse(command);
  expect(name).toBe('workflow run');
  const def = workflows.get(args.workflow as string);
  if (def === undefined) throw new Error(`no workflow ${String(args.workflow)}`);
  return { workflow: def.name, params: paramsSchema(def).parse(args.param) };
}

function commandOf(result: IntentMatch): string {
  if (result.kind !== 'command') throw new Error(`expected a command, got ${JSON.stringify(result)}`);
  return result.command;
}

describe('matchIntent with the registry and shipped workflows', () => {
  it('turns "restart the api deployment in staging" into the restart workflow with both params', () => {
    const result = match('<@U0OPSBOT> restart the api deployment in staging');

    expect(result).toMatchObject({ kind: 'command', command: 'workflow run restart-deployment deployment=api env=staging', thin: false });
    expect(runParams(commandOf(result))).toEqual({ workflow: 'restart-deployment', params: { deployment: 'api', env: 'staging' } });
  });

  it('reads a synonym verb, Slack formatting and an environment alias', () => {
    expect(commandOf(match('*please* bounce the `web` deployment on prod!'))).toBe('workflow run restart-deployment deployment=web env=production');
  });

  it('asks for a missing enum param and names the values it takes', () => {
    const result = match('could you restart the api deployment for me');

    expect(result.kind).toBe('question');
    expect(result.kind === 'question' && result.question).toContain('`env` (one of staging, production)');
    expect(result.thin).toBe(false);
  });

  it('fills service and version of the shipped deploy workflow from "deploy api v2.3.0 to prod"', () => {
    const result = match('deploy api v2.3.0 to prod');

    expect(runParams(commandOf(result))).toEqual({ workflow: 'deploy', params: { service: 'api', version: 'v2.3.0', container: '', health_url: '' } });
    // deploy.yaml takes no environment (it promotes to staging, then production): the word is reported, not dropped silently.
    expect(result.kind === 'command' && result.explanation).toContain('Not used: "prod"');
  });

  it('asks for the version when the deploy request leaves it out, describing it', () => {
    const result = match('ship api to staging');

    expect(result.kind).toBe('question');
    expect(result.kind === 'question' && result.question).toContain('I need `version` (release tag, e.g. v2.3.0)');
    expect(result.kind === 'question' && result.question).toContain('workflow run deploy service=api version=…');
  });

  it('passes key=value pairs through and reports a key the workflow does not take', () => {
    const result = match('please deploy api version=v2.3.0 container=web env=prod');

    expect(commandOf(result)).toBe('workflow run deploy service=api version=v2.3.0 container=web');
    expect(result.kind === 'command' && result.explanation).toContain('Not used: "env=prod"');
  });

  it('quotes a value with spaces so the parser reads it back whole', () => {
    const result = match('start a maintenance window for api reason="database upgrade, 20 min"');

    expect(commandOf(result)).toBe('workflow run maintenance-window service=api reason="database upgrade, 20 min"');
    expect(runParams(commandOf(result)).params).toMatchObject({ service: 'api', reason: 'database upgrade, 20 min' });
  });

  it('fills params by their name, a pattern and a number in one sentence', () => {
    const result = match('change key timeout in config/app.json to 30');

    expect(runParams(commandOf(result))).toEqual({ workflow: 'config-change', params: { file: 'config/app.json', key: 'timeout', value: '30' } });
  });

  it('answers "who has admin?" with role list', () => {
    expect(match('who has admin?')).toMatchObject({ kind: 'command', command: 'role list' });
  });

  it('grants a role to a mentioned user, as the parser expects it', () => {
    const result = match('give <@U0123ABCD|alice> the deployer role');

    expect(commandOf(result)).toBe('role grant <@U0123ABCD> deployer');
    expect(reparse(commandOf(result))).toEqual({ name: 'role grant', args: { user: 'U0123ABCD', role: 'deployer' } });
  });

  it('proposes help for "help" and "what can you do?"', () => {
    expect(match('help')).toMatchObject({ kind: 'command', command: 'help' });
    expect(match('<@U0OPSBOT> what can you do?')).toMatchObject({ kind: 'command', command: 'help' });
  });

  it('finds run ids for approvals, rollbacks and status, with a reason after "because"', () => {
    expect(commandOf(match('lgtm on wf-12'))).toBe('workflow approve wf-12');
    expect(commandOf(match('roll back 9'))).toBe('workflow rollback 9');
    expect(commandOf(match("what's the status of wf-7?"))).toBe('workflow status wf-7');
    const reject = commandOf(match('reject wf-3 because it is a "freeze" friday'));
    expect(reparse(reject)).toEqual({ name: 'workflow reject', args: { run: 'wf-3', reason: 'it is a "freeze" friday', ask: false } });
  });

  it('tells listing workflows from describing one', () => {
    expect(commandOf(match('show me the workflows'))).toBe('workflow list');
    expect(commandOf(match('show the deploy workflow'))).toBe('workflow describe deploy');
  });

  it('answers gibberish with a thin pointer at help, in the configured command', () => {
    const result = matchIntent('flibber jabber wocky', candidates, { commandPrefix: '/chatops' });

    expect(result).toEqual({ kind: 'answer', answer: "I couldn't match that to anything I can do. `/chatops help` lists the commands you can run.", thin: true, score: 0 });
    expect(match('<@U0OPSBOT>')).toMatchObject({ kind: 'answer', thin: true });
  });

  it('offers a thin guess when only a summary fits', () => {
    const result = match('I lost the json backup file');

    expect(result).toMatchObject({ kind: 'question', thin: true });
    expect(result.kind === 'question' && result.question).toMatch(/^I'm not sure what you mean\. Did you mean `workflow run config-change`/);
  });

  it('always returns what the intent output schema allows', () => {
    for (const text of ['restart the api deployment', 'deploy api v2.3.0', 'who has admin?', 'zzz', 'restart']) {
      const { thin: _thin, score, ...output } = match(text);
      expect(intentOutputSchema.parse(output)).toEqual(output);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
  });
});

describe('matchIntent when two candidates fit as well', () => {
  const both = intentCandidates(commands, [restartDeployment, restartWorkflow('statefulset')]);

  it('asks which one was meant, as a thin answer', () => {
    const result = matchIntent('restart api in staging', both);

    expect(result.kind).toBe('question');
    expect(result.kind === 'question' && result.question).toMatch(/^Did you mean `workflow run restart-deployment` or `workflow run restart-statefulset`\?/);
    expect(result.thin).toBe(true);
  });

  it('gives the same answer whatever order the candidates come in', () => {
    expect(matchIntent('restart api in staging', [...both].reverse())).toEqual(matchIntent('restart api in staging', both));
  });

  it('picks the one the sentence names', () => {
    expect(commandOf(matchIntent('restart the db statefulset in production', both))).toBe('workflow run restart-statefulset statefulset=db env=production');
  });
});

describe('matchIntent over the Kubernetes commands', () => {
  // The real `k8s …` commands: the matcher knows nothing of them beyond their definitions.
  const withK8s = intentCandidates(commands, shipped.values());

  it('builds a kind/name target and a namespace from "restart the api deployment in staging"', () => {
    const command = commandOf(matchIntent('restart the api deployment in staging', withK8s));

    expect(command).toBe('k8s restart deployment/api ns=staging');
    expect(reparse(command)).toEqual({ name: 'k8s restart', args: { deployment: 'deployment/api', ns: 'staging' } });
  });

  it('reads the replica count of "scale the worker deployment to 5 in payments"', () => {
    const command = commandOf(matchIntent('scale the worker deployment to 5 in payments', withK8s));

    expect(reparse(command)).toEqual({ name: 'k8s scale', args: { deployment: 'deployment/worker', replicas: 5, ns: 'payments' } });
  });

  it('asks for the target when the sentence names no kind', () => {
    const result = matchIntent('scale api to 5', withK8s);

    expect(result.kind === 'question' && result.question).toContain('I need `deployment`');
  });
});

describe('quote', () => {
  it('renders values the parser reads back exactly', () => {
    const values = ['plain', 'two words', 'it’s “quoted” and "again"', 'back\\slash "x"', 'a=b', '--force', '<not markup> & more', ''];
    for (const value of values) {
      expect(parseArgs(tokenize(`x=${quote(value)} ${quote(value)}`))).toEqual({ named: { x: value }, positional: [value] });
    }
  });
});
