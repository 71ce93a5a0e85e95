import type { RequestListener } from 'node:http';
import { App, type AppOptions, HTTPReceiver, type Logger as SlackLogger, type ReceiverEvent, SocketModeReceiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { AcceptedRequest } from './inbox-worker.ts';
import type { Intake } from './intake.ts';

/**
 * Bolt acknowledges Events API requests before any middleware or listener runs, so durability
 * cannot live in a listener. Receivers hand every request to `app.processEvent`; this is where
 * opsbot records it (synchronously) before Bolt — or opsbot itself — acknowledges it.
 */
class DurableApp extends App {
  readonly #intake: Intake;
  readonly #onAccepted: (inboxId: number, request: AcceptedRequest) => void;
  readonly #onAck: ((ms: number) => void) | undefined;

  constructor(options: AppOptions, intake: Intake, onAccepted: (inboxId: number, request: AcceptedRequest) => void, onAck?: (ms: number) => void) {
    super(options);
    this.#intake = intake;
    this.#onAccepted = onAccepted;
    this.#onAck = onAck;
  }

  override async processEvent(event: ReceiverEvent): Promise<void> {
    const started = performance.now();
    const timedEvent = this.#onAck ? withAckTiming(event, () => this.#onAck?.(performance.now() - started)) : event;
    const body = timedEvent.body as Record<string, unknown>;
    const result = this.#intake.accept(body);
    if (result.outcome !== 'accepted') {
      // Retries of recorded requests and requests that are not opsbot's work: acknowledge only.
      await timedEvent.ack();
      return;
    }
    try {
      await super.processEvent(timedEvent);
    } finally {
      this.#onAccepted(result.inboxId, { kind: result.kind, body });
    }
  }
}

function withAckTiming(event: ReceiverEvent, observe: () => void): ReceiverEvent {
  let observed = false;
  const ack = event.ack;
  return {
    ...event,
    ack: async (response) => {
      await ack(response);
      if (!observed) {
        observed = true;
        observe();
      }
    },
  };
}

export interface BoltSlack {
  app: App;
  /** HTTP mode: mount on /slack/events. Socket Mode: undefined. */
  requestListener: RequestListener | undefined;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface BoltOptions {
  mode: 'http' | 'socket';
  botToken: string;
  signingSecret: string | undefined;
  appToken: string | undefined;
  command: string;
  bot: { userId: string; botId: string };
  clientOptions: WebClientOptions;
  logger: SlackLogger;
  intake: Intake;
  onAccepted: (inboxId: number, request: AcceptedRequest) => void;
  onAck?: (ms: number) => void;
  /**
   * Field errors of a submitted modal, checked while Slack waits for the ack so the modal stays
   * open and shows them (`response_action: errors`). Synchronous and pure: it runs on the ack path.
   */
  viewErrors?: (body: Record<string, unknown>) => Record<string, string> | undefined;
}

export function createBoltSlack(options: BoltOptions): BoltSlack {
  const receiver =
    options.mode === 'socket'
      ? new SocketModeReceiver({
          appToken: required(options.appToken, 'SLACK_APP_TOKEN'),
          logger: options.logger,
          // The Socket Mode client makes its own Web API calls (apps.connections.open).
          installerOptions: { clientOptions: options.clientOptions },
        })
      : new HTTPReceiver({
          signingSecret: required(options.signingSecret, 'SLACK_SIGNING_SECRET'),
          logger: options.logger,
          // opsbot owns the HTTP server; Bolt's receiver only handles /slack/events.
          endpoints: '/slack/events',
          processBeforeResponse: false,
        });

  const app = new DurableApp(
    {
      receiver,
      token: options.botToken,
      // Known from opsbot's own auth.test at start-up, so Bolt never calls auth.test per request.
      botId: options.bot.botId,
      botUserId: options.bot.userId,
      logger: options.logger,
      clientOptions: options.clientOptions,
      // opsbot's intake already drops its own messages before Bolt sees them.
      ignoreSelf: false,
    },
    options.intake,
    options.onAccepted,
    options.onAck,
  );
  registerAckListeners(app, options.command, options.viewErrors);

  return {
    app,
    requestListener: receiver instanceof HTTPReceiver ? receiver.requestListener : undefined,
    async start() {
      if (receiver instanceof SocketModeReceiver) await receiver.start();
    },
    async stop() {
      if (receiver instanceof SocketModeReceiver) await receiver.stop();
    },
  };
}

/**
 * The work runs from the inbox after the ack (DESIGN §1), so Bolt's listeners only acknowledge.
 * Events need no listener: Bolt acknowledges them itself.
 */
function registerAckListeners(app: App, command: string, viewErrors: BoltOptions['viewErrors']): void {
  app.command(command, async ({ ack }) => {
    await ack();
  });
  app.action(/.*/, async ({ ack }) => {
    await ack();
  });
  app.view(/.*/, async ({ ack, body }) => {
    const errors = viewErrors?.(body as unknown as Record<string, unknown>);
    if (errors) await ack({ response_action: 'errors', errors });
    else await ack();
  });
  app.shortcut(/.*/, async ({ ack }) => {
    await ack();
  });
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is required for this Slack mode`);
  return value;
}
