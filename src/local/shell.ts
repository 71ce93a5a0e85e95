import { createInterface } from 'node:readline';
import type { Role } from '../roles.ts';
import { isRole } from '../roles.ts';
import type { EmulatedMessage, SlackEmulator } from './emulator/types.ts';
import { type RenderedButton, renderBlocks } from './render-blocks.ts';

export interface ShellOptions {
  emulator: SlackEmulator;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** A terminal: show a prompt and the welcome text. Piped input gets just the conversation. */
  interactive: boolean;
  /** Resolves when the app has no accepted request in progress. */
  idle: () => Promise<void>;
  /** `:as <user> <role>` grants the role directly: the shell is the workspace owner's own. */
  grantRole: (userId: string, role: Role) => void;
  command: string;
  database: string;
  url: string;
  signal?: AbortSignal;
}

interface Clickable extends RenderedButton {
  channel: string;
  messageTs: string;
}

const HELP = `Type what you would type in Slack:
  /ops help                 a slash command (in the current channel)
  @opsbot help              a mention (works in threads too)
  anything else             a plain message in the current channel or thread
Shell commands:
  :as <user> [role]         act as another user (created if new; role granted if given)
  :in #channel              move to a channel; :in thread <n> to reply in message n's thread; :in main to leave it
  :click <n>  (or just n)   click button [n]
  :who                      where you are and who you are
  :help, :quit`;

/**
 * The local shell: a person talks to opsbot through the emulated workspace. Every input goes
 * through the same path as production (signed request → /slack/events → Bolt → registry → store).
 */
export async function runShell(options: ShellOptions): Promise<void> {
  const { emulator, output } = options;
  const write = (line: string) => output.write(`${line}\n`);
  const names = new Map<string, string>([[emulator.botUserId, 'opsbot']]);
  const state = {
    user: 'U0ALICE',
    channel: 'C0GENERAL',
    thread: undefined as string | undefined,
  };
  const known = new Map<string, { name: string; channel: string }>([
    ['general', { name: 'general', channel: 'C0GENERAL' }],
    ['random', { name: 'random', channel: 'C0RANDOM' }],
    ['private', { name: 'private', channel: 'G0PRIVATE' }],
    ['alerts', { name: 'alerts', channel: 'C0ALERTS' }],
  ]);
  for (const [name, id] of [['alice', 'U0ALICE'], ['bob', 'U0BOB'], ['carol', 'U0CAROL']] as const) names.set(id, name);
  for (const c of known.values()) names.set(c.channel, c.name);
  const userIds = new Map([...names].filter(([id]) => id.startsWith('U')).map(([id, name]) => [name, id]));

  const buttons: Clickable[] = [];
  const numbered: Array<{ channel: string; ts: string }> = [];
  const seenMessages = new Map<string, number>();
  let seenEphemerals = 0;
  const changes: Array<{ kind: string; channel?: string; ts?: string }> = [];
  const unsubscribe = emulator.onChange((change) => changes.push(change));

  const nameOf = (id: string) => names.get(id);
  const where = () => `#${names.get(state.channel) ?? state.channel}${state.thread ? ` (thread ${numberOf(state.channel, state.thread)})` : ''}`;
  const numberOf = (channel: string, ts: string) => {
    const key = `${channel}/${ts}`;
    let n = seenMessages.get(key);
    if (n === undefined) {
      numbered.push({ channel, ts });
      n = numbered.length;
      seenMessages.set(key, n);
    }
    return n;
  };

  const show = (m: EmulatedMessage, edited: boolean) => {
    const who = m.botId || m.user === emulator.botUserId ? 'opsbot' : (nameOf(m.user ?? '') ?? m.user ?? 'someone');
    const n = numberOf(m.channel, m.ts);
    const rendered = renderBlocks(m.blocks, m.text, { firstButton: buttons.length + 1, names: nameOf });
    buttons.push(...rendered.buttons.map((b) => ({ ...b, channel: m.channel, messageTs: m.ts })));
    const place = `#${names.get(m.channel) ?? m.channel}${m.threadTs ? ` › thread ${numberOf(m.channel, m.threadTs)}` : ''}`;
    write(`${edited ? '(edited) ' : ''}[${n}] ${place} ${who}:`);
    for (const line of rendered.text.split('\n')) write(`    ${line}`);
    for (const f of m.files ?? []) write(`    📎 ${f.title ?? f.name} (${f.content.length} chars)\n${indent(f.content, 6)}`);
  };

  const flush = () => {
    const batch = changes.splice(0);
    const shown = new Set<string>();
    for (const change of batch) {
      if ((change.kind === 'message' || change.kind === 'update' || change.kind === 'file') && change.channel && change.ts) {
        const key = `${change.kind === 'update' ? 'u' : 'm'}/${change.channel}/${change.ts}`;
        if (shown.has(key)) continue;
        shown.add(key);
        const m = findMessage(emulator, change.channel, change.ts);
        if (m) show(m, change.kind === 'update');
      }
      if (change.kind === 'home') write('(App Home updated)');
      if (change.kind === 'view') write('(a modal opened)');
    }
    const ephemerals = emulator.ephemerals();
    for (const e of ephemerals.slice(seenEphemerals)) {
      const rendered = renderBlocks(e.blocks, e.text, { firstButton: buttons.length + 1, names: nameOf });
      buttons.push(...rendered.buttons.map((b) => ({ ...b, channel: e.channel, messageTs: e.ts })));
      write(`(only visible to ${nameOf(e.user) ?? e.user}) #${names.get(e.channel) ?? e.channel} opsbot:`);
      for (const line of rendered.text.split('\n')) write(`    ${line}`);
    }
    seenEphemerals = ephemerals.length;
  };

  const settle = async () => {
    await emulator.settle();
    await options.idle();
    await emulator.settle();
    flush();
  };

  /** What a Slack client sends for what a person typed: mentions and channel links as markup. */
  const toSlackMarkup = (input: string) =>
    input
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/(^|\s)@([a-z0-9._-]+)/gi, (m, pre: string, name: string) => {
        if (name.toLowerCase() === 'opsbot') return `${pre}<@${emulator.botUserId}>`;
        const id = userIds.get(name.toLowerCase());
        return id ? `${pre}<@${id}|${name}>` : m;
      })
      .replace(/(^|\s)#([a-z0-9._-]+)/gi, (m, pre: string, name: string) => {
        const c = known.get(name.toLowerCase());
        return c ? `${pre}<#${c.channel}|${c.name}>` : m;
      });

  const handle = async (line: string): Promise<boolean> => {
    const input = line.trim();
    if (!input) return true;
    if (input === ':quit' || input === ':q' || input === ':exit') return false;
    if (input === ':help') {
      write(HELP);
      return true;
    }
    if (input === ':who') {
      write(`You are ${nameOf(state.user)} in ${where()}.`);
      return true;
    }
    if (input.startsWith(':as ')) {
      const [typed = '', roleName] = input.slice(4).trim().replace(/^@/, '').split(/\s+/);
      const name = typed.toLowerCase();
      let id = userIds.get(name);
      if (!id) {
        id = `U0${name.toUpperCase().replace(/[^A-Z0-9]/g, '')}`;
        emulator.addUser({ id, name });
        // A new person joins the public channels, as a new member of a workspace would.
        for (const c of emulator.channels()) {
          if (!c.isPrivate && !c.isIm) emulator.addChannel({ ...c, members: [...c.members, id] });
        }
        userIds.set(name, id);
        names.set(id, name);
      }
      if (roleName) {
        if (!isRole(roleName)) {
          write(`Unknown role "${roleName}": use viewer, responder, deployer or admin.`);
          return true;
        }
        options.grantRole(id, roleName);
      }
      state.user = id;
      write(`You are now ${name}${roleName ? ` (${roleName})` : ''}.`);
      return true;
    }
    if (input.startsWith(':in ')) {
      const target = input.slice(4).trim();
      if (target === 'main') state.thread = undefined;
      else if (target.startsWith('thread')) {
        const n = Number(target.split(/\s+/)[1]);
        const m = numbered[n - 1];
        if (!m) {
          write(`There is no message [${target.split(/\s+/)[1] ?? ''}].`);
          return true;
        }
        state.channel = m.channel;
        const parent = findMessage(emulator, m.channel, m.ts);
        state.thread = parent?.threadTs ?? m.ts;
      } else {
        const channel = known.get(target.replace(/^#/, ''));
        if (!channel) {
          write(`Unknown channel ${target}; try ${[...known.keys()].map((k) => `#${k}`).join(', ')}.`);
          return true;
        }
        state.channel = channel.channel;
        state.thread = undefined;
      }
      write(`Now in ${where()}.`);
      return true;
    }
    const click = /^(?::click\s+)?(\d+)$/.exec(input);
    if (click) {
      const b = buttons[Number(click[1]) - 1];
      if (!b) {
        write(`There is no button [${click[1]}].`);
        return true;
      }
      await emulator.clickButton({ user: state.user, channel: b.channel, messageTs: b.messageTs, actionId: b.actionId, value: b.value });
      await settle();
      return true;
    }
    if (input.startsWith('/')) {
      const [command = '', ...rest] = toSlackMarkup(input).split(' ');
      if (command !== options.command) {
        write(`Only ${options.command} is installed here.`);
        return true;
      }
      if (state.thread) write('(Slack has no slash commands in threads: this runs in the channel. Mention @opsbot to stay in the thread.)');
      await emulator.slashCommand({ user: state.user, channel: state.channel, text: rest.join(' ') });
      await settle();
      return true;
    }
    const text = toSlackMarkup(input);
    if (text.includes(`<@${emulator.botUserId}>`)) {
      await emulator.mention({ user: state.user, channel: state.channel, text, threadTs: state.thread });
    } else {
      await emulator.userMessage({ user: state.user, channel: state.channel, text, threadTs: state.thread });
    }
    await settle();
    return true;
  };

  if (options.interactive) {
    write(`opsbot local shell — an emulated Slack workspace, data in ${options.database}, HTTP on ${options.url}`);
    write(`You are alice in #general. Try: ${options.command} help    (:help for shell commands)`);
  }
  const rl = createInterface({ input: options.input, terminal: false });
  // A signal must end the shell while it waits for a line, not after the next one arrives.
  const stop = () => rl.close();
  options.signal?.addEventListener('abort', stop, { once: true });
  const prompt = () => options.interactive && output.write(`${nameOf(state.user)} ${where()}> `);
  prompt();
  try {
    for await (const line of rl) {
      if (options.signal?.aborted) break;
      let keepGoing = true;
      try {
        keepGoing = await handle(line);
      } catch (err) {
        write(`shell: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!keepGoing) break;
      prompt();
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    rl.close();
    unsubscribe();
  }
}

function findMessage(emulator: SlackEmulator, channel: string, ts: string): EmulatedMessage | undefined {
  const top = emulator.messages(channel);
  const hit = top.find((m) => m.ts === ts);
  if (hit) return hit;
  for (const parent of top) {
    const reply = emulator.replies(channel, parent.ts).find((m) => m.ts === ts);
    if (reply) return reply;
  }
  return undefined;
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .slice(0, 40)
    .map((l) => pad + l)
    .join('\n');
}
