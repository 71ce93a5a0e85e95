import type { WebAPICallResult } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { parseDuration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import { slackErrorCode } from '../slack/slack-chat.ts';
import type { CursorRepo } from '../store/types.ts';
import type { AlertChannelIntake, ChannelMessage } from './alert-channel-intake.ts';

/**
 * `opsbot triage --since <ts> [--once | --daemon] [--channel C…]` (the alert-orchestrator
 * runbook's backfill): reads each alert channel's history through conversations.history from
 * `--since` (else from the last message processed there, kept in the cursors table), oldest
 * first, and feeds every message through the same intake as live messages (so one seen both ways
 * counts once). The cursor moves after each message — under DRY_RUN too, where the group
 * messages are logged instead of posted. A public channel the bot is not in is joined first.
 */

export type SlackCall = (method: string, args: Record<string, unknown>) => Promise<WebAPICallResult>;

export interface BackfillOptions {
  channels: readonly string[];
  /** Slack ts (or epoch seconds) to read from, exclusive; default the stored cursor. */
  since?: string;
}

export interface ChannelBackfill {
  channel: string;
  /** Where reading started (exclusive). */
  from: string;
  read: number;
  ingested: number;
  alerts: number;
  /** The cursor after this pass. */
  cursor: string;
  /** Row ids of the alert groups its messages went into. */
  groups: number[];
}

export interface Backfill {
  /** One pass over every channel: reads what is new, returns what it did. */
  runOnce(options: BackfillOptions): Promise<ChannelBackfill[]>;
  /** Passes every `intervalMs` until `signal` aborts (the first pass reads from `since`). */
  runDaemon(options: BackfillOptions & { intervalMs: number; signal: AbortSignal }): Promise<void>;
}

export interface BackfillDeps {
  call: SlackCall;
  cursors: CursorRepo;
  intake: AlertChannelIntake;
  clock: Clock;
  log: Logger;
}

/** conversations.history's answer, as far as it is read here. */
interface HistoryPage {
  messages?: ChannelMessage[];
  has_more?: boolean;
  response_metadata?: { next_cursor?: string };
}

const PAGE = 200;
/** A bound on one pass, so a years-long history is read in several. */
const MAX_PAGES = 50;

export function cursorKey(channel: string): string {
  return `alerts.backfill:${channel}`;
}

/** `1700000000.000100`, `1700000000`, or an ISO date → a Slack ts; anything else is a ConfigError. */
export function parseSince(text: string): string {
  const trimmed = text.trim();
  if (/^\d{9,11}(\.\d{1,6})?$/.test(trimmed)) {
    const [seconds = '0', micros = ''] = trimmed.split('.');
    return `${seconds}.${micros.padEnd(6, '0')}`;
  }
  const ms = Date.parse(trimmed);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed) && Number.isFinite(ms)) return `${Math.floor(ms / 1000)}.000000`;
  throw new ConfigError(`--since: expected a Slack ts like 1700000000.000100, epoch seconds or an ISO date like 2026-01-31T09:00:00Z, got ${JSON.stringify(text)}`);
}

export interface TriageArgs {
  mode: 'once' | 'daemon';
  since?: string;
  channels: string[];
  intervalMs: number;
}

export const TRIAGE_USAGE = 'opsbot triage [--since TS] [--once | --daemon] [--channel C0123456789]… [--interval 30s]';
const DEFAULT_INTERVAL_MS = 30_000;
const CHANNEL = /^[CG][A-Z0-9]{2,}$/;

/**
 * `triage`'s arguments: --since (a Slack ts, epoch seconds or ISO date; else each channel's
 * stored cursor), --once (the default: exit when caught up) or --daemon (keep polling every
 * --interval), --channel (repeatable or comma-separated; default ALERT_CHANNELS).
 */
export function parseTriageArgs(args: readonly string[], defaults: { channels: readonly string[] }): TriageArgs {
  const parsed: TriageArgs = { mode: 'once', channels: [], intervalMs: DEFAULT_INTERVAL_MS };
  let once = false;
  let daemon = false;
  const value = (i: number, flag: string): string => {
    const next = args[i + 1];
    if (next === undefined || next.startsWith('--')) throw new ConfigError(`triage: ${flag} needs a value; usage: ${TRIAGE_USAGE}`);
    return next;
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => inline ?? value(i++, flag);
    switch (flag) {
      case '--since':
        parsed.since = parseSince(take());
        break;
      case '--once':
        once = true;
        break;
      case '--daemon':
        daemon = true;
        break;
      case '--channel':
        for (const id of take().split(',').map((c) => c.trim()).filter((c) => c !== '')) {
          if (!CHANNEL.test(id)) throw new ConfigError(`triage: --channel: expected a Slack channel ID like C0123456789, got ${JSON.stringify(id)}`);
          parsed.channels.push(id);
        }
        break;
      case '--interval': {
        const text = take();
        let ms: number;
        try {
          ms = parseDuration(text);
        } catch {
          throw new ConfigError(`triage: --interval: expected a duration like 30s, got ${JSON.stringify(text)}`);
        }
        if (ms < 1_000) throw new ConfigError('triage: --interval: at least 1s (conversations.history is rate limited)');
        parsed.intervalMs = ms;
        break;
      }
      default:
        throw new ConfigError(`triage: unknown argument ${JSON.stringify(arg)}; usage: ${TRIAGE_USAGE}`);
    }
  }
  if (once && daemon) throw new ConfigError('triage: --once and --daemon exclude each other');
  if (daemon) parsed.mode = 'daemon';
  if (parsed.channels.length === 0) parsed.channels = [...defaults.channels];
  if (parsed.channels.length === 0) throw new ConfigError('triage: no channel to read: set ALERT_CHANNELS or pass --channel C0123456789');
  parsed.channels = [...new Set(parsed.channels)];
  return parsed;
}

export function createBackfill(deps: BackfillDeps): Backfill {
  const { cursors, clock, log } = deps;

  async function history(channel: string, oldest: string, pageCursor: string | undefined): Promise<WebAPICallResult> {
    const args = { channel, oldest, limit: PAGE, ...(pageCursor ? { cursor: pageCursor } : {}) };
    try {
      return await deps.call('conversations.history', args);
    } catch (err) {
      if (slackErrorCode(err) !== 'not_in_channel') throw err;
      await deps.call('conversations.join', { channel });
      log.info({ channel }, 'joined alert channel to read its history');
      return deps.call('conversations.history', args);
    }
  }

  async function channelPass(channel: string, since: string | undefined): Promise<ChannelBackfill> {
    const from = since ?? cursors.get(cursorKey(channel));
    if (from === undefined) throw new ConfigError(`triage: no messages of ${channel} processed yet, so there is no cursor to go on from: pass --since <ts>`);
    const messages: ChannelMessage[] = [];
    let pageCursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = (await history(channel, from, pageCursor)) as HistoryPage;
      messages.push(...(result.messages ?? []));
      const next = result.response_metadata?.next_cursor;
      if (!result.has_more || !next) break;
      pageCursor = next;
    }
    // History comes newest first; alerts are replayed in the order they were posted.
    messages.sort((a, b) => compareTs(a.ts ?? '0', b.ts ?? '0'));
    let cursor = from;
    let ingested = 0;
    let alerts = 0;
    const touched = new Set<number>();
    for (const message of messages) {
      if (!message.ts || compareTs(message.ts, from) <= 0) continue;
      const result = deps.intake.accept(channel, { ...message, channel }, log);
      if (result.outcome === 'ingested') {
        ingested++;
        alerts += result.alerts;
        for (const id of result.groups) touched.add(id);
      }
      cursor = message.ts;
      cursors.set(cursorKey(channel), cursor, clock.now());
    }
    // Stored even when nothing was new: the next pass (a daemon's, a later --once) goes on from here.
    if (cursors.get(cursorKey(channel)) !== cursor) cursors.set(cursorKey(channel), cursor, clock.now());
    const pass = { channel, from, read: messages.length, ingested, alerts, cursor, groups: [...touched] };
    log.info({ ...pass, groups: pass.groups.length }, 'alert channel backfilled');
    return pass;
  }

  return {
    async runOnce({ channels, since }) {
      const passes: ChannelBackfill[] = [];
      for (const channel of channels) passes.push(await channelPass(channel, since));
      return passes;
    },
    async runDaemon({ channels, since, intervalMs, signal }) {
      let first = true;
      while (!signal.aborted) {
        for (const channel of channels) {
          try {
            await channelPass(channel, first ? since : undefined);
          } catch (err) {
            if (err instanceof ConfigError) throw err;
            log.error({ err, channel }, 'alert channel backfill failed; trying again at the next pass');
          }
        }
        first = false;
        try {
          await clock.sleep(intervalMs, signal);
        } catch {
          return;
        }
      }
    },
  };
}

/** Slack ts order: seconds, then the microsecond part, as numbers. */
export function compareTs(a: string, b: string): number {
  const [as = '0', af = ''] = a.split('.');
  const [bs = '0', bf = ''] = b.split('.');
  const seconds = Number(as) - Number(bs);
  return seconds !== 0 ? seconds : Number(af.padEnd(6, '0')) - Number(bf.padEnd(6, '0'));
}
