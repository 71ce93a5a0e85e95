/**
 * Block Kit rendered as terminal text for the local shell. Buttons are numbered so a person can
 * click them by typing the number; the caller keeps the returned button list for that.
 */

export interface RenderedButton {
  text: string;
  actionId: string;
  value?: string;
  style?: string;
}

type Obj = Record<string, unknown>;

export interface RenderOptions {
  /** Number given to the first button. */
  firstButton: number;
  /** Resolves user and channel ids to names for display. */
  names?: (id: string) => string | undefined;
}

export function renderBlocks(blocks: readonly unknown[] | undefined, fallback: string, options: RenderOptions): { text: string; buttons: RenderedButton[] } {
  if (!blocks || blocks.length === 0) return { text: mrkdwn(fallback, options), buttons: [] };
  const lines: string[] = [];
  const buttons: RenderedButton[] = [];
  const button = (el: Obj) => {
    const b: RenderedButton = { text: textOf(el.text), actionId: String(el.action_id ?? ''), value: el.value === undefined ? undefined : String(el.value), style: el.style as string | undefined };
    buttons.push(b);
    const mark = b.style === 'danger' ? '!' : b.style === 'primary' ? '*' : '';
    return `[${options.firstButton + buttons.length - 1}] ${mark}${b.text}`;
  };
  for (const raw of blocks) {
    const block = raw as Obj;
    switch (block.type) {
      case 'header':
        lines.push(`== ${textOf(block.text)} ==`);
        break;
      case 'section': {
        if (block.text) lines.push(mrkdwn(textOf(block.text), options));
        if (Array.isArray(block.fields)) lines.push((block.fields as Obj[]).map((f) => mrkdwn(textOf(f), options)).join('  |  '));
        const accessory = block.accessory as Obj | undefined;
        if (accessory?.type === 'button') lines.push(`  ${button(accessory)}`);
        break;
      }
      case 'context':
        lines.push(
          `  ${((block.elements as Obj[] | undefined) ?? [])
            .map((e) => (e.type === 'image' ? '' : mrkdwn(textOf(e), options)))
            .filter(Boolean)
            .join(' · ')}`,
        );
        break;
      case 'divider':
        lines.push('────────');
        break;
      case 'actions': {
        const parts = ((block.elements as Obj[] | undefined) ?? []).map((el) => (el.type === 'button' ? button(el) : `(${String(el.type)})`));
        lines.push(parts.join('  '));
        break;
      }
      case 'rich_text':
        lines.push(mrkdwn(fallback, options));
        break;
      default:
        lines.push(`(${String(block.type)} block)`);
    }
  }
  return { text: lines.join('\n'), buttons };
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'text' in value) return String((value as Obj).text ?? '');
  return '';
}

/** Slack markup to plain text: mentions by name, links by label, entities unescaped. */
export function mrkdwn(text: string, options: Pick<RenderOptions, 'names'>): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `@${label ?? options.names?.(id) ?? id}`)
    .replace(/<#([CG][A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `#${label || options.names?.(id) || id}`)
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => label ?? `@${id}`)
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!date\^(\d+)[^>]*>/g, (_m, ts: string) => new Date(Number(ts) * 1000).toISOString().replace('.000Z', 'Z'))
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<([^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
