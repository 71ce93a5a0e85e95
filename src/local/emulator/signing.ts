import { createHmac } from 'node:crypto';

/**
 * Slack's request signing (v0): `v0=` + hex HMAC-SHA256 over `v0:<timestamp>:<raw body>` keyed
 * with the app's signing secret. Bolt recomputes it over the exact bytes received, so the body
 * signed here must be the body sent, byte for byte.
 */
export function signRequest(signingSecret: string, timestampSec: number, rawBody: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${rawBody}`).digest('hex')}`;
}

/** Wall-clock seconds: Bolt compares the timestamp with its own Date.now(), not the test clock. */
export function wallClockSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
