import type { Clock } from '../../clock.ts';
import { MAX_MESSAGE_TEXT, problemsToResponse, validateBlocks } from './block-limits.ts';
import type { EmulatedMessage } from './types.ts';
import type { WorkspaceState } from './workspace-state.ts';

/**
 * response_url: the URL Slack hands out with a slash command or a block action. The app POSTs
 * JSON to it to answer the person who acted — ephemeral by default, even in channels the bot is
 * not in (that is its point), `in_channel` to post, `replace_original` / `delete_original` for
 * the message a button sat on. Slack allows 5 uses within 30 minutes.
 */

export const RESPONSE_PATH = '/response/';
export const RESPONSE_URL_TTL_MS = 30 * 60_000;
export const RESPONSE_URL_MAX_USES = 5;

export interface ResponseTarget {
  channel: string;
  user: string;
  threadTs?: string;
  /** The message the action came from (block_actions), for replace_original / delete_original. */
  original?: { ts: string; ephemeral: boolean };
}

export interface ResponseUrls {
  issue(target: ResponseTarget): string;
  /** Answers a POST to `RESPONSE_PATH<id>`; `args` is what was posted, for the call record. */
  handle(path: string, body: Buffer, contentType: string | undefined): { status: number; json: Record<string, unknown>; args: Record<string, unknown> };
}

type Obj = Record<string, unknown>;

export function createResponseUrls(deps: {
  state: WorkspaceState;
  clock: Clock;
  baseUrl: () => string;
  /** Echo of a message the app created (Slack delivers it back as a message event). */
  echo: (message: EmulatedMessage) => void;
}): ResponseUrls {
  const urls = new Map<string, ResponseTarget & { issuedAt: number; uses: number }>();
  const { state } = deps;

  const parse = (body: Buffer, contentType: string | undefined): Obj | undefined => {
    const text = body.toString('utf8');
    try {
      if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
        const payload = new URLSearchParams(text).get('payload');
        return payload ? (JSON.parse(payload) as Obj) : undefined;
      }
      const parsed: unknown = JSON.parse(text);
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Obj) : undefined;
    } catch {
      return undefined;
    }
  };

  const truthy = (v: unknown) => v === true || v === 'true';

  return {
    issue(target) {
      const id = `${state.team.id}/${state.ids.hex(4)}/${state.ids.hex(12)}`;
      urls.set(id, { ...target, issuedAt: deps.clock.now(), uses: 0 });
      return `${deps.baseUrl()}${RESPONSE_PATH}${id}`;
    },
    handle(path, body, contentType) {
      const id = path.slice(RESPONSE_PATH.length);
      const target = urls.get(id);
      const args = parse(body, contentType);
      const answer = (status: number, json: Obj) => ({ status, json, args: args ?? {} });
      if (!target) return answer(404, { ok: false, error: 'no_such_url' });
      if (deps.clock.now() - target.issuedAt > RESPONSE_URL_TTL_MS) return answer(404, { ok: false, error: 'expired_url' });
      if (target.uses >= RESPONSE_URL_MAX_USES) return answer(404, { ok: false, error: 'used_url' });
      if (!args) return answer(400, { ok: false, error: 'invalid_payload' });
      target.uses += 1;

      const original = target.original;
      if (truthy(args.delete_original)) {
        if (original?.ephemeral) {
          const i = state.ephemerals.findIndex((e) => e.ts === original.ts && e.channel === target.channel);
          if (i >= 0) state.ephemerals.splice(i, 1);
          state.emit({ kind: 'ephemeral', channel: target.channel, ts: original.ts });
        } else if (original) {
          state.removeMessage(target.channel, original.ts);
        }
        return answer(200, { ok: true });
      }

      const text = typeof args.text === 'string' ? args.text : undefined;
      const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : undefined;
      if (!text && !blocks?.length && !Array.isArray(args.attachments)) return answer(400, { ok: false, error: 'no_text' });
      if (text && text.length > MAX_MESSAGE_TEXT) return answer(400, { ok: false, error: 'msg_too_long' });
      if (blocks) {
        const problems = validateBlocks(blocks, 'message');
        if (problems.length) return answer(400, { ok: false, error: 'invalid_blocks', ...problemsToResponse(problems) });
      }
      const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : target.threadTs;

      if (truthy(args.replace_original) && original) {
        if (original.ephemeral) {
          const e = state.ephemerals.find((x) => x.ts === original.ts && x.channel === target.channel);
          if (e) {
            e.text = text ?? '';
            if (blocks) e.blocks = blocks;
            else delete e.blocks;
            state.emit({ kind: 'ephemeral', channel: target.channel, ts: e.ts });
          }
        } else {
          const m = state.findMessage(target.channel, original.ts);
          if (m) {
            m.text = text ?? '';
            if (blocks) m.blocks = blocks;
            else delete m.blocks;
            m.edited = { at: deps.clock.now(), count: (m.edited?.count ?? 0) + 1 };
            state.emit({ kind: 'update', channel: target.channel, ts: m.ts });
          }
        }
        return answer(200, { ok: true });
      }

      if (args.response_type === 'in_channel') {
        // Posted as the app's bot (subtype bot_message, as in test_events_ignore_self fixtures).
        const message: EmulatedMessage = {
          channel: target.channel,
          ts: state.ids.ts(),
          ...(threadTs ? { threadTs } : {}),
          botId: state.bot.botId,
          subtype: 'bot_message',
          text: text ?? '',
          ...(blocks ? { blocks } : {}),
          ...(Array.isArray(args.attachments) ? { attachments: args.attachments as unknown[] } : {}),
        };
        state.addMessage(message);
        deps.echo(message);
        return answer(200, { ok: true });
      }

      state.addEphemeral({
        ts: state.ids.ts(),
        channel: target.channel,
        user: target.user,
        ...(threadTs ? { threadTs } : {}),
        text: text ?? '',
        ...(blocks ? { blocks } : {}),
        at: deps.clock.now(),
        via: 'response_url',
      });
      return answer(200, { ok: true });
    },
  };
}
