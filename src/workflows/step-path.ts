import type { ActionStep, Step } from './definition.ts';

/**
 * Where a step execution unit sits in its run, as one string stored with it:
 * - `deploy`: a top-level step, by id;
 * - `checks/0/lint`: step `lint` of branch 0 of parallel step `checks` (nests further);
 * - `notify[2]`: item 2 of for_each step `notify`.
 */

export function branchPath(parallelPath: string, branch: number): string {
  return `${parallelPath}/${branch}`;
}

/** The path of `id` in the list at `listPath` ('' for the top-level list). */
export function stepPath(listPath: string, id: string): string {
  return listPath === '' ? id : `${listPath}/${id}`;
}

export function itemPath(forEachPath: string, index: number): string {
  return `${forEachPath}[${index}]`;
}

const ITEM = /^(.*)\[(\d+)\]$/;

/** `notify[2]` → { parent: 'notify', index: 2 }; undefined for a path that is not an item. */
export function parseItemPath(path: string): { parent: string; index: number } | undefined {
  const match = ITEM.exec(path);
  return match ? { parent: match[1] ?? '', index: Number(match[2]) } : undefined;
}

/** The id a path's step is known by in expressions (`steps.<id>`): its last segment. */
export function stepIdOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export interface IndexedStep {
  step: Step;
  /** 0 for top-level steps, +1 inside each parallel branch. */
  depth: number;
}

export type StepIndex = ReadonlyMap<string, IndexedStep>;

/** Every step of a definition by path, in definition order (items are not listed: see stepAt). */
export function indexSteps(steps: readonly Step[]): StepIndex {
  const index = new Map<string, IndexedStep>();
  const walk = (list: readonly Step[], listPath: string, depth: number) => {
    for (const step of list) {
      const path = stepPath(listPath, step.id);
      index.set(path, { step, depth });
      if (step.kind === 'parallel') step.branches.forEach((branch, i) => walk(branch, branchPath(path, i), depth + 1));
    }
  };
  walk(steps, '', 0);
  return index;
}

export interface LocatedStep {
  step: Step;
  /** For an item: the for_each step's path and the item's position. */
  item?: { parent: string; index: number };
}

/** The step a path executes: an item path resolves to its for_each step. */
export function stepAt(index: StepIndex, path: string): LocatedStep | undefined {
  const direct = index.get(path);
  if (direct) return { step: direct.step };
  const item = parseItemPath(path);
  if (!item) return undefined;
  const parent = index.get(item.parent)?.step;
  return parent?.kind === 'action' && parent.forEach ? { step: parent, item } : undefined;
}

/** The top-level step a path belongs to (`checks/0/lint` → `checks`, `notify[2]` → `notify`). */
export function topLevelId(path: string): string {
  const slash = path.indexOf('/');
  const head = slash === -1 ? path : path.slice(0, slash);
  return parseItemPath(head)?.parent ?? head;
}

/** An action step that runs once per item. */
export function isForEach(step: Step): step is ActionStep & { forEach: NonNullable<ActionStep['forEach']> } {
  return step.kind === 'action' && step.forEach !== undefined;
}
