import { problemsToResponse, validateView } from '../block-limits.ts';
import type { Args } from '../request-body.ts';
import { jsonArg, str } from '../request-body.ts';
import type { ViewRecord } from '../workspace-state.ts';
import type { MethodContext, MethodHandler, MethodResult } from './context.ts';
import { fail, ok } from './context.ts';

/**
 * views.open / push / update / publish. Modals need a fresh trigger_id the emulator issued
 * (3 s, single use); a bad view is answered as Slack answers it: `invalid_arguments` with
 * json-pointers under /view.
 */

type Obj = Record<string, unknown>;

/** Slack allows three modals in a stack. */
const MAX_STACK = 3;

function viewArg(args: Args, expected: 'modal' | 'home'): { view: Obj } | { error: MethodResult } {
  const v = jsonArg(args, 'view');
  if (!v.present) return { error: fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: view'] } }) };
  if (!v.ok) return { error: fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] invalid JSON [json-pointer:/view]'] } }) };
  const problems = validateView(v.value, expected);
  if (problems.length) return { error: fail('invalid_arguments', problemsToResponse(problems)) };
  return { view: v.value as Obj };
}

/** The view as Slack stores and returns it. */
export function materialiseView(ctx: Pick<MethodContext, 'state' | 'clock'>, input: Obj, id: string, rootId: string, previousId: string | undefined): Obj {
  return {
    id,
    team_id: ctx.state.team.id,
    type: input.type,
    blocks: input.blocks ?? [],
    private_metadata: input.private_metadata ?? '',
    callback_id: input.callback_id ?? '',
    state: { values: {} },
    hash: `${Math.floor(ctx.clock.now() / 1000)}.${ctx.state.ids.hex(4)}`,
    title: input.title ?? null,
    clear_on_close: !!input.clear_on_close,
    notify_on_close: !!input.notify_on_close,
    close: input.close ?? null,
    submit: input.submit ?? null,
    previous_view_id: previousId ?? null,
    root_view_id: rootId,
    app_id: ctx.state.appId,
    external_id: input.external_id ?? '',
    app_installed_team_id: ctx.state.team.id,
    bot_id: ctx.state.bot.botId,
  };
}

const open: MethodHandler = (args, ctx) => {
  const trigger = ctx.triggers.consume(str(args, 'trigger_id') ?? '');
  if (!trigger.ok) return fail(trigger.error);
  const v = viewArg(args, 'modal');
  if ('error' in v) return v.error;
  const id = ctx.state.ids.id('V');
  const record: ViewRecord = { id, user: trigger.user, view: materialiseView(ctx, v.view, id, id, undefined), rootId: id, open: true };
  ctx.state.views.set(id, record);
  ctx.state.emit({ kind: 'view' });
  return ok({ view: record.view });
};

const push: MethodHandler = (args, ctx) => {
  const trigger = ctx.triggers.consume(str(args, 'trigger_id') ?? '');
  if (!trigger.ok) return fail(trigger.error);
  const stack = [...ctx.state.views.values()].filter((r) => r.open && r.user === trigger.user);
  const top = stack[stack.length - 1];
  if (!top) return fail('not_found');
  if (stack.filter((r) => r.rootId === top.rootId).length >= MAX_STACK) return fail('push_limit_reached');
  const v = viewArg(args, 'modal');
  if ('error' in v) return v.error;
  const id = ctx.state.ids.id('V');
  const record: ViewRecord = { id, user: trigger.user, view: materialiseView(ctx, v.view, id, top.rootId, top.id), rootId: top.rootId, previousId: top.id, open: true };
  ctx.state.views.set(id, record);
  ctx.state.emit({ kind: 'view' });
  return ok({ view: record.view });
};

const update: MethodHandler = (args, ctx) => {
  const viewId = str(args, 'view_id');
  const externalId = str(args, 'external_id');
  if (!viewId && !externalId) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] either view_id or external_id is required'] } });
  const matches = (view: Obj, id: string) => (viewId ? id === viewId : view.external_id === externalId);

  // A published Home tab can be updated by id too.
  for (const [user, home] of ctx.state.homes) {
    if (!matches(home, String(home.id))) continue;
    const v = viewArg(args, 'home');
    if ('error' in v) return v.error;
    const hash = str(args, 'hash');
    if (hash && hash !== home.hash) return fail('hash_conflict');
    const next = materialiseView(ctx, v.view, String(home.id), String(home.id), undefined);
    ctx.state.homes.set(user, next);
    ctx.state.emit({ kind: 'home' });
    return ok({ view: next });
  }

  const record = [...ctx.state.views.values()].find((r) => matches(r.view, r.id));
  if (!record || !record.open) return fail('not_found');
  const hash = str(args, 'hash');
  if (hash && hash !== record.view.hash) return fail('hash_conflict');
  const v = viewArg(args, 'modal');
  if ('error' in v) return v.error;
  record.view = materialiseView(ctx, v.view, record.id, record.rootId, record.previousId);
  delete record.errors;
  ctx.state.emit({ kind: 'view' });
  return ok({ view: record.view });
};

const publish: MethodHandler = (args, ctx) => {
  const user = str(args, 'user_id');
  if (!user || !ctx.state.users.has(user)) return fail('user_not_found');
  const v = viewArg(args, 'home');
  if ('error' in v) return v.error;
  const previous = ctx.state.homes.get(user);
  const hash = str(args, 'hash');
  if (hash && previous && hash !== previous.hash) return fail('hash_conflict');
  const id = previous ? String(previous.id) : ctx.state.ids.id('V');
  const view = materialiseView(ctx, v.view, id, id, undefined);
  ctx.state.homes.set(user, view);
  ctx.state.emit({ kind: 'home' });
  return ok({ view });
};

export const viewsMethods: Record<string, MethodHandler> = {
  'views.open': open,
  'views.push': push,
  'views.update': update,
  'views.publish': publish,
};
