/**
 * Block Kit's documented limits, checked the way Slack checks them, with Slack's wording: every
 * problem is a short sentence plus the JSON pointer of the offending value, e.g.
 * `must be less than 3001 characters [json-pointer:/blocks/3/text/text]`. Pure (no I/O, no
 * state) so it can be tested on its own and reused by every method that accepts blocks.
 *
 * Not a full schema: it enforces the limits an app is likely to hit (counts, lengths, ids) and
 * the structural rules whose violation Slack rejects outright (a section without text or fields,
 * a header that is not plain_text). Unknown element types pass, unknown block types do not.
 */

export type BlockSurface = 'message' | 'modal' | 'home';

export interface BlockProblem {
  message: string;
  pointer: string;
}

/** Slack's blocks-per-surface limits. */
export const MAX_BLOCKS: Record<BlockSurface, number> = { message: 50, modal: 100, home: 100 };
/** chat.postMessage / chat.update text. */
export const MAX_MESSAGE_TEXT = 40_000;

const KNOWN_BLOCKS = new Set([
  'actions',
  'context',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
  'call',
  'context_actions',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Scope {
  problems: BlockProblem[];
  blockIds: Set<string>;
  /** action_ids seen; reset per block in views (state is keyed block → action there). */
  actionIds: Set<string>;
  surface: BlockSurface;
}

/** Slack's sentence for a string longer than `max`. */
const tooLong = (max: number) => `must be less than ${max + 1} characters`;
const tooMany = (max: number) => `no more than ${max} items allowed`;

function add(scope: Scope, message: string, pointer: string): void {
  scope.problems.push({ message, pointer });
}

function checkString(scope: Scope, value: unknown, pointer: string, max: number, required = false): void {
  if (value === undefined || value === null) {
    if (required) add(scope, `missing required field: ${lastSegment(pointer)}`, parentOf(pointer));
    return;
  }
  if (typeof value !== 'string') {
    add(scope, 'must be a string', pointer);
    return;
  }
  if (value.length > max) add(scope, tooLong(max), pointer);
}

/** A text composition object; `plainOnly` where Slack requires plain_text (header, button, labels). */
function checkText(scope: Scope, value: unknown, pointer: string, max: number, opts: { plainOnly?: boolean; required?: boolean } = {}): void {
  if (value === undefined || value === null) {
    if (opts.required) add(scope, `missing required field: ${lastSegment(pointer)}`, parentOf(pointer));
    return;
  }
  if (!isObj(value)) {
    add(scope, 'must provide an object', pointer);
    return;
  }
  const allowed = opts.plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (typeof value.type !== 'string' || !allowed.includes(value.type)) {
    add(scope, `unsupported type: ${String(value.type)}`, `${pointer}/type`);
  }
  if (typeof value.text !== 'string') {
    add(scope, 'missing required field: text', pointer);
  } else if (value.text.length === 0) {
    add(scope, 'must be more than 0 characters', `${pointer}/text`);
  } else if (value.text.length > max) {
    add(scope, tooLong(max), `${pointer}/text`);
  }
}

function checkActionId(scope: Scope, element: Obj, pointer: string): void {
  const id = element.action_id;
  if (id === undefined) return;
  if (typeof id !== 'string') return add(scope, 'must be a string', `${pointer}/action_id`);
  if (id.length > 255) add(scope, tooLong(255), `${pointer}/action_id`);
  if (scope.actionIds.has(id)) add(scope, `\`action_id\` "${id}" already exists`, `${pointer}/action_id`);
  scope.actionIds.add(id);
}

function checkOptions(scope: Scope, options: unknown, pointer: string, max: number, min = 0): void {
  if (options === undefined) return;
  if (!Array.isArray(options)) return add(scope, 'must provide an array', pointer);
  if (options.length > max) add(scope, tooMany(max), pointer);
  if (options.length < min) add(scope, `must provide at least ${min} items`, pointer);
  options.forEach((o, i) => {
    const p = `${pointer}/${i}`;
    if (!isObj(o)) return add(scope, 'must provide an object', p);
    checkText(scope, o.text, `${p}/text`, 75, { required: true });
    // Slack's option object: value at most 150 characters (a button's value may be 2000).
    checkString(scope, o.value, `${p}/value`, 150);
    checkText(scope, o.description, `${p}/description`, 75);
    checkString(scope, o.url, `${p}/url`, 3000);
  });
}

function checkElement(scope: Scope, element: unknown, pointer: string): void {
  if (!isObj(element)) return add(scope, 'must provide an object', pointer);
  if (typeof element.type !== 'string') return add(scope, 'missing required field: type', pointer);
  checkActionId(scope, element, pointer);
  checkText(scope, element.placeholder, `${pointer}/placeholder`, 150, { plainOnly: true });
  switch (element.type) {
    case 'button':
      checkText(scope, element.text, `${pointer}/text`, 75, { plainOnly: true, required: true });
      checkString(scope, element.value, `${pointer}/value`, 2000);
      checkString(scope, element.url, `${pointer}/url`, 3000);
      checkString(scope, element.accessibility_label, `${pointer}/accessibility_label`, 75);
      if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
        add(scope, `unsupported style: ${String(element.style)}`, `${pointer}/style`);
      }
      break;
    case 'static_select':
    case 'multi_static_select':
      checkOptions(scope, element.options, `${pointer}/options`, 100);
      if (Array.isArray(element.option_groups)) {
        if (element.option_groups.length > 100) add(scope, tooMany(100), `${pointer}/option_groups`);
        element.option_groups.forEach((g, i) => {
          if (isObj(g)) checkOptions(scope, g.options, `${pointer}/option_groups/${i}/options`, 100);
        });
      }
      break;
    case 'overflow':
      checkOptions(scope, element.options, `${pointer}/options`, 5, 1);
      break;
    case 'radio_buttons':
    case 'checkboxes':
      checkOptions(scope, element.options, `${pointer}/options`, 10);
      break;
    case 'image':
      checkString(scope, element.alt_text, `${pointer}/alt_text`, 2000, true);
      checkString(scope, element.image_url, `${pointer}/image_url`, 3000);
      break;
    default:
      break;
  }
}

function checkBlock(scope: Scope, block: unknown, pointer: string): void {
  if (!isObj(block)) return add(scope, 'must provide an object', pointer);
  const type = block.type;
  if (typeof type !== 'string') return add(scope, 'missing required field: type', pointer);
  if (!KNOWN_BLOCKS.has(type)) return add(scope, `unsupported type: ${type}`, `${pointer}/type`);

  if (block.block_id !== undefined) {
    const id = block.block_id;
    if (typeof id !== 'string') add(scope, 'must be a string', `${pointer}/block_id`);
    else {
      if (id.length > 255) add(scope, tooLong(255), `${pointer}/block_id`);
      if (scope.blockIds.has(id)) add(scope, `\`block_id\` "${id}" already exists`, `${pointer}/block_id`);
      scope.blockIds.add(id);
    }
  }
  // In views, view.state is keyed block_id → action_id, so an action_id need only be unique in
  // its block; in messages Slack rejects a repeat anywhere in the message.
  if (scope.surface !== 'message') scope.actionIds = new Set();

  switch (type) {
    case 'section': {
      const hasText = block.text !== undefined;
      const hasFields = block.fields !== undefined;
      if (!hasText && !hasFields) add(scope, 'must provide either text or fields', pointer);
      if (hasText) checkText(scope, block.text, `${pointer}/text`, 3000);
      if (hasFields) {
        if (!Array.isArray(block.fields)) add(scope, 'must provide an array', `${pointer}/fields`);
        else {
          if (block.fields.length > 10) add(scope, tooMany(10), `${pointer}/fields`);
          block.fields.forEach((f, i) => checkText(scope, f, `${pointer}/fields/${i}`, 2000));
        }
      }
      if (block.accessory !== undefined) checkElement(scope, block.accessory, `${pointer}/accessory`);
      break;
    }
    case 'header':
      checkText(scope, block.text, `${pointer}/text`, 150, { plainOnly: true, required: true });
      break;
    case 'context': {
      if (!Array.isArray(block.elements)) {
        add(scope, block.elements === undefined ? 'missing required field: elements' : 'must provide an array', block.elements === undefined ? pointer : `${pointer}/elements`);
        break;
      }
      if (block.elements.length > 10) add(scope, tooMany(10), `${pointer}/elements`);
      block.elements.forEach((e, i) => {
        const p = `${pointer}/elements/${i}`;
        if (isObj(e) && e.type === 'image') checkElement(scope, e, p);
        else checkText(scope, e, p, 3000);
      });
      break;
    }
    case 'actions': {
      if (!Array.isArray(block.elements)) {
        add(scope, block.elements === undefined ? 'missing required field: elements' : 'must provide an array', block.elements === undefined ? pointer : `${pointer}/elements`);
        break;
      }
      if (block.elements.length > 25) add(scope, tooMany(25), `${pointer}/elements`);
      if (block.elements.length === 0) add(scope, 'must provide at least 1 items', `${pointer}/elements`);
      block.elements.forEach((e, i) => checkElement(scope, e, `${pointer}/elements/${i}`));
      break;
    }
    case 'image':
      checkString(scope, block.alt_text, `${pointer}/alt_text`, 2000, true);
      checkString(scope, block.image_url, `${pointer}/image_url`, 3000);
      checkText(scope, block.title, `${pointer}/title`, 2000, { plainOnly: true });
      break;
    case 'input':
      checkText(scope, block.label, `${pointer}/label`, 2000, { plainOnly: true, required: true });
      checkText(scope, block.hint, `${pointer}/hint`, 2000, { plainOnly: true });
      if (block.element === undefined) add(scope, 'missing required field: element', pointer);
      else checkElement(scope, block.element, `${pointer}/element`);
      break;
    case 'markdown':
      checkString(scope, block.text, `${pointer}/text`, 12_000, true);
      break;
    default:
      break;
  }
}

/**
 * Problems with a blocks array on a surface; empty when Slack would accept it. `pointer` is where
 * the array sits in the request (`/blocks` for messages, `/view/blocks` for views).
 */
export function validateBlocks(blocks: unknown, surface: BlockSurface, pointer = '/blocks'): BlockProblem[] {
  const scope: Scope = { problems: [], blockIds: new Set(), actionIds: new Set(), surface };
  if (!Array.isArray(blocks)) {
    add(scope, 'must provide an array', pointer);
    return scope.problems;
  }
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) add(scope, tooMany(max), pointer);
  blocks.forEach((b, i) => checkBlock(scope, b, `${pointer}/${i}`));
  return scope.problems;
}

/**
 * Problems with a view (views.open/update/push: modal; views.publish: home). Slack answers these
 * with `invalid_arguments` and pointers under `/view`.
 */
export function validateView(view: unknown, expected: 'modal' | 'home'): BlockProblem[] {
  const scope: Scope = { problems: [], blockIds: new Set(), actionIds: new Set(), surface: expected };
  if (!isObj(view)) {
    add(scope, 'must provide an object', '/view');
    return scope.problems;
  }
  if (view.type !== expected) add(scope, `unsupported type: ${String(view.type)}`, '/view/type');
  if (expected === 'modal') {
    checkText(scope, view.title, '/view/title', 24, { plainOnly: true, required: true });
    checkText(scope, view.submit, '/view/submit', 24, { plainOnly: true });
    checkText(scope, view.close, '/view/close', 24, { plainOnly: true });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) add(scope, 'must provide submit when input blocks are present', '/view');
  }
  checkString(scope, view.private_metadata, '/view/private_metadata', 3000);
  checkString(scope, view.callback_id, '/view/callback_id', 255);
  checkString(scope, view.external_id, '/view/external_id', 255);
  if (view.blocks === undefined) add(scope, 'missing required field: blocks', '/view');
  else scope.problems.push(...validateBlocks(view.blocks, expected, '/view/blocks'));
  return scope.problems;
}

/** Slack's error body fields for a list of problems: `errors` and `response_metadata.messages`. */
export function problemsToResponse(problems: readonly BlockProblem[]): { errors: string[]; response_metadata: { messages: string[] } } {
  const errors = problems.map((p) => `${p.message} [json-pointer:${p.pointer}]`);
  return { errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } };
}

function lastSegment(pointer: string): string {
  return pointer.slice(pointer.lastIndexOf('/') + 1);
}
function parentOf(pointer: string): string {
  const i = pointer.lastIndexOf('/');
  return i <= 0 ? pointer : pointer.slice(0, i);
}
