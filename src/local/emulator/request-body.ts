import type { IncomingMessage } from 'node:http';

/**
 * Reading request bodies the way Slack's endpoints accept them: the Web API takes form-encoded or
 * JSON arguments (the WebClient sends forms with JSON-encoded values for blocks, view, …), the
 * upload URL takes raw bytes or a multipart form (the WebClient's files.uploadV2 sends multipart).
 */

export type Args = Record<string, unknown>;

/** 50 MB: plenty for text uploads, small enough that a runaway client cannot exhaust memory. */
const MAX_BODY_BYTES = 50 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Web API arguments from a body (form or JSON) plus the query string, as Slack merges them. */
export function parseApiArgs(contentType: string | undefined, body: Buffer, query: URLSearchParams): Args | undefined {
  const args: Args = Object.fromEntries(query);
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = body.toString('utf8');
  if (text.length === 0) return args;
  if (type === 'application/json') {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      return { ...args, ...(parsed as Args) };
    } catch {
      return undefined;
    }
  }
  if (type === 'multipart/form-data') {
    for (const part of parseMultipart(contentType ?? '', body)) {
      if (part.filename === undefined) args[part.name] = part.data.toString('utf8');
    }
    return args;
  }
  // Slack treats anything else as a form, as its own endpoints do.
  for (const [k, v] of new URLSearchParams(text)) args[k] = v;
  return args;
}

export interface MultipartPart {
  name: string;
  filename?: string;
  data: Buffer;
}

/** A minimal multipart/form-data reader (RFC 7578): enough for fetch's FormData bodies. */
export function parseMultipart(contentType: string, body: Buffer): MultipartPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (!boundary) return [];
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    // "--" right after the delimiter closes the body.
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // skip CRLF after delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const disposition = /content-disposition:([^\r\n]*)/i.exec(headers)?.[1] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      parts.push({ name, ...(filename !== undefined ? { filename } : {}), data: part.subarray(headerEnd + 4) });
    }
    pos = next;
  }
  return parts;
}

// ---- argument readers: form values arrive as strings, JSON values as themselves ----

export function str(args: Args, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

export function num(args: Args, key: string): number | undefined {
  const v = args[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function bool(args: Args, key: string): boolean {
  const v = args[key];
  return v === true || v === 'true' || v === '1' || v === 1;
}

/** A JSON-valued argument (blocks, view, …): a string to parse, or the value itself. */
export function jsonArg(args: Args, key: string): { present: false } | { present: true; ok: true; value: unknown } | { present: true; ok: false } {
  const v = args[key];
  if (v === undefined || v === null || v === '') return { present: false };
  if (typeof v !== 'string') return { present: true, ok: true, value: v };
  try {
    return { present: true, ok: true, value: JSON.parse(v) };
  } catch {
    return { present: true, ok: false };
  }
}

/** Arguments as recorded: token removed, JSON-encoded fields decoded so form and JSON calls compare equal. */
export function recordedArgs(args: Args): Args {
  const out: Args = {};
  for (const [k, v] of Object.entries(args)) {
    if (k === 'token') continue;
    if (typeof v === 'string' && JSON_FIELDS.has(k)) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // keep the raw string: the call was answered with a format error
      }
    }
    out[k] = v;
  }
  return out;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);
