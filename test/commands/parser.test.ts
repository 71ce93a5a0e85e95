import { describe, expect, it } from 'vitest';
import { parseArgs, tokenize } from '../../src/commands/parser.ts';
import { UserError } from '../../src/errors.ts';

const words = (text: string) => tokenize(text).map((t) => t.text);

describe('tokenize', () => {
  it('splits on any whitespace, including newlines and the no-break spaces Slack sends', () => {
    expect(words('  role   grant\tU1\n admin\u00a0now ')).toEqual(['role', 'grant', 'U1', 'admin', 'now']);
  });

  it('keeps double- and single-quoted text together as one word', () => {
    expect(words(`incident declare "db is down" 'sev 1'`)).toEqual(['incident', 'declare', 'db is down', 'sev 1']);
  });

  it('reads the curly quotes Slack clients insert as quotes', () => {
    expect(words('say “hello there” ‘and you’')).toEqual(['say', 'hello there', 'and you']);
  });

  it('lets a backslash escape a quote or a backslash inside double quotes', () => {
    expect(words(String.raw`note "say \"hi\" to C:\\temp"`)).toEqual(['note', 'say "hi" to C:\\temp']);
  });

  it('leaves backslashes outside quotes alone, so paths and regexes survive', () => {
    expect(words(String.raw`grep ^error\s+\d C:\logs`)).toEqual(['grep', String.raw`^error\s+\d`, String.raw`C:\logs`]);
  });

  it('treats an apostrophe inside a word as text, not as an opening quote', () => {
    expect(words("incident declare the db isn't responding")).toEqual(['incident', 'declare', 'the', 'db', "isn't", 'responding']);
    expect(words('incident declare the db’s down')).toEqual(['incident', 'declare', 'the', 'db’s', 'down']);
  });

  it('keeps an apostrophe inside single quotes as text', () => {
    expect(words("note 'it’s fine' ok")).toEqual(['note', 'it’s fine', 'ok']);
  });

  it('keeps an empty quoted word as an empty argument', () => {
    expect(words('set reason="" x ""')).toEqual(['set', 'reason=', 'x', '']);
  });

  it('quotes the value of key=value without quoting the key', () => {
    const tokens = tokenize('deploy msg="ship it now" "a=b"');
    expect(tokens).toEqual([
      { text: 'deploy', quoted: false },
      { text: 'msg=ship it now', quoted: false },
      { text: 'a=b', quoted: true },
    ]);
  });

  it('resolves Slack user, channel and user-group mentions to their ids', () => {
    expect(words('page <@U012AB3CD> <@W0123|alice> in <#C024BE91L|general> <#C0ABC> and <!subteam^SAZ94GDB8|@oncall>')).toEqual([
      'page',
      'U012AB3CD',
      'W0123',
      'in',
      'C024BE91L',
      'C0ABC',
      'and',
      'SAZ94GDB8',
    ]);
  });

  it('resolves links to their URL, labelled or not, and unescapes entities', () => {
    expect(words('see <https://example.com/a?b=1&amp;c=2|the dashboard> <https://x.io> a&amp;b &lt;tag&gt;')).toEqual([
      'see',
      'https://example.com/a?b=1&c=2',
      'https://x.io',
      'a&b',
      '<tag>',
    ]);
  });

  it('resolves markup inside quotes and inside key=value', () => {
    expect(words('role grant user=<@U1|alice> "ping <@U2> now"')).toEqual(['role', 'grant', 'user=U1', 'ping U2 now']);
  });

  it('refuses an unterminated quote, naming the quote and where it starts', () => {
    expect(() => tokenize('incident declare "db is down')).toThrow(UserError);
    expect(() => tokenize('incident declare "db is down')).toThrow('The quote " that starts `"db is down` is never closed.');
    expect(() => tokenize("note 'never closed")).toThrow(/The quote ' that starts `'never closed` is never closed/);
  });

  it('reads empty text as no words', () => {
    expect(tokenize('   ')).toEqual([]);
  });
});

describe('parseArgs', () => {
  it('separates positional words from key=value pairs', () => {
    expect(parseArgs(tokenize('U1 admin reason="on call" n=5'))).toEqual({ positional: ['U1', 'admin'], named: { reason: 'on call', n: '5' } });
  });

  it('reads --flag as the flag set to true, and -- as the end of options', () => {
    expect(parseArgs(tokenize('--force web -- --not-a-flag x=y'))).toEqual({ positional: ['web', '--not-a-flag', 'x=y'], named: { force: 'true' } });
  });

  it('reads --key=value like key=value', () => {
    expect(parseArgs(tokenize('--wait=5m'))).toEqual({ positional: [], named: { wait: '5m' } });
  });

  it('keeps quoted words, capitalised keys and URLs positional', () => {
    expect(parseArgs(tokenize('"a=b" Key=v https://x.io/?q=1')).positional).toEqual(['a=b', 'Key=v', 'https://x.io/?q=1']);
  });

  it('refuses a key given twice, naming it', () => {
    expect(() => parseArgs(tokenize('n=1 n=2'))).toThrow('`n` is given twice (`n=2`).');
  });
});
