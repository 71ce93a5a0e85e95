import type { Clock } from '../../clock.ts';

/**
 * The Slack emulator: a Slack Web API on loopback plus the "Slack side" of a workspace, which
 * signs requests into the app's /slack/events (HTTP mode) or sends envelopes over the Socket Mode
 * WebSocket. It backs the local shell and the "through Slack" test tier, and enforces Slack's
 * documented limits so a test sees what a real workspace would answer.
 */

export interface EmulatedUser {
  id: string;
  name: string;
  /** Workspace guest (single- or multi-channel): Slack's is_restricted / is_ultra_restricted. */
  guest?: boolean;
  /** Member of another workspace (Slack Connect): a different team_id. */
  teamId?: string;
  isBot?: boolean;
  /** With `guest`: a single-channel guest (is_ultra_restricted) rather than a multi-channel one. */
  singleChannelGuest?: boolean;
}

export interface EmulatedChannel {
  id: string;
  name: string;
  isPrivate?: boolean;
  isIm?: boolean;
  /** User ids; the bot user is a member only when listed here (or after conversations.join). */
  members: string[];
}

export interface EmulatorOptions {
  clock: Clock;
  /** Signs requests sent to the app (v0 HMAC). */
  signingSecret: string;
  botToken: string;
  /** When set, apps.connections.open accepts it and Socket Mode is available. */
  appToken?: string;
  team?: { id: string; domain: string };
  bot?: { userId: string; botId: string; name: string };
  users?: EmulatedUser[];
  channels?: EmulatedChannel[];
  usergroups?: Array<{ id: string; handle: string; users: string[] }>;
  /** Rate tiers and per-channel posting limit are enforced unless false. */
  enforceRateLimits?: boolean;
  /** api_app_id of the app; default A0OPSBOT. */
  appId?: string;
  /** How long (real ms) Slack waits for the app's ack before giving up; default 3000, Slack's window. */
  ackTimeoutMs?: number;
}

export interface RecordedCall {
  method: string;
  /** Parsed arguments (form or JSON body), token removed. */
  args: Record<string, unknown>;
  at: number;
  /** What the emulator answered. */
  status: number;
  response: Record<string, unknown>;
}

export interface EmulatedMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  user?: string;
  botId?: string;
  /** e.g. 'bot_message' (integrations, response_url posts), 'file_share'. */
  subtype?: string;
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  /** A thread reply also shown in the channel (reply_broadcast). */
  replyBroadcast?: boolean;
  /** Set when edited by chat.update or a response_url replace. */
  edited?: { at: number; count: number };
  files?: Array<{ id: string; name: string; title?: string; content: string }>;
  reactions?: Array<{ name: string; users: string[] }>;
  pinned?: boolean;
}

export interface EmulatedEphemeral {
  /** The message_ts Slack answers with; clickButton finds ephemeral buttons by it. */
  ts: string;
  channel: string;
  user: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  at: number;
  /** How it was delivered. */
  via: 'chat.postEphemeral' | 'response_url' | 'ack';
}

export interface AppResponse {
  status: number;
  body: string;
  /** Parsed JSON body when the app answered JSON (e.g. an ack with a payload). */
  json?: unknown;
  /**
   * Set when there was no answer: the app did not ack within the ack timeout, could not be reached,
   * or Slack would not have sent the request at all (e.g. a message in a channel the bot is not in).
   */
  error?: 'http_timeout' | 'connection_failed' | 'not_delivered';
}

export interface SignedRequestOptions {
  /** Seconds since the epoch. Default: now by the wall clock (Bolt checks it against Date.now()). */
  timestamp?: number;
  /** Overrides the computed signature (for bad-signature tests). */
  signature?: string;
  headers?: Record<string, string>;
  /** A Slack retry: X-Slack-Retry-Num / X-Slack-Retry-Reason (retry_attempt / retry_reason on Socket Mode). */
  retry?: { num: number; reason: string };
  /** Force the transport; default Socket Mode when a client is connected, else HTTP. */
  via?: 'http' | 'socket';
}

/** One request the emulator sent to the app (kept so tests can inspect and re-send it). */
export interface Delivery {
  id: number;
  kind: 'events_api' | 'slash_commands' | 'interactive';
  contentType: 'application/json' | 'application/x-www-form-urlencoded';
  /** The exact body sent (over Socket Mode: the same body, carried as the envelope's payload). */
  body: string;
  /** Event id of an events_api delivery; a redelivery keeps it. */
  eventId?: string;
  /** Event type (app_mention, message, …), command, or interactive payload type. */
  type: string;
  via: 'http' | 'socket';
  retry?: { num: number; reason: string };
  /** Clock time when sent. */
  at: number;
  /** Set once the app answered (or failed to). */
  response?: AppResponse;
}

/**
 * A Web API rate limit. Slack's tiers are a number of calls per minute per method; chat.postMessage
 * is limited per channel (about one per second, short bursts allowed).
 */
export type RateLimitRule = { perMinute: number } | { perSecond: number; burst: number; per: 'channel' };

export interface SlackEmulator {
  /** Web API base URL ending in `/api/`, for SLACK_API_URL. Throws before start(). */
  readonly apiUrl: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Where signed HTTP requests go, e.g. http://127.0.0.1:3000/slack/events. */
  setEventsUrl(url: string): void;

  // ---- what the app did -------------------------------------------------
  readonly calls: readonly RecordedCall[];
  callsTo(method: string): RecordedCall[];
  /** Top-level messages of a channel, oldest first. */
  messages(channel: string): EmulatedMessage[];
  /** Replies in a thread, oldest first (the parent excluded). */
  replies(channel: string, threadTs: string): EmulatedMessage[];
  ephemerals(filter?: { user?: string; channel?: string }): EmulatedEphemeral[];
  /** Modals currently open (views.open / push, kept current by views.update), with the app's field errors. */
  views(): Array<{ id: string; user: string; view: Record<string, unknown>; errors?: Record<string, string> }>;
  /** App Home as last published per user. */
  home(user: string): Record<string, unknown> | undefined;
  /** Notified on every state change (the local shell redraws from it). */
  onChange(listener: (change: { kind: 'message' | 'update' | 'ephemeral' | 'view' | 'home' | 'file'; channel?: string; ts?: string }) => void): () => void;
  /**
   * Resolves when no delivery to the app is in flight and the app made no call for `quietMs` of real
   * time; rejects after `timeoutMs` (default 10 s) naming what is still busy.
   */
  settle(quietMs?: number, timeoutMs?: number): Promise<void>;

  // ---- what a person does (signed HTTP, or Socket Mode when a client is connected) ----
  slashCommand(args: { user: string; channel: string; text: string; command?: string }): Promise<AppResponse>;
  /**
   * Posts the message (visible in state; `<@bot>` is prefixed when the text lacks it) and delivers
   * app_mention then message, each its own request and event_id. Like Slack, nothing is
   * delivered where the bot is not a member (responses: []); nor when no app is attached; and in
   * a direct message with the bot only the message (Slack sends no app_mention in DMs).
   */
  mention(args: { user: string; channel: string; text: string; threadTs?: string }): Promise<{ ts: string; responses: AppResponse[] }>;
  /**
   * A plain message by a user or an integration (message event; bot_message when botId set).
   * Not delivered (response.error 'not_delivered') where the bot is not a member or no app is attached.
   */
  userMessage(args: { user?: string; botId?: string; channel: string; text: string; threadTs?: string; attachments?: unknown[]; subtype?: string }): Promise<{ ts: string; response: AppResponse }>;
  /**
   * Clicks a button found by action_id on a message (or an ephemeral's blocks, by its ts); throws
   * when there is no such element or the person cannot see the ephemeral.
   */
  clickButton(args: { user: string; channel: string; messageTs: string; actionId: string; value?: string }): Promise<AppResponse>;
  /**
   * Submits an open view with state values keyed block_id → action_id → value (as Slack sends
   * them, e.g. `{ env: { value: { type: 'plain_text_input', value: 'prod' } } }`). The app's ack
   * decides: response_action errors keeps it open (see views()[i].errors), update / push / clear
   * as Slack does, an empty ack closes it.
   */
  submitView(args: { user: string; viewId: string; values: Record<string, Record<string, unknown>> }): Promise<AppResponse>;
  openHome(user: string): Promise<AppResponse>;
  /**
   * Runs a message shortcut (the "⋯ More actions" menu of a message) with `callbackId` on the
   * message `messageTs`: a message_action payload with a trigger_id and a response_url. Like
   * Slack, it works in conversations the bot is not in (the person sees the message, the app gets
   * it in the payload).
   */
  messageShortcut(args: { user: string; channel: string; messageTs: string; callbackId: string }): Promise<AppResponse>;
  addReaction(args: { user: string; channel: string; ts: string; name: string }): Promise<AppResponse>;
  /** Sends a raw body (a fixture) as Slack would: signed unless told otherwise. */
  sendRaw(body: string, contentType: 'application/json' | 'application/x-www-form-urlencoded', options?: SignedRequestOptions): Promise<AppResponse>;
  /**
   * Re-sends a delivery as a Slack retry: same body and event_id, with X-Slack-Retry-Num (default
   * the delivery's + 1) and X-Slack-Retry-Reason (default http_timeout). Default: the last delivery.
   */
  redeliver(delivery?: Delivery, retry?: { num?: number; reason?: string }): Promise<AppResponse>;
  /** Everything sent to the app, oldest first (including echoes of the bot's own messages). */
  deliveries(): readonly Delivery[];
  /** A trigger_id as Slack issues with an interaction (valid 3 s of clock time), for the shell and tests. */
  issueTriggerId(user: string): string;
  /**
   * A response_url as Slack issues with a slash command or a click (answers land as `user`'s
   * ephemerals in `channel`; 5 uses within 30 minutes), for requests built from fixtures.
   */
  issueResponseUrl(target: { user: string; channel: string; threadTs?: string }): string;

  // ---- limits ----------------------------------------------------------------
  /** Overrides one method's rate limit; null removes it. Tests lower a tier to provoke a 429 cheaply. */
  setRateLimit(method: string, rule: RateLimitRule | null): void;

  /**
   * Runs `hook` before `method` answers (after authentication): it may wait (a slow backend, a
   * request held while a test kills the app) and may return a response to send instead of the
   * method's own. `null` removes the hook.
   */
  intercept(method: string, hook: ((args: Record<string, unknown>) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void) | null): void;

  // ---- workspace setup --------------------------------------------------
  addUser(user: EmulatedUser): void;
  addChannel(channel: EmulatedChannel): void;
  channels(): EmulatedChannel[];
  users(): EmulatedUser[];
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly appId: string;
  /** Socket Mode connections currently open. */
  readonly socketModeConnections: number;
}
