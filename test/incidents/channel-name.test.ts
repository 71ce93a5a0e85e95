import { describe, expect, it } from 'vitest';
import { CHANNEL_NAME_MAX, incidentChannelName, slugify } from '../../src/incidents/channel-name.ts';

describe('incident channel names', () => {
  it('are the prefix, the number and a slug of the title', () => {
    expect(incidentChannelName('inc', 3, 'API 500s on Checkout!')).toBe('inc-3-api-500s-on-checkout');
    expect(incidentChannelName('inc', 3, 'Zahlungsdienst gestört — Überlast')).toBe('inc-3-zahlungsdienst-gestort-uberlast');
    expect(incidentChannelName('inc', 12, '🔥🔥🔥')).toBe('inc-12');
  });

  it('take a suffix when the name is taken, and stay within Slack’s 80 characters', () => {
    expect(incidentChannelName('inc', 3, 'DB failover', 2)).toBe('inc-3-db-failover-2');
    const long = incidentChannelName('incident-response', 123456, 'a very long title '.repeat(10), 5);
    expect(long.length).toBeLessThanOrEqual(CHANNEL_NAME_MAX);
    expect(long).toMatch(/^incident-response-123456-a-very-long-title[a-z-]*[a-z]-5$/);
    expect(slugify('--Hello--World--')).toBe('hello-world');
  });
});
