import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import {
  MAX_EXPRESSION_CHARS,
  checkCondition,
  checkTemplate,
  evaluateCondition,
  evaluateTemplate,
  isFullTemplate,
  type Scope,
} from '../../src/workflows/expressions.ts';

function scope(overrides: Partial<Scope> = {}): Scope {
  return {
    params: { service: 'api', env: 'production', version: 'v2.3.0', replicas: 3, ratio: 1.5, regions: 'eu,us', dry_run: false },
    steps: {
      build: { outputs: { image: 'registry.local/api:v2.3.0', tags: ['v2.3.0', 'latest'], meta: { size: 42, ok: true } }, status: 'succeeded' },
    },
    run: { id: 'run-17', requestedBy: 'U123', workflow: 'deploy' },
    ...overrides,
  };
}

function failureOf(run: () => unknown): UserError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).code).toBe('expression_failed');
    return err as UserError;
  }
  throw new Error('expected the expression to fail');
}

describe('evaluateTemplate', () => {
  it.each([
    ['${{ params.replicas * 2 }}', 6],
    ['${{ params.replicas > 2 }}', true],
    ['${{ params.replicas + 1 == 4 }}', true],
    ['${{ size(params.regions.split(",")) }}', 2],
    ['${{ size(steps.build.outputs.tags) }}', 2],
    ['${{ size(params.service) }}', 3],
    ['${{ params.ratio * 2 }}', 3],
    ['${{ params.replicas * 1.5 }}', 4.5],
    ['${{ params.replicas == 3.0 }}', true],
    ['${{ 7 / 2 }}', 3],
    ['${{ 7.0 / 2 }}', 3.5],
    ['${{ params.version.startsWith("v2.") }}', true],
    ['${{ steps.build.outputs.image.contains(":v2") }}', true],
    ['${{ params.version.matches("^v[0-9]+\\\\.[0-9]+\\\\.[0-9]+$") }}', true],
    ["${{ params.env == 'production' ? 'prod-cluster' : 'staging-cluster' }}", 'prod-cluster'],
    ["${{ params.env in ['staging', 'production'] }}", true],
    ["${{ 'latest' in steps.build.outputs.tags }}", true],
    ['${{ has(params.dry_run) }}', true],
    ['${{ has(params.canary) }}', false],
    ['${{ has(steps.build.outputs.image) && steps.build.status == "succeeded" }}', true],
    ['${{ steps.build.outputs.tags.map(t, "api:" + t) }}', ['api:v2.3.0', 'api:latest']],
    ['${{ steps.build.outputs.meta }}', { size: 42, ok: true }],
    ['${{ {"name": params.service, "replicas": params.replicas} }}', { name: 'api', replicas: 3 }],
    ['${{ run.id }}', 'run-17'],
    ['${{ null }}', null],
  ])('evaluates %s to its typed value', (template, expected) => {
    expect(evaluateTemplate(template, scope())).toStrictEqual(expected);
  });

  it('interpolates templates into the text around them, rendering lists and maps as JSON', () => {
    const text =
      'deploy ${{ params.service }} x${{ params.replicas }} dry=${{ params.dry_run }} tags=${{ steps.build.outputs.tags }} meta=${{ steps.build.outputs.meta }} none=${{ null }}.';
    expect(evaluateTemplate(text, scope())).toBe('deploy api x3 dry=false tags=["v2.3.0","latest"] meta={"size":42,"ok":true} none=.');
  });

  it('returns strings without templates, numbers, booleans and null as they are', () => {
    expect(evaluateTemplate('echo $HOME {{ not a template }} $(date)', scope())).toBe('echo $HOME {{ not a template }} $(date)');
    expect(evaluateTemplate(42, scope())).toBe(42);
    expect(evaluateTemplate(false, scope())).toBe(false);
    expect(evaluateTemplate(null, scope())).toBe(null);
  });

  it('evaluates deep through lists and maps but never templates map keys', () => {
    const value = {
      argv: ['kubectl', 'scale', '--replicas=${{ params.replicas * 2 }}', 'deploy/${{ params.service }}'],
      '${{ params.service }}': { count: '${{ params.replicas }}', fixed: 1 },
    };
    expect(evaluateTemplate(value, scope())).toStrictEqual({
      argv: ['kubectl', 'scale', '--replicas=6', 'deploy/api'],
      '${{ params.service }}': { count: 3, fixed: 1 },
    });
  });

  it('reads a template to its closing braces, not to braces inside maps or string literals', () => {
    expect(evaluateTemplate('${{ {"a": {"b": 1}} }}', scope())).toStrictEqual({ a: { b: 1 } });
    expect(evaluateTemplate("<${{ '}}' }}>", scope())).toBe('<}}>');
    expect(evaluateTemplate("${{ '${{' }} run.id }}", scope())).toBe('${{ run.id }}');
  });

  it('offers item inside for_each and result inside outputs', () => {
    expect(evaluateTemplate('${{ item.region + "-" + string(item.index) }}', scope({ item: { region: 'eu', index: 2 } }))).toBe('eu-2');
    expect(evaluateTemplate('${{ result.status == 200 ? result.body.id : "" }}', scope({ result: { status: 200, body: { id: 'abc' } } }))).toBe('abc');
  });

  it('lays extra names over the scope for one evaluation', () => {
    expect(evaluateTemplate('${{ probe.status == 200 && params.service == "api" }}', scope(), { probe: { status: 200 } })).toBe(true);
  });

  it('renders timestamps and durations as text', () => {
    expect(evaluateTemplate('${{ timestamp("2024-01-01T00:00:00Z") + duration("90s") }}', scope())).toBe('2024-01-01T00:01:30.000Z');
    expect(evaluateTemplate('${{ duration("90s") }}', scope())).toBe('90s');
  });

  it('builds plain objects and leaves out __proto__ and constructor keys found in data', () => {
    const outputs = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x", "ok": 1}') as Record<string, unknown>;
    const result = evaluateTemplate('${{ steps.raw.outputs }}', scope({ steps: { raw: { outputs, status: 'succeeded' } } }));
    expect(result).toStrictEqual({ ok: 1 });
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('expression errors', () => {
  it('name the expression and the reason for a missing key', () => {
    const err = failureOf(() => evaluateTemplate('image=${{ steps.build.outputs.imge }}', scope()));
    expect(err.message).toBe('${{ steps.build.outputs.imge }}: no such key: imge');
  });

  it('list the names an expression can use when it names another', () => {
    expect(failureOf(() => evaluateTemplate('${{ item.name }}', scope())).message).toBe(
      '${{ item.name }}: unknown variable: item (this expression can use params, steps, run)',
    );
  });

  it('carry no stack trace or host path', () => {
    for (const template of ['${{ steps.nope.outputs.x }}', '${{ 1 + }}', '${{ "a".matches("(") }}', '${{ int("x") }}', '${{ 1 / 0 }}']) {
      const { message } = failureOf(() => evaluateTemplate(template, scope()));
      expect(message.startsWith(template)).toBe(true);
      expect(message).not.toMatch(/\n|node_modules|\/work\/| at /);
    }
  });

  it.each([
    ['${{ b"raw" }}', '${{ b"raw" }}: bytes cannot be a workflow value; convert them with string(…)'],
    ['${{ 9223372036854775807 }}', '${{ 9223372036854775807 }}: the integer 9223372036854775807 is too large to use exactly outside an expression'],
    ['${{ 1.0 / 0.0 }}', '${{ 1.0 / 0.0 }}: the result is Infinity, not a finite number'],
    ['${{ type(1) }}', '${{ type(1) }}: a type cannot be a workflow value'],
    ['${{ 9223372036854775807 + 1 }}', '${{ 9223372036854775807 + 1 }}: integer overflow: 9223372036854775808'],
    ['${{ }}', '${{ }}: the expression is empty'],
    ['tag ${{ params.version', '"${{ params.version": the template is never closed with }}'],
  ])('refuse %s', (template, message) => {
    expect(failureOf(() => evaluateTemplate(template, scope())).message).toBe(message);
  });
});

describe('expression security', () => {
  it.each([
    ['${{ constructor.constructor("return process") }}', 'unknown variable: constructor'],
    ['${{ constructor.constructor("return process")() }}', "unexpected character: '('"],
    ['${{ constructor }}', 'unknown variable: constructor'],
    ['${{ this }}', 'unknown variable: this'],
    ['${{ process.env.HOME }}', 'unknown variable: process'],
    ['${{ globalThis }}', 'unknown variable: globalThis'],
    ['${{ params.constructor }}', 'no such key: constructor'],
    ['${{ params.constructor.constructor }}', 'no such key: constructor'],
    ['${{ params["constructor"] }}', 'no such key: constructor'],
    ['${{ params.__proto__ }}', 'no such key: __proto__'],
    ['${{ params.toString }}', 'no such key: toString'],
    ['${{ run.id.constructor }}', 'no such key: constructor'],
    ['${{ steps.build.outputs.tags.constructor }}', 'constructor'],
    ['${{ eval("1") }}', "found no matching overload for 'eval(string)'"],
    ['${{ require("child_process") }}', "found no matching overload for 'require(string)'"],
    ['${{ Function("return 1") }}', "found no matching overload for 'Function(string)'"],
    ['${{ params.service.exec("id") }}', 'exec'],
  ])('refuses %s', (template, reason) => {
    const { message } = failureOf(() => evaluateTemplate(template, scope()));
    expect(message).toContain(reason);
  });

  it('finds the same payloads at load time', () => {
    expect(checkTemplate('${{ constructor.constructor }}')).toBe('${{ constructor.constructor }}: unknown variable: constructor');
    expect(checkTemplate('${{ this }}')).toBe('${{ this }}: unknown variable: this');
    expect(checkTemplate('${{ eval("1") }}')).toBe("${{ eval(\"1\") }}: found no matching overload for 'eval(string)'");
  });

  it('never lets a map literal or data touch Object.prototype', () => {
    expect(evaluateTemplate('${{ {"__proto__": {"polluted": true}, "constructor": 1, "ok": 2} }}', scope())).toStrictEqual({ ok: 2 });
    const data = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    evaluateTemplate('${{ item }}', scope({ item: data }));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an expression longer than the limit', () => {
    const long = `\${{ ${'1 + '.repeat(MAX_EXPRESSION_CHARS / 4)}1 }}`;
    expect(failureOf(() => evaluateTemplate(long, scope())).message).toContain('characters long; the limit is 2000');
    expect(checkTemplate(long)).toContain('the limit is 2000');
  });

  it.each([
    ['100 parentheses', `\${{ ${'('.repeat(100)}1${')'.repeat(100)} }}`, 'nested more than 32 levels deep'],
    ['100 nested lists', `\${{ ${'['.repeat(100)}${']'.repeat(100)} }}`, 'nested more than 32 levels deep'],
    ['1,500 negations', `\${{ ${'!'.repeat(1_500)}true }}`, 'more than 1000 parts'],
    ['three nested maps', '${{ [1, 2].map(a, [1, 2].map(b, [1, 2].map(c, a + b + c))) }}', 'nested at most 2 deep'],
  ])('refuses deep nesting (%s) at load time and at run time', (_label, template, reason) => {
    expect(failureOf(() => evaluateTemplate(template, scope())).message).toContain(reason);
    expect(checkTemplate(template)).toContain(reason);
  });

  it('refuses a result larger than a million characters, whole or interpolated', () => {
    const big = scope({ params: { chunk: 'x'.repeat(400_000) } });
    expect(failureOf(() => evaluateTemplate('${{ params.chunk + params.chunk + params.chunk }}', big)).message).toBe(
      '${{ params.chunk + params.chunk + params.chunk }}: the result is larger than 1,000,000 characters',
    );
    expect(failureOf(() => evaluateTemplate('${{ [1, 2, 3].map(i, params.chunk) }}', big)).message).toContain('larger than 1,000,000 characters');
    expect(failureOf(() => evaluateTemplate('${{ params.chunk }}${{ params.chunk }}${{ params.chunk }}', big)).message).toContain(
      'larger than 1,000,000 characters',
    );
    expect(failureOf(() => evaluateTemplate('${{ [1, 2, 3].map(i, params.chunk).join("") }}', big)).message).toContain(
      'larger than 1,000,000 characters',
    );
  });

  it('does not evaluate a param whose value looks like a template', () => {
    const s = scope({ params: { note: '${{ run.id }}' } });
    expect(evaluateTemplate('${{ params.note }}', s)).toBe('${{ run.id }}');
    expect(evaluateTemplate('note: ${{ params.note }} (${{ run.id }})', s)).toBe('note: ${{ run.id }} (run-17)');
    expect(evaluateTemplate(['echo', '${{ params.note }}'], s)).toStrictEqual(['echo', '${{ run.id }}']);
  });

  it('passes an injection-shaped value through as exactly that string', () => {
    const s = scope({ params: { version: 'v1; rm -rf /' } });
    expect(evaluateTemplate('${{ params.version }}', s)).toBe('v1; rm -rf /');
    expect(evaluateTemplate(['deploy', '--version', '${{ params.version }}', 'tag-${{ params.version }}'], s)).toStrictEqual([
      'deploy',
      '--version',
      'v1; rm -rf /',
      'tag-v1; rm -rf /',
    ]);
  });
});

describe('evaluateCondition', () => {
  it.each([
    ["${{ params.env == 'production' }}", true],
    ["params.env == 'staging'", false],
    ['${{ params.replicas > 2 && !params.dry_run }}', true],
    ['steps.build.status == "succeeded"', true],
  ])('reads %s as %s', (text, expected) => {
    expect(evaluateCondition(text, scope())).toBe(expected);
  });

  it('refuses a result that is not true or false, naming the type it got', () => {
    expect(failureOf(() => evaluateCondition('${{ params.replicas }}', scope())).message).toBe(
      '${{ params.replicas }}: a condition must be true or false, got int',
    );
    expect(failureOf(() => evaluateCondition('${{ steps.build.outputs.tags }}', scope())).message).toBe(
      '${{ steps.build.outputs.tags }}: a condition must be true or false, got list',
    );
    expect(failureOf(() => evaluateCondition('run ${{ true }}', scope())).message).toBe(
      '"run ${{ true }}": a condition must be true or false, got string',
    );
  });

  it('uses extra names for wait-until probes', () => {
    expect(evaluateCondition('${{ probe.body.ready }}', scope(), { probe: { body: { ready: true } } })).toBe(true);
  });
});

describe('checkTemplate', () => {
  it('accepts text with good templates, and text without any', () => {
    expect(checkTemplate('deploy ${{ params.service }} to ${{ params.env == "production" ? "prod" : "stage" }}')).toBeUndefined();
    expect(checkTemplate('plain text with ${ shell } and {{ braces }}')).toBeUndefined();
    expect(checkTemplate('${{ probe.status == 200 }}', ['probe'])).toBeUndefined();
  });

  it('names the bad expression and the parser reason', () => {
    expect(checkTemplate('ok ${{ params.service }} then ${{ params.replicas * }}')).toBe('${{ params.replicas * }}: unexpected token: EOF');
    expect(checkTemplate('${{ parms.service }}')).toBe('${{ parms.service }}: unknown variable: parms');
    expect(checkTemplate('${{ params.service.shout() }}')).toContain('${{ params.service.shout() }}: ');
    expect(checkTemplate('${{ params.service')).toBe('"${{ params.service": the template is never closed with }}');
  });

  it('tells a whole-string template from text around one', () => {
    expect(isFullTemplate('${{ params.replicas }}')).toBe(true);
    expect(isFullTemplate('${{ {"a": 1} }}')).toBe(true);
    expect(isFullTemplate('x${{ params.replicas }}')).toBe(false);
    expect(isFullTemplate('${{ a }}${{ b }}')).toBe(false);
    expect(isFullTemplate(' ${{ a }}')).toBe(false);
    expect(isFullTemplate('no template')).toBe(false);
  });

  it('checks a condition is an expression that can be true or false', () => {
    expect(checkCondition("params.env == 'production'")).toBeUndefined();
    expect(checkCondition('${{ has(params.canary) }}')).toBeUndefined();
    expect(checkCondition('${{ "yes" }}')).toBe('${{ "yes" }}: a condition must be true or false, but this is always a string');
    expect(checkCondition('params.env ==')).toBe('${{ params.env == }}: unexpected token: EOF');
    expect(checkCondition('go ${{ true }}')).toBe('"go ${{ true }}": a condition must be one ${{ … }} expression');
  });
});
