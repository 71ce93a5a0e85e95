/** Slack channel names: lowercase letters, digits, - and _, at most 80 characters. */
export const CHANNEL_NAME_MAX = 80;
/** Long titles make unreadable channel names; the channel's topic-like summary has the rest. */
const SLUG_MAX = 40;

/** `API 500s on checkout!` → `api-500s-on-checkout`. */
export function slugify(title: string, max = SLUG_MAX): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return slug.slice(0, max).replace(/-+$/, '');
}

/** `inc-3-api-500s`; `attempt` > 1 adds `-2`, `-3`… for a name already taken. */
export function incidentChannelName(prefix: string, number: number, title: string, attempt = 1): string {
  const suffix = attempt > 1 ? `-${attempt}` : '';
  const head = `${prefix}-${number}`;
  const room = CHANNEL_NAME_MAX - head.length - suffix.length - 1;
  const slug = slugify(title, Math.min(SLUG_MAX, Math.max(0, room)));
  return `${head}${slug ? `-${slug}` : ''}${suffix}`;
}
