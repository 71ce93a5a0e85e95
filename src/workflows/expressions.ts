import { Environment, EvaluationError, ParseError, TypeError as CelTypeError } from '@marcbachmann/cel-js';
import type { ParseResult } from '@marcbachmann/cel-js';
import { UserError } from '../errors.ts';
import { SizeBudget, ValueError, celTypeName, fromCel, isUnsafeKey, toCel } from './cel-values.ts';
import type { Templated } from './definition.ts';
import { hasTemplate, isFullTemplate, scanTemplates } from './template-syntax.ts';

export { isFullTemplate } from './template-syntax.ts';

/**
 * Workflow expressions: `${{ … }}` templates in workflow YAML, evaluated with CEL
 * (https://github.com/google/cel-spec) by @marcbachmann/cel-js, an interpreter over its own
 * AST — it never builds code with eval or Function.
 *
 * What authors write:
 * - Names: `params.<name>`, `steps.<id>.outputs.<name>`, `steps.<id>.status`, `run.id`,
 *   `run.requestedBy`, `run.workflow`; `item` inside a for_each step; `result` inside a step's
 *   `outputs:`. Nothing else exists — no environment, process, files, secrets or clock.
 * - A value that is only a template keeps its type: `replicas: ${{ params.replicas * 2 }}` is the
 *   number 6. Text around templates makes a string: `image: "app:${{ params.version }}"`; lists
 *   and maps inside such text render as JSON, null as nothing.
 * - Numbers: a whole number (a number param like `3`, an output like `200`) is a CEL `int`, so
 *   `params.replicas * 2`, `params.replicas > 2` and `size(params.regions) == 2` work as written.
 *   A fractional number is a `double`. Unlike plain CEL, int and double mix in `+ - * /`, `==`
 *   and comparisons, giving a double (`params.ratio * 2`, `params.replicas == 3.0`); `int / int`
 *   divides whole (`7 / 2` is 3 — write `7.0 / 2` for 3.5). Strings and numbers do not mix:
 *   `"v" + string(params.major)`.
 * - Strings: `startsWith`, `endsWith`, `contains`, `matches` (a regular expression),
 *   `size`, `lowerAscii` etc.; `x in list`, `has(map.key)`, `cond ? a : b`, and the macros
 *   `all`, `exists`, `exists_one`, `map`, `filter` (nested at most two deep).
 * - `when:` may be written `${{ expr }}` or as a bare expression; it must be true or false.
 * - There is no escape for a literal `${{`: write `${{ '${{' }}`.
 * - Limits: an expression is at most 2,000 characters and 32 levels deep; a result (or the
 *   interpolated string) at most 1,000,000 characters; integers leave CEL only while they fit a
 *   JS number exactly; bytes, types and non-finite numbers cannot be results.
 *
 * Values from params and outputs are data: a param whose value is `${{ run.id }}` stays that
 * text, because a template's result is never scanned again.
 */

export interface Scope {
  params: Record<string, string | number | boolean>;
  steps: Record<string, { outputs: Record<string, unknown>; status: string }>;
  /** The current element inside a for_each step. */
  item?: unknown;
  /** The action's result, inside a step's `outputs:`. */
  result?: Record<string, unknown>;
  run: { id: string; requestedBy: string; workflow: string };
}

/** Extra names laid over the scope for one evaluation (wait-until's `probe`). */
export type ExtraScope = Readonly<Record<string, unknown>>;

export const MAX_EXPRESSION_CHARS = 2_000;
/** Characters a template's result may take (strings, keys, rendered JSON). */
export const MAX_RESULT_CHARS = 1_000_000;
/** `list.map(x, list.map(y, …))` is two; a third level multiplies work beyond what a step needs. */
export const MAX_COMPREHENSION_NESTING = 2;

const SCOPE_NAMES = ['params', 'steps', 'item', 'result', 'run'] as const;
const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
// Everything about the language is fixed here; each evaluation brings its own data.
const ENVIRONMENT = createEnvironment();

/** Parse-checks every `${{ }}` in `text`; the message names the expression and the reason. */
export function checkTemplate(text: string, extraNames: readonly string[] = []): string | undefined {
  const scan = scanTemplates(text);
  if (!scan.ok) return scan.error;
  let env: Environment;
  try {
    env = environmentWith(extraNames);
  } catch (err) {
    return messageOf(err);
  }
  for (const segment of scan.segments) {
    if (typeof segment === 'string') continue;
    try {
      const parsed = compile(segment.expression, env);
      const checked = parsed.check();
      if (!checked.valid) throw celFailure(segment.expression, checked.error);
    } catch (err) {
      return messageOf(err);
    }
  }
  return undefined;
}

/** For `when:` — a full template or a bare expression; also refuses one that cannot be a boolean. */
export function checkCondition(text: string, extraNames: readonly string[] = []): string | undefined {
  const source = conditionSource(text);
  if (source === undefined) return checkTemplate(text, extraNames) ?? `${preview(text)}: a condition must be one \${{ … }} expression`;
  try {
    const parsed = compile(source, environmentWith(extraNames));
    const checked = parsed.check();
    if (!checked.valid) throw celFailure(source, checked.error);
    if (checked.type !== 'bool' && checked.type !== 'dyn') {
      return `${show(source)}: a condition must be true or false, but this is always a ${checked.type}`;
    }
  } catch (err) {
    return messageOf(err);
  }
  return undefined;
}

/**
 * Evaluates the templates in `value`, deep through lists and maps (keys are never templated).
 * Throws UserError `expression_failed` naming the expression and the reason.
 */
export function evaluateTemplate(value: Templated, scope: Scope, extra: ExtraScope = {}): unknown {
  const evaluation = new Evaluation(scope, extra);
  return evaluation.value(value, 0);
}

/** Evaluates a `when:` condition (a full template or a bare expression) to true or false. */
export function evaluateCondition(text: string, scope: Scope, extra: ExtraScope = {}): boolean {
  const evaluation = new Evaluation(scope, extra);
  const source = conditionSource(text);
  if (source === undefined) {
    const rendered = evaluation.value(text, 0);
    throw new UserError('expression_failed', `${preview(text)}: a condition must be true or false, got ${celTypeName(rendered)}`);
  }
  const result = evaluation.raw(source);
  if (typeof result !== 'boolean') {
    throw new UserError('expression_failed', `${show(source)}: a condition must be true or false, got ${celTypeName(result)}`);
  }
  return result;
}

/** One evaluation's data, converted for CEL once and only when a template needs it. */
class Evaluation {
  readonly #scope: Scope;
  readonly #extra: ExtraScope;
  #env: Environment | undefined;
  #context: Map<string, unknown> | undefined;

  constructor(scope: Scope, extra: ExtraScope) {
    this.#scope = scope;
    this.#extra = extra;
  }

  value(value: Templated, depth: number): unknown {
    if (depth > 64) throw new UserError('expression_failed', 'the templated value is nested more than 64 levels deep');
    if (typeof value === 'string') return this.#string(value);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (isUnsafeKey(key)) continue;
      out[key] = this.value(item, depth + 1);
    }
    return out;
  }

  /** The expression's CEL value, before it becomes a plain JS value. */
  raw(expression: string): unknown {
    const env = this.#environment();
    const parsed = compile(expression, env);
    try {
      return parsed(this.#celContext(expression));
    } catch (err) {
      throw celFailure(expression, err, this.#names());
    }
  }

  #string(text: string): unknown {
    if (!hasTemplate(text)) return text;
    const scan = scanTemplates(text);
    if (!scan.ok) throw new UserError('expression_failed', scan.error);
    const [only] = scan.segments;
    if (scan.segments.length === 1 && typeof only === 'object' && only.start === 0 && only.end === text.length) {
      return this.#plain(only.expression, new SizeBudget(MAX_RESULT_CHARS));
    }
    const budget = new SizeBudget(MAX_RESULT_CHARS);
    let out = '';
    for (const segment of scan.segments) {
      const piece = typeof segment === 'string' ? segment : render(this.#plain(segment.expression, budget));
      budget.spend(typeof segment === 'string' ? segment.length : 0);
      out += piece;
    }
    if (out.length > MAX_RESULT_CHARS) {
      throw new UserError('expression_failed', `${preview(text)}: the result is larger than ${MAX_RESULT_CHARS.toLocaleString('en-US')} characters`);
    }
    return out;
  }

  #plain(expression: string, budget: SizeBudget): unknown {
    const result = this.raw(expression);
    try {
      return fromCel(result, budget);
    } catch (err) {
      throw failure(expression, err instanceof ValueError ? err.message : 'the result cannot be used as a workflow value');
    }
  }

  #environment(): Environment {
    this.#env ??= environmentWith(Object.keys(this.#extra));
    return this.#env;
  }

  #celContext(expression: string): Map<string, unknown> {
    if (this.#context) return this.#context;
    const context = new Map<string, unknown>();
    try {
      const layers: Array<Readonly<Record<string, unknown>>> = [this.#scope as unknown as Record<string, unknown>, this.#extra];
      for (const layer of layers) {
        for (const [name, value] of Object.entries(layer)) {
          const converted = toCel(value);
          if (converted !== undefined) context.set(name, converted);
        }
      }
    } catch (err) {
      throw failure(expression, err instanceof ValueError ? err.message : 'the workflow data cannot be read');
    }
    this.#context = context;
    return context;
  }

  #names(): string[] {
    const names = new Set<string>();
    for (const name of SCOPE_NAMES) if (this.#scope[name] !== undefined) names.add(name);
    for (const [name, value] of Object.entries(this.#extra)) if (value !== undefined) names.add(name);
    return [...names];
  }
}

function createEnvironment(): Environment {
  const env = new Environment({
    // Mixed lists and maps are ordinary in ops data: ["a", 1], {"name": "api", "replicas": 3}.
    homogeneousAggregateLiterals: false,
    limits: { maxAstNodes: 1_000, maxDepth: 32, maxListElements: 1_000, maxMapEntries: 1_000, maxCallArguments: 16 },
  })
    .registerVariable('params', 'map')
    .registerVariable('steps', 'map')
    .registerVariable('item', 'dyn')
    .registerVariable('result', 'map')
    .registerVariable('run', 'map');
  // int and double mix (see the header): a number param that happens to be whole must not
  // break `params.ratio * 2` or `params.replicas == 3.0`.
  const arithmetic: Record<string, (a: number, b: number) => number> = {
    '+': (a, b) => a + b,
    '-': (a, b) => a - b,
    '*': (a, b) => a * b,
    '/': (a, b) => a / b,
  };
  for (const [op, apply] of Object.entries(arithmetic)) {
    env.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => apply(Number(a), b));
    env.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => apply(a, Number(b)));
  }
  // Registering `int == double` also gives `double == int` and both `!=`.
  env.registerOperator('int == double', (a: bigint, b: number) => Number(a) === b);
  return env;
}

/** The environment, plus `extraNames` as variables of any type when there are some. */
function environmentWith(extraNames: readonly string[]): Environment {
  const added = extraNames.filter((name) => !(SCOPE_NAMES as readonly string[]).includes(name));
  if (added.length === 0) return ENVIRONMENT;
  const env = ENVIRONMENT.clone();
  for (const name of added) {
    try {
      env.registerVariable(name, 'dyn');
    } catch {
      throw new UserError('expression_failed', `${JSON.stringify(name)} cannot be used as a name in expressions`);
    }
  }
  return env;
}

/** Parses `expression` within the limits; throws UserError naming it. */
function compile(expression: string, env: Environment): ParseResult {
  const source = expression.trim();
  if (source === '') throw failure(expression, 'the expression is empty');
  if (source.length > MAX_EXPRESSION_CHARS) {
    throw failure(expression, `the expression is ${source.length} characters long; the limit is ${MAX_EXPRESSION_CHARS}`);
  }
  let parsed: ParseResult;
  try {
    parsed = env.parse(source);
  } catch (err) {
    throw celFailure(expression, err);
  }
  if (comprehensionDepth(parsed.ast) > MAX_COMPREHENSION_NESTING) {
    throw failure(expression, `all/exists/map/filter may be nested at most ${MAX_COMPREHENSION_NESTING} deep`);
  }
  return parsed;
}

/** Deepest nesting of comprehension macros in a parsed (not yet expanded) AST. */
function comprehensionDepth(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((deepest: number, child) => Math.max(deepest, comprehensionDepth(child)), 0);
  if (node === null || typeof node !== 'object' || !('op' in node) || !('args' in node)) return 0;
  const { op, args } = node as { op: unknown; args: unknown };
  const inner = comprehensionDepth(args);
  const isComprehension = op === 'rcall' && Array.isArray(args) && COMPREHENSIONS.has(args[0] as string);
  return isComprehension ? inner + 1 : inner;
}

/** `${{ when }}` or a bare `when` → the expression; undefined when it is text with templates in it. */
function conditionSource(text: string): string | undefined {
  if (!hasTemplate(text)) return text;
  if (!isFullTemplate(text)) return undefined;
  const scan = scanTemplates(text);
  const [only] = scan.ok ? scan.segments : [];
  return typeof only === 'object' ? only.expression : undefined;
}

function celFailure(expression: string, err: unknown, names?: readonly string[]): UserError {
  if (err instanceof UserError) return err;
  if (err instanceof ParseError || err instanceof EvaluationError || err instanceof CelTypeError) {
    let reason = err.code === 'limit_exceeded' ? limitReason(err.summary) : lowerFirst(err.summary);
    if (err.code === 'unknown_variable' && names) reason += ` (this expression can use ${names.join(', ')})`;
    return failure(expression, reason);
  }
  // Anything else is the interpreter tripping (a stack overflow on odd input, say): say so
  // without its message, which could carry internals.
  const reason = err instanceof RangeError ? 'the expression is too large or too deeply nested to evaluate' : 'the expression could not be evaluated';
  return new UserError('expression_failed', `${show(expression)}: ${reason}`, undefined, { cause: err });
}

const LIMIT_REASONS: Record<string, (n: string) => string> = {
  maxDepth: (n) => `the expression is nested more than ${n} levels deep`,
  maxAstNodes: (n) => `the expression has more than ${n} parts`,
  maxListElements: (n) => `a list in the expression has more than ${n} elements`,
  maxMapEntries: (n) => `a map in the expression has more than ${n} entries`,
  maxCallArguments: (n) => `a call in the expression has more than ${n} arguments`,
};

// The parser says "Exceeded maxDepth (32)"; authors never see those option names.
function limitReason(summary: string): string {
  const [, limit = '', n = ''] = /^Exceeded (\w+) \((\d+)\)/.exec(summary) ?? [];
  return LIMIT_REASONS[limit]?.(n) ?? lowerFirst(summary);
}

function failure(expression: string, reason: string): UserError {
  return new UserError('expression_failed', `${show(expression)}: ${reason}`);
}

function render(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function show(expression: string): string {
  const source = expression.trim();
  if (source === '') return '${{ }}';
  return `\${{ ${source.length > 120 ? `${source.slice(0, 120)}…` : source} }}`;
}

function preview(text: string): string {
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text);
}

function lowerFirst(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.charAt(0).toLowerCase() + first.slice(1);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
