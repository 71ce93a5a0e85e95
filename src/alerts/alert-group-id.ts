/** Alert groups are named `AG-<n>` in Slack, commands and playbook runs (`alert=AG-12`). */

const GROUP_ID = /^AG-?(\d{1,12})$/i;

export function alertGroupId(number: number): string {
  return `AG-${number}`;
}

/** `AG-12`, `ag-12`, `AG12` or (with `bare`) `12` → 12; anything else → undefined. */
export function parseAlertGroupId(text: string, options: { bare?: boolean } = {}): number | undefined {
  const trimmed = text.trim();
  const match = GROUP_ID.exec(trimmed) ?? (options.bare && /^\d{1,12}$/.test(trimmed) ? [trimmed, trimmed] : null);
  if (!match) return undefined;
  const n = Number(match[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
