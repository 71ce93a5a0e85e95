import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const manifest = parse(readFileSync(new URL('../slack-app-manifest.yaml', import.meta.url), 'utf8')) as {
  features: { slash_commands: Array<{ command: string; url: string; should_escape: boolean }>; shortcuts: Array<{ type: string; callback_id: string }>; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
};

// Users paste this once; a scope missing now means a reinstall later, so the list is checked.
describe('the Slack app manifest', () => {
  it('asks for every scope opsbot and its planned features use', () => {
    for (const scope of ['chat:write', 'commands', 'app_mentions:read', 'channels:history', 'groups:history', 'channels:join', 'channels:manage', 'pins:write', 'reactions:read', 'usergroups:read', 'users:read', 'files:write']) {
      expect(manifest.oauth_config.scopes.bot).toContain(scope);
    }
  });

  it('subscribes to the events the listeners handle', () => {
    for (const event of ['app_mention', 'message.channels', 'message.groups', 'app_home_opened', 'reaction_added']) {
      expect(manifest.settings.event_subscriptions.bot_events).toContain(event);
    }
  });

  it('sends the slash command, events and interactivity to /slack/events, with mentions escaped as ids', () => {
    const ops = manifest.features.slash_commands.find((c) => c.command === '/ops');
    expect(ops?.should_escape).toBe(true);
    for (const url of [ops?.url, manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url]) {
      expect(url).toMatch(/\/slack\/events$/);
    }
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
  });

  it('has a message shortcut and the App Home tab', () => {
    expect(manifest.features.shortcuts).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'message' })]));
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
  });
});
