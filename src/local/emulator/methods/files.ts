import { parseMultipart, jsonArg, num, str } from '../request-body.ts';
import type { EmulatedMessage } from '../types.ts';
import type { WorkspaceState } from '../workspace-state.ts';
import { fileObject } from '../wire-format.ts';
import type { MethodHandler } from './context.ts';
import { fail, ok, threadRoot, writableChannel } from './context.ts';

/**
 * Slack's external upload flow, the one files.uploadV2 drives: files.getUploadURLExternal hands
 * out an upload URL (here a loopback path on the emulator), the client POSTs the bytes there,
 * then files.completeUploadExternal shares the files, posting a message that carries them.
 */

export const UPLOAD_PATH = '/upload/v1/';

const getUploadUrl: MethodHandler = (args, ctx) => {
  const filename = str(args, 'filename');
  const length = num(args, 'length');
  if (!filename) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: filename'] } });
  if (length === undefined || length < 0) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: length'] } });
  const id = ctx.state.ids.id('F');
  const uploadKey = ctx.state.ids.hex(12);
  ctx.state.files.set(id, { id, name: filename, length, uploaded: false, uploadKey, created: ctx.clock.now(), shares: [] });
  return ok({ upload_url: `${ctx.baseUrl}${UPLOAD_PATH}${id}/${uploadKey}`, file_id: id });
};

/** POST to an upload URL: raw bytes, or multipart (fetch FormData) with the file as one part. */
export function receiveUpload(state: WorkspaceState, path: string, contentType: string | undefined, body: Buffer): { status: number; text: string } {
  const [id = '', key = ''] = path.slice(UPLOAD_PATH.length).split('/');
  const file = state.files.get(id);
  if (!file || file.uploadKey !== key) return { status: 404, text: 'not_found' };
  let bytes = body;
  if ((contentType ?? '').toLowerCase().startsWith('multipart/form-data')) {
    const parts = parseMultipart(contentType ?? '', body);
    bytes = (parts.find((p) => p.filename !== undefined) ?? parts[0])?.data ?? Buffer.alloc(0);
  }
  file.content = bytes.toString('utf8');
  file.length = bytes.length;
  file.uploaded = true;
  return { status: 200, text: `OK - ${bytes.length}` };
}

const completeUpload: MethodHandler = (args, ctx) => {
  const filesArg = jsonArg(args, 'files');
  if (!filesArg.present || !filesArg.ok || !Array.isArray(filesArg.value) || filesArg.value.length === 0) {
    return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: files'] } });
  }
  const wanted = filesArg.value as Array<{ id?: unknown; title?: unknown }>;
  const records = [];
  for (const f of wanted) {
    const rec = typeof f.id === 'string' ? ctx.state.files.get(f.id) : undefined;
    if (!rec || !rec.uploaded) return fail('file_not_found');
    if (typeof f.title === 'string') rec.title = f.title;
    records.push(rec);
  }

  const channelId = str(args, 'channel_id') ?? str(args, 'channels');
  if (channelId) {
    const target = writableChannel(ctx, channelId);
    if ('error' in target) return target.error;
    const threadTs = threadRoot(ctx, target.channel.id, str(args, 'thread_ts'));
    const blocks = jsonArg(args, 'blocks');
    const message: EmulatedMessage = {
      channel: target.channel.id,
      ts: ctx.state.ids.ts(),
      ...(threadTs ? { threadTs } : {}),
      user: ctx.state.bot.userId,
      botId: ctx.state.bot.botId,
      text: str(args, 'initial_comment') ?? '',
      ...(blocks.present && blocks.ok && Array.isArray(blocks.value) ? { blocks: blocks.value } : {}),
      files: records.map((r) => ({ id: r.id, name: r.name, ...(r.title ? { title: r.title } : {}), content: r.content ?? '' })),
    };
    for (const r of records) r.shares.push({ channel: message.channel, ts: message.ts });
    ctx.state.addMessage(message);
    ctx.state.emit({ kind: 'file', channel: message.channel, ts: message.ts });
    ctx.echo(message);
  }
  return ok({ files: records.map((r) => fileObject(ctx.state, r, ctx.baseUrl)) });
};

export const filesMethods: Record<string, MethodHandler> = {
  'files.getUploadURLExternal': getUploadUrl,
  'files.completeUploadExternal': completeUpload,
};
