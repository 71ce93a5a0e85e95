/** `2026-01-01 09:30:05Z`: fixed width and zone, for text fallbacks and files. */
export function utcTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** Slack renders this in each reader's own time zone; `utcTime` is the fallback. */
export function slackTime(ms: number, format = '{date_short} {time_secs}'): string {
  return `<!date^${Math.floor(ms / 1000)}^${format}|${utcTime(ms)}>`;
}
