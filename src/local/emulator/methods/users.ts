import { str } from '../request-body.ts';
import { userObject } from '../wire-format.ts';
import type { MethodHandler } from './context.ts';
import { fail, ok } from './context.ts';

/** users.* and usergroups.* — who someone is (guest? other workspace? bot?) and who is in a group. */

const info: MethodHandler = (args, ctx) => {
  const id = str(args, 'user');
  const user = id ? ctx.state.users.get(id) : undefined;
  if (!user) return fail('user_not_found');
  return ok({ user: userObject(ctx.state, user) });
};

const list: MethodHandler = (_args, ctx) => ok({
  members: [...ctx.state.users.values()].map((u) => userObject(ctx.state, u)),
  cache_ts: Math.floor(ctx.clock.now() / 1000),
  response_metadata: { next_cursor: '' },
});

const usergroupUsers: MethodHandler = (args, ctx) => {
  const id = str(args, 'usergroup');
  const group = id ? ctx.state.usergroups.get(id) : undefined;
  if (!group) return fail('no_such_subteam');
  return ok({ users: [...group.users] });
};

export const usersMethods: Record<string, MethodHandler> = {
  'users.info': info,
  'users.list': list,
  'usergroups.users.list': usergroupUsers,
};
