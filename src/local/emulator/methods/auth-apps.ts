import { SOCKET_MODE_PATH } from '../socket-mode.ts';
import type { MethodHandler } from './context.ts';
import { fail, ok } from './context.ts';

/** auth.test (who the token is) and apps.connections.open (the Socket Mode URL). */

const authTest: MethodHandler = (_args, ctx) => ok({
  url: `https://${ctx.state.team.domain}.slack.com/`,
  team: ctx.state.team.domain,
  user: ctx.state.bot.name,
  team_id: ctx.state.team.id,
  user_id: ctx.state.bot.userId,
  bot_id: ctx.state.bot.botId,
  is_enterprise_install: false,
});

const connectionsOpen: MethodHandler = (_args, ctx) => {
  // Only an app-level token (xapp-) may open a connection; the server rejects other tokens first.
  if (ctx.token !== 'app') return fail('not_allowed_token_type');
  const ws = ctx.baseUrl.replace(/^http/, 'ws');
  return ok({ url: `${ws}${SOCKET_MODE_PATH}?ticket=${ctx.socket.issueTicket()}&app_id=${ctx.state.appId}` });
};

export const authAppsMethods: Record<string, MethodHandler> = {
  'auth.test': authTest,
  'apps.connections.open': connectionsOpen,
};

/** Methods an app-level token may call; everything else needs the bot token. */
export const APP_TOKEN_METHODS = new Set(['apps.connections.open']);
