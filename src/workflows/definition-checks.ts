import { showValue } from '../config/fields.ts';
import { dottedPath } from '../yaml-source.ts';
import type { Concurrency, ParamDefinition, RunRole, Step } from './definition.ts';
import { checkParamValue } from './params.ts';
import { type Ctx, fail } from './schema-kit.ts';
import { walkSteps } from './step-schema.ts';
import { stringsIn } from './template-schema.ts';
import { scanTemplates } from './template-syntax.ts';

/**
 * The checks across fields of a parsed workflow document: the role's param and values, complete
 * schedule params, unique step ids, and references in templates to params and earlier steps.
 */

export function checkRunRole(run: RunRole, params: Record<string, ParamDefinition>, ctx: Ctx): void {
  if (!('byParam' in run)) return;
  const param = Object.hasOwn(params, run.byParam) ? params[run.byParam] : undefined;
  if (param === undefined) {
    fail(ctx, `expected the name of a declared param, got ${showValue(run.byParam)} (${declared(params)})`, run.byParam, ['role', 'by_param']);
    return;
  }
  if (param.enum === undefined) {
    fail(ctx, `param ${run.byParam} has no enum: a role per value needs the values listed`, run.byParam, ['role', 'by_param']);
    return;
  }
  const choices = param.enum.map(String);
  for (const value of Object.keys(run.values)) {
    if (!choices.includes(value)) fail(ctx, `${showValue(value)} is not a value of ${run.byParam} (one of ${choices.join(', ')})`, value, ['role', 'values', value], 'key');
  }
}

/** A scheduled run has nobody to ask: its params must be complete and valid as written. */
export function checkScheduleParams(
  given: Record<string, string | number | boolean>,
  params: Record<string, ParamDefinition>,
  index: number,
  ctx: Ctx,
): Record<string, string | number | boolean> {
  const at = ['triggers', 'schedule', index, 'params'];
  const typed: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(given)) {
    const param = Object.hasOwn(params, name) ? params[name] : undefined;
    if (param === undefined) {
      fail(ctx, `unknown param (${declared(params)})`, value, [...at, name], 'key');
      continue;
    }
    const checked = checkParamValue(param, value);
    if (checked.ok) typed[name] = checked.value;
    else fail(ctx, checked.message, value, [...at, name]);
  }
  for (const [name, param] of Object.entries(params)) {
    if (param.required && param.default === undefined && !Object.hasOwn(given, name)) {
      fail(ctx, `missing required param ${name}: a scheduled run has nobody to ask for it`, given, at);
    }
  }
  return typed;
}

function declared(params: Record<string, ParamDefinition>): string {
  const names = Object.keys(params);
  return names.length === 0 ? 'this workflow declares no params' : `declared: ${names.join(', ')}`;
}

export function checkStepIds(steps: readonly Step[], ctx: Ctx): void {
  const seen = new Map<string, string>();
  walkSteps(steps, (step, path) => {
    const first = seen.get(step.id);
    if (first !== undefined) fail(ctx, `step id ${step.id} is used twice (first at ${first}); ids are unique in the whole workflow`, step.id, [...path, 'id']);
    else seen.set(step.id, dottedPath(path));
  });
}

// --- references in templates (best effort: a regular expression over each expression) ----------

interface TemplateSite {
  path: PropertyKey[];
  value: string;
  /** Evaluated once the step has finished (outputs, undo): a parallel step's branches have run by then. */
  after: boolean;
  /** The undo runs after its own step, so it may read that step's outputs. */
  inUndo: boolean;
}

function templateSites(step: Step): TemplateSite[] {
  const sites: TemplateSite[] = [];
  const add = (value: unknown, path: PropertyKey[], when: 'before' | 'after' | 'undo' = 'before') => {
    for (const found of stringsIn(value)) sites.push({ value: found.text, path: [...path, ...found.path], after: when !== 'before', inUndo: when === 'undo' });
  };
  add(step.when, ['when']);
  add(step.outputs, ['outputs'], 'after');
  add(step.undo?.with, ['undo', 'with'], 'undo');
  if (step.kind === 'action') {
    add(step.forEach?.items, ['for_each']);
    add(step.with, ['with']);
  }
  if (step.kind === 'approval') add(step.message, ['approval', 'message']);
  return sites;
}

function expressionsIn(value: string): string[] {
  const scan = scanTemplates(value);
  return scan.ok ? scan.segments.flatMap((segment) => (typeof segment === 'string' ? [] : [segment.expression])) : [];
}

const STRING_LITERAL = /[rRbB]{0,2}('''[\s\S]*?'''|"""[\s\S]*?"""|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g;

/** Names read as `root.<name>` or `root['<name>']` in a CEL expression. */
function namesUnder(root: 'steps' | 'params', expression: string): Array<{ name: string; dotted: boolean }> {
  const names: Array<{ name: string; dotted: boolean }> = [];
  for (const match of expression.matchAll(new RegExp(`(?<![\\w.])${root}\\s*\\[\\s*(['"])([^'"]*)\\1\\s*\\]`, 'g'))) {
    names.push({ name: match[2] ?? '', dotted: false });
  }
  // Literal text is not a reference: `'steps.x'` in a message stays text.
  const code = expression.replace(STRING_LITERAL, '""');
  for (const match of code.matchAll(new RegExp(`(?<![\\w.])${root}\\s*\\.\\s*([A-Za-z_][\\w-]*)`, 'g'))) {
    names.push({ name: match[1] ?? '', dotted: true });
  }
  return names;
}

export function checkReferences(steps: readonly Step[], params: Record<string, ParamDefinition>, concurrency: Concurrency | undefined, ctx: Ctx): void {
  const all = new Set<string>();
  walkSteps(steps, (step) => all.add(step.id));

  const checkParams = (site: TemplateSite) => {
    for (const expression of expressionsIn(site.value)) {
      for (const { name } of namesUnder('params', expression)) {
        if (!Object.hasOwn(params, name)) fail(ctx, `params.${name}: no such param (${declared(params)})`, site.value, site.path);
      }
    }
  };

  const checkSite = (site: TemplateSite, before: ReadonlySet<string>, self: string) => {
    checkParams(site);
    for (const expression of expressionsIn(site.value)) {
      for (const ref of namesUnder('steps', expression)) {
        let name = ref.name;
        if (ref.dotted && name.includes('-')) {
          // In CEL `steps.build-image` is `steps.build - image`: say how to write it.
          if (all.has(name)) {
            fail(ctx, `write steps['${name}'] (in steps.${name} the - is a subtraction)`, site.value, site.path);
            continue;
          }
          name = name.slice(0, name.indexOf('-'));
        }
        if (before.has(name) || (site.inUndo && name === self)) continue;
        const why = !all.has(name) ? 'no step has this id' : name === self ? 'a step cannot read its own outputs' : 'that step has not run yet here (it comes later, or in a parallel branch)';
        fail(ctx, `steps.${name}: ${why}`, site.value, site.path);
      }
    }
  };

  /** `before`: ids of the steps certainly finished when these steps start; gains each as it passes. */
  const visit = (list: readonly Step[], path: PropertyKey[], before: Set<string>) => {
    list.forEach((step, i) => {
      const at = [...path, i];
      const sites = templateSites(step).map((site) => ({ ...site, path: [...at, ...site.path] }));
      for (const site of sites) if (!site.after) checkSite(site, before, step.id);
      if (step.kind === 'parallel') {
        step.branches.forEach((branch, b) => visit(branch, [...at, 'parallel', b], new Set(before)));
        walkSteps(step.branches.flat(), (inner) => before.add(inner.id));
      }
      for (const site of sites) if (site.after) checkSite(site, before, step.id);
      before.add(step.id);
    });
  };
  visit(steps, ['steps'], new Set());

  if (concurrency !== undefined) {
    const site = { value: concurrency.key, path: ['concurrency', 'key'], after: false, inUndo: false };
    checkParams(site);
    for (const expression of expressionsIn(concurrency.key)) {
      if (namesUnder('steps', expression).length > 0) fail(ctx, 'the concurrency key is known before any step runs: use params only', concurrency.key, site.path);
    }
  }
}
