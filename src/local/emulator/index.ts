import { createActivity } from './activity.ts';
import { createAppDelivery } from './app-delivery.ts';
import { DEFAULT_APP_ID, DEFAULT_BOT, DEFAULT_TEAM, DEFAULT_USERGROUPS, DEFAULT_USERS, defaultChannels } from './defaults.ts';
import { createIds } from './ids.ts';
import { VERIFICATION_TOKEN } from './payloads.ts';
import { createPersonActions } from './person-actions.ts';
import { createRateLimiter } from './rate-limits.ts';
import { createResponseUrls } from './response-urls.ts';
import { createSocketModeHub } from './socket-mode.ts';
import { createTriggerIds } from './trigger-ids.ts';
import type { EmulatedMessage, EmulatorOptions, RecordedCall, SlackEmulator } from './types.ts';
import { createWebApiServer, type Interceptor } from './web-api-server.ts';
import { createWorkspaceState } from './workspace-state.ts';

export type * from './types.ts';
export { validateBlocks, validateView, problemsToResponse } from './block-limits.ts';
export { DEFAULT_RATE_LIMITS } from './rate-limits.ts';
export { signRequest } from './signing.ts';
export { DEFAULT_APP_ID, DEFAULT_BOT, DEFAULT_TEAM, DEFAULT_USERS, DEFAULT_USERGROUPS, defaultChannels } from './defaults.ts';

const DEFAULT_ACK_TIMEOUT_MS = 3_000;

/**
 * A Slack workspace on loopback: the Web API the real WebClient calls, plus the people who send
 * the app commands, mentions, clicks and submissions. Nothing listens until start().
 */
export function createSlackEmulator(options: EmulatorOptions): SlackEmulator {
  const clock = options.clock;
  const ids = createIds(clock);
  const bot = options.bot ?? DEFAULT_BOT;
  const state = createWorkspaceState({
    team: options.team ?? DEFAULT_TEAM,
    bot,
    appId: options.appId ?? DEFAULT_APP_ID,
    users: options.users ?? DEFAULT_USERS,
    channels: options.channels ?? defaultChannels(bot.userId, (options.users ?? DEFAULT_USERS).map((u) => u.id)),
    usergroups: options.usergroups ?? DEFAULT_USERGROUPS,
    ids,
  });
  const activity = createActivity();
  const calls: RecordedCall[] = [];
  let baseUrl: string | undefined;
  const base = () => {
    if (!baseUrl) throw new Error('Slack emulator: not started (await emulator.start() first)');
    return baseUrl;
  };

  const socket = createSocketModeHub({ ids, appId: state.appId, onActivity: () => activity.touch() });
  const delivery = createAppDelivery({
    signingSecret: options.signingSecret,
    clock,
    socket,
    activity,
    ackTimeoutMs: options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
  });
  const triggers = createTriggerIds(clock, ids);
  // echo is wired after the person actions exist; both need each other's products.
  let echo: (message: EmulatedMessage) => void = () => {};
  const responseUrls = createResponseUrls({ state, clock, baseUrl: base, echo: (m) => echo(m) });
  const person = createPersonActions({
    state,
    clock,
    delivery,
    triggers,
    responseUrls,
    payloadWorkspace: { team: state.team, appId: state.appId, botUserId: bot.userId, verificationToken: VERIFICATION_TOKEN },
    baseUrl: base,
  });
  echo = person.echo;
  const rateLimiter = createRateLimiter(clock, options.enforceRateLimits !== false);
  const interceptors = new Map<string, Interceptor>();
  const server = createWebApiServer({
    interceptors,
    state,
    clock,
    rateLimiter,
    triggers,
    socket,
    responseUrls,
    activity,
    botToken: options.botToken,
    ...(options.appToken ? { appToken: options.appToken } : {}),
    calls,
    echo: (m) => echo(m),
  });

  const clone = <T>(v: T): T => structuredClone(v);
  const isTopLevel = (m: EmulatedMessage) => !m.threadTs || m.threadTs === m.ts || !!m.replyBroadcast;

  return {
    intercept(method, hook) {
      if (hook) interceptors.set(method, hook);
      else interceptors.delete(method);
    },
    get apiUrl() {
      return `${base()}/api/`;
    },
    async start() {
      if (!baseUrl) baseUrl = await server.listen();
    },
    async stop() {
      if (baseUrl) await server.close();
    },
    setEventsUrl: (url) => delivery.setEventsUrl(url),

    calls,
    callsTo: (method) => calls.filter((c) => c.method === method),
    messages: (channel) => state.allMessages(channel).filter(isTopLevel).map(clone),
    replies: (channel, threadTs) => state.allMessages(channel).filter((m) => m.threadTs === threadTs && m.ts !== threadTs).map(clone),
    ephemerals: (filter = {}) =>
      state.ephemerals.filter((e) => (!filter.user || e.user === filter.user) && (!filter.channel || e.channel === filter.channel)).map(clone),
    views: () =>
      [...state.views.values()]
        .filter((r) => r.open)
        .map((r) => ({ id: r.id, user: r.user, view: clone(r.view), ...(r.errors ? { errors: { ...r.errors } } : {}) })),
    home: (user) => {
      const h = state.homes.get(user);
      return h ? clone(h) : undefined;
    },
    onChange: (listener) => state.onChange(listener),
    settle: (quietMs = 50, timeoutMs = 10_000) => activity.settle(quietMs, timeoutMs),

    slashCommand: person.slashCommand,
    mention: person.mention,
    userMessage: person.userMessage,
    clickButton: person.clickButton,
    submitView: person.submitView,
    openHome: person.openHome,
    addReaction: person.addReaction,
    messageShortcut: person.messageShortcut,
    sendRaw: async (body, contentType, opts) => (await delivery.send(body, contentType, opts)).response,
    redeliver: (d, retry) => delivery.redeliver(d, retry),
    deliveries: () => delivery.deliveries,
    issueTriggerId: (user) => triggers.issue(user),
    issueResponseUrl: (target) => responseUrls.issue({ ...target }),

    setRateLimit: (method, rule) => rateLimiter.set(method, rule),

    addUser: (user) => {
      state.users.set(user.id, { ...user });
    },
    addChannel: (channel) => {
      state.channels.set(channel.id, { ...channel, members: [...channel.members] });
    },
    channels: () => [...state.channels.values()].map(clone),
    users: () => [...state.users.values()].map(clone),
    botUserId: bot.userId,
    botId: bot.botId,
    teamId: state.team.id,
    appId: state.appId,
    get socketModeConnections() {
      return socket.connections;
    },
  };
}
