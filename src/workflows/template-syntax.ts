/**
 * Finds the `${{ … }}` templates in a string. The end of a template is the first `}}` outside
 * the expression's string literals and map braces, so `${{ {"a": {"b": 1}} }}` and
 * `${{ '}}' }}` read as one template each. There is no escape: `${{ '${{' }}` writes `${{`.
 */

export interface TemplatePart {
  /** The text between `${{` and `}}`, untrimmed. */
  expression: string;
  start: number;
  /** Index just past the closing `}}`. */
  end: number;
}

export type TemplateSegment = string | TemplatePart;

export type ScanResult = { ok: true; segments: TemplateSegment[] } | { ok: false; error: string };

const OPEN = '${{';

export function hasTemplate(text: string): boolean {
  return text.includes(OPEN);
}

/** Literal text and templates in order; literal segments are never empty. */
export function scanTemplates(text: string): ScanResult {
  const segments: TemplateSegment[] = [];
  let index = 0;
  for (;;) {
    const open = text.indexOf(OPEN, index);
    if (open < 0) {
      if (index < text.length) segments.push(text.slice(index));
      return { ok: true, segments };
    }
    if (open > index) segments.push(text.slice(index, open));
    const close = findClose(text, open + OPEN.length);
    if (close < 0) {
      return { ok: false, error: `${JSON.stringify(preview(text.slice(open)))}: the template is never closed with }}` };
    }
    segments.push({ expression: text.slice(open + OPEN.length, close), start: open, end: close + 2 });
    index = close + 2;
  }
}

/** The whole string is exactly one template (its value keeps its type: number, list, map…). */
export function isFullTemplate(text: string): boolean {
  const scan = scanTemplates(text);
  if (!scan.ok || scan.segments.length !== 1) return false;
  const only = scan.segments[0];
  return typeof only === 'object' && only.start === 0 && only.end === text.length;
}

/** Index of the `}}` closing a template whose expression starts at `from`, or -1. */
function findClose(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i = skipString(text, i);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0 && text[i + 1] === '}') return i;
      if (depth > 0) depth--;
    }
    i++;
  }
  return -1;
}

/** Index just past the string literal whose opening quote is at `at` (text length if unclosed). */
function skipString(text: string, at: number): number {
  const quote = text[at] as string;
  const raw = isRawPrefix(text, at);
  const triple = text.startsWith(quote.repeat(3), at);
  const closing = triple ? quote.repeat(3) : quote;
  let i = at + closing.length;
  while (i < text.length) {
    if (!raw && text[i] === '\\') {
      i += 2;
      continue;
    }
    if (text.startsWith(closing, i)) return i + closing.length;
    // A single-quoted literal cannot span lines; stopping here lets `}}` after it still close.
    if (!triple && text[i] === '\n') return i;
    i++;
  }
  return text.length;
}

// CEL string prefixes: r/R (raw, no escapes) and b/B (bytes), in either order.
function isRawPrefix(text: string, quoteAt: number): boolean {
  let start = quoteAt;
  while (start > 0 && quoteAt - start < 2 && /[rRbB]/.test(text[start - 1] as string)) start--;
  if (start > 0 && /[\w$]/.test(text[start - 1] as string)) return false;
  return /[rR]/.test(text.slice(start, quoteAt));
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
