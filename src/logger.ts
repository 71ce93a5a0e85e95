import pino from 'pino';
import pinoPretty from 'pino-pretty';
import type { Logger as SlackLogger, LogLevel as SlackLogLevel } from '@slack/logger';
import type { Redactor } from './redact.ts';

export type Logger = pino.Logger;

export interface LoggerOptions {
  /** A pino level: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /** Human-readable lines (a terminal) instead of JSON lines (production, log shippers). */
  pretty: boolean;
  redactor: Redactor;
  /** Where lines go; stdout when omitted. */
  destination?: NodeJS.WritableStream | pino.DestinationStream;
}

/**
 * The process logger. Every line is redacted on its way out: the merged object (before the
 * serializers run, so `err` is serialized from an already-redacted copy), the message after
 * format-string interpolation, and child-logger bindings.
 */
export function createLogger(options: LoggerOptions): Logger {
  const { redactor } = options;
  const target = options.destination ?? pino.destination({ dest: 1, sync: true });
  const stream = options.pretty ? prettyStream(target, options.destination === undefined) : target;
  const logger = pino(
    {
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: {
        err: pino.stdSerializers.err,
        error: pino.stdSerializers.err,
        msg: (msg: unknown) => (typeof msg === 'string' ? redactor.redactString(msg) : redactor.redactValue(msg)),
      },
      formatters: {
        bindings: (bindings) => redactor.redactValue(bindings) as pino.Bindings,
        log: (object) => redactor.redactValue(object) as Record<string, unknown>,
      },
    },
    stream,
  );
  redactChildBindings(logger, redactor);
  return logger;
}

/**
 * pino applies `formatters.bindings` to the root logger only and resets it for children, so
 * `log.child({ token })` would print the token. Children are created with Object.create(parent),
 * so replacing `child` and `setBindings` on the root covers every descendant.
 */
function redactChildBindings(root: Logger, redactor: Redactor): void {
  const child = root.child;
  const setBindings = root.setBindings;
  root.child = function (this: Logger, bindings, options) {
    return child.call(this, redactor.redactValue(bindings) as pino.Bindings, options);
  } as Logger['child'];
  root.setBindings = function (this: Logger, bindings) {
    setBindings.call(this, redactor.redactValue(bindings) as pino.Bindings);
  };
}

/**
 * pino-pretty in-process and synchronous (not a worker transport), so a test that passes its own
 * destination reads each line as soon as the log call returns.
 */
function prettyStream(target: NodeJS.WritableStream | pino.DestinationStream, toStdout: boolean): pino.DestinationStream {
  const isTTY = (target as { isTTY?: boolean }).isTTY === true;
  const prettify = pinoPretty.prettyFactory({
    colorize: toStdout ? pinoPretty.isColorSupported : isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: false,
  });
  return {
    write(line: string) {
      target.write(prettify(line));
    },
  };
}

const SLACK_LEVELS: Record<string, SlackLogLevel> = {
  fatal: 'error' as SlackLogLevel,
  error: 'error' as SlackLogLevel,
  warn: 'warn' as SlackLogLevel,
  info: 'info' as SlackLogLevel,
  debug: 'debug' as SlackLogLevel,
  trace: 'debug' as SlackLogLevel,
  silent: 'error' as SlackLogLevel,
};

/**
 * @slack/logger's interface over a pino child, so Bolt's, the WebClient's and Socket Mode's own
 * logs land in the same stream and pass the same redaction. Bolt calls setLevel when given a
 * logLevel; that changes only this child, never the process logger.
 */
export function boltLogger(log: Logger, name = 'slack'): SlackLogger {
  let child = log.child({ name });

  const forward = (level: 'debug' | 'info' | 'warn' | 'error', args: unknown[]): void => {
    if (!child.isLevelEnabled(level)) return;
    let err: Error | undefined;
    const words: string[] = [];
    const data: unknown[] = [];
    for (const arg of args) {
      if (arg instanceof Error && err === undefined) err = arg;
      else if (typeof arg === 'string') words.push(arg);
      else if (arg === null || arg === undefined || typeof arg !== 'object') words.push(String(arg));
      else data.push(arg);
    }
    const fields: Record<string, unknown> = {};
    if (err !== undefined) fields.err = err;
    if (data.length > 0) fields.args = data;
    child[level](fields, words.join(' ') || err?.message || '');
  };

  return {
    debug: (...args: unknown[]) => forward('debug', args),
    info: (...args: unknown[]) => forward('info', args),
    warn: (...args: unknown[]) => forward('warn', args),
    error: (...args: unknown[]) => forward('error', args),
    setLevel(level: SlackLogLevel) {
      child.level = String(level).toLowerCase();
    },
    getLevel(): SlackLogLevel {
      return SLACK_LEVELS[child.level] ?? ('info' as SlackLogLevel);
    },
    setName(newName: string) {
      const level = child.level;
      child = log.child({ name: newName });
      child.level = level;
    },
  };
}
