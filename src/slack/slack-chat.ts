import type { View } from '@slack/types';
import { ErrorCode, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, type ChatPostMessageResponse, type FilesUploadV2Arguments, type WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { UserError } from '../errors.ts';
import type { ChatPort, FileContent, MessageContent, MessageRef } from './chat-port.ts';
import { fitMessage, fitView } from './fit-message.ts';
import type { Outbox } from './outbox.ts';
import { DEFAULT_WEB_API_TIMEOUT_MS } from './web-client.ts';

export interface SlackChatOptions {
  outbox: Outbox;
  /** For files.uploadV2 (a multi-step flow the outbox runs as one call). */
  client: WebClient;
  log: Logger;
  /** For response_url POSTs. */
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

/** Platform errors that mean "this conversation exists but I cannot post there". */
const CANNOT_JOIN = new Set(['method_not_supported_for_channel_type', 'channel_not_found', 'missing_scope', 'is_archived']);

/** The Slack error code of a failed Web API call (`not_in_channel`, `invalid_blocks`, …). */
export function slackErrorCode(err: unknown): string | undefined {
  if (err instanceof WebAPIPlatformError) return err.data.error;
  if (typeof err === 'object' && err !== null && 'code' in err && err.code === ErrorCode.PlatformError) {
    return (err as { data?: { error?: string } }).data?.error;
  }
  return undefined;
}

/**
 * The ChatPort on Slack's Web API. Every message goes through fitMessage first, so no content
 * ends as a Slack error the user never sees; every call goes through the outbox.
 */
export function createSlackChat(options: SlackChatOptions): ChatPort {
  const { outbox, client, log } = options;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEB_API_TIMEOUT_MS;

  async function postOne(channel: string, message: MessageContent, threadTs: string | undefined): Promise<MessageRef> {
    const result = (await outbox.call('chat.postMessage', { channel, ...payload(message), ...(threadTs ? { thread_ts: threadTs } : {}) })) as ChatPostMessageResponse;
    return { channel: result.channel ?? channel, ts: String(result.ts) };
  }

  async function uploadOne(channel: string, file: FileContent, threadTs: string | undefined): Promise<void> {
    const args = {
      channel_id: channel,
      filename: file.filename,
      content: file.content,
      ...(file.title !== undefined ? { title: file.title } : {}),
      ...(file.comment !== undefined ? { initial_comment: file.comment } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
    // The SDK's three-step upload as one outbox call: a 429 on any step retries the whole upload.
    await outbox.run('files.uploadV2', () => client.filesUploadV2(args as FilesUploadV2Arguments), { lane: channel });
  }

  /** Posts every part in order (the channel's lane keeps them in order); the first is the one to update later. */
  async function postFitted(channel: string, message: MessageContent, threadTs: string | undefined): Promise<MessageRef> {
    const fitted = fitMessage(message);
    if ('file' in fitted) {
      const ref = await postOne(channel, fitted.summary, threadTs);
      await uploadOne(channel, fitted.file, threadTs);
      return ref;
    }
    const [first, ...rest] = fitted.messages;
    const ref = await postOne(channel, first ?? { text: message.text }, threadTs);
    await Promise.all(rest.map((part) => postOne(channel, part, threadTs)));
    return ref;
  }

  /**
   * A bot can join a public channel by itself (channels:join), so "not in channel" there is
   * fixed silently; where it cannot join, the caller gets a UserError naming the fix.
   */
  async function joiningIfNeeded<T>(channel: string, attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (err) {
      if (slackErrorCode(err) !== 'not_in_channel') throw err;
      try {
        await outbox.call('conversations.join', { channel });
      } catch (joinErr) {
        const code = slackErrorCode(joinErr);
        if (code === undefined || !CANNOT_JOIN.has(code)) throw joinErr;
        log.info({ channel, code }, 'cannot join channel to post');
        throw new UserError('not_in_channel', "I'm not in this channel.", 'Invite me with `/invite @opsbot`, then try again.', { cause: err });
      }
      log.info({ channel }, 'joined channel to post');
      return attempt();
    }
  }

  async function respondOnce(responseUrl: string, body: Record<string, unknown>): Promise<void> {
    let res: Response;
    let text: string;
    // A timer cleared on completion: AbortSignal.timeout would keep every reply alive for the full
    // timeout, and under load those survivors are promoted and lengthen GC pauses.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`response_url timed out after ${timeoutMs} ms`)), timeoutMs);
    try {
      res = await fetchFn(responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      text = await res.text();
    } catch (err) {
      throw new WebAPIRequestError(err instanceof Error ? err : new Error(String(err)));
    } finally {
      clearTimeout(timer);
    }
    // Slack's error types, so the outbox retries and gives up on a response_url as on the Web API.
    if (res.status === 429) throw new WebAPIRateLimitedError(Number(res.headers.get('retry-after') ?? 1) || 1);
    if (res.status >= 500) throw new WebAPIHTTPError(res.status, res.statusText, Object.fromEntries(res.headers), text);
    const json = parseJson(text);
    if (!res.ok || json?.ok === false) {
      throw new WebAPIPlatformError({ ok: false, error: typeof json?.error === 'string' ? json.error : `http_${res.status}` });
    }
  }

  return {
    post: (channel, message, threadTs) => joiningIfNeeded(channel, () => postFitted(channel, message, threadTs)),

    async update(ref, message) {
      const fitted = fitMessage(message);
      // Content that outgrew one message: the message shows the first part (or the summary) and
      // the rest goes into its thread, so nothing is lost and the edited message stays valid.
      const head = 'file' in fitted ? fitted.summary : (fitted.messages[0] ?? { text: message.text });
      // blocks always sent: chat.update keeps the old blocks when the field is left out.
      await outbox.update({ channel: ref.channel, ts: ref.ts, text: head.text, blocks: head.blocks ?? [] });
      if ('file' in fitted) await uploadOne(ref.channel, fitted.file, ref.ts);
      else await Promise.all(fitted.messages.slice(1).map((part) => postOne(ref.channel, part, ref.ts)));
    },

    async ephemeral(channel, user, message, threadTs) {
      // An uploaded file would be seen by everyone, so private output is cut rather than filed.
      const { messages } = fitMessage(message, { allowFile: false }) as { messages: MessageContent[] };
      await Promise.all(
        messages.map((part) => outbox.call('chat.postEphemeral', { channel, user, ...payload(part), ...(threadTs ? { thread_ts: threadTs } : {}) })),
      );
    },

    async respond(responseUrl, message) {
      const { messages } = fitMessage(message, { allowFile: false }) as { messages: MessageContent[] };
      await Promise.all(
        messages.map((part, i) =>
          outbox.run(
            'response_url',
            () =>
              respondOnce(responseUrl, {
                ...payload(part),
                response_type: message.inChannel ? 'in_channel' : 'ephemeral',
                // Only the first part may replace the original; the others follow it.
                replace_original: i === 0 && message.replaceOriginal === true,
              }),
            { lane: responseUrl },
          ),
        ),
      );
    },

    async openModal(triggerId, view) {
      // Own lane: a trigger expires in 3 s and must not wait behind anything.
      await outbox.call('views.open', { trigger_id: triggerId, view: fitView(view) }, { lane: `trigger ${triggerId}` });
    },

    async publishHome(user, view: View) {
      await outbox.call('views.publish', { user_id: user, view: fitView(view) }, { lane: `home ${user}`, coalesceKey: `views.publish ${user}` });
    },

    upload: (channel, file, threadTs) => joiningIfNeeded(channel, () => uploadOne(channel, file, threadTs)),
  };
}

function payload(message: MessageContent): { text: string; blocks?: MessageContent['blocks'] } {
  return message.blocks?.length ? { text: message.text, blocks: message.blocks } : { text: message.text };
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
