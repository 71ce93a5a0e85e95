/**
 * Slack message text as people read it. Slack escapes `&`, `<` and `>` in message and attachment
 * text and writes links, mentions and channels as `<…>` (https://api.slack.com/reference/surfaces/formatting).
 */

/** `&amp;` `&lt;` `&gt;` back to characters: Slack escapes exactly these three. */
export function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/**
 * Slack's `<…>` markup resolved: `<url|label>` → label (or the URL with `links: 'url'`), `<url>` →
 * url, `<@U1>` → `@U1`, `<#C1|ops>` → `#ops`, `<!channel>` and other `<!…>` → nothing. Entities decoded after, so an escaped `&lt;` is not markup.
 */
export function slackToPlain(text: string, links: 'label' | 'url' = 'label'): string {
  const resolved = text.replace(/<([^<>\s][^<>]*)>/g, (_whole, inner: string) => {
    const [target = '', label] = splitOnce(inner, '|');
    if (target.startsWith('!')) return label ?? '';
    if (target.startsWith('@')) return label !== undefined ? `@${label}` : target;
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    return links === 'url' || label === undefined ? target : label;
  });
  return decodeSlackEntities(resolved);
}

/** mrkdwn emphasis (`*bold*`, `_italic_`, `~strike~`, `` `code` ``) and emoji codes removed, for a name or a heading. */
export function stripMrkdwn(text: string): string {
  return text
    .replace(/:[a-z0-9_+-]+:/g, ' ')
    .replace(/[*`~]+/g, '')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/[ \t]+/g, ' ')
    .trim();
}

/** Up to `max` characters, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
