import { resolveMarkup } from '../../commands/parser.ts';

/**
 * The offline intent matcher's grammar (verbs, nouns, filler, places, points) and how a request
 * is read into tokens: Slack markup resolved, key=value pairs and "because …" taken out, phrases
 * joined. intent-matcher.ts scores candidates against what this reads.
 */

// ---- the grammar ------------------------------------------------------------------------------

interface Verb {
  /** Single words and phrases that mean it, as typed (lower case, apostrophes dropped). */
  says: string[];
  /** Words commands doing it are named or described with. */
  means: string[];
}

const VERBS: Verb[] = [
  { says: ['restart', 'bounce', 'reboot', 'recycle', 'kick', 'cycle'], means: ['restart'] },
  { says: ['roll back', 'rollback', 'revert', 'undo'], means: ['rollback', 'undo', 'revert'] },
  { says: ['deploy', 'ship', 'release', 'roll out', 'rollout', 'push', 'promote'], means: ['deploy', 'release', 'rollout'] },
  { says: ['scale', 'resize'], means: ['scale'] },
  { says: ['status', 'health', 'healthy', 'whats wrong', 'what is wrong', 'whats up with', 'how is', 'hows', 'how are', 'check on'], means: ['status', 'health'] },
  { says: ['show', 'list', 'get', 'display', 'view', 'who has', 'who is', 'who are'], means: ['list', 'show', 'describe'] },
  { says: ['describe', 'explain', 'details', 'info'], means: ['describe', 'show'] },
  { says: ['history', 'recent'], means: ['history'] },
  { says: ['approve', 'lgtm', 'sign off', 'accept'], means: ['approve'] },
  { says: ['reject', 'deny', 'decline'], means: ['reject'] },
  { says: ['cancel', 'stop', 'abort', 'halt'], means: ['cancel', 'stop', 'abort'] },
  { says: ['retry', 'rerun', 're-run', 'run again', 'try again'], means: ['retry'] },
  { says: ['run', 'start', 'trigger', 'execute', 'kick off', 'launch'], means: ['run', 'start'] },
  { says: ['grant', 'give', 'make'], means: ['grant'] },
  { says: ['revoke', 'take away', 'remove'], means: ['revoke'] },
  { says: ['logs', 'log'], means: ['logs', 'log'] },
  { says: ['help', 'what can you do', 'what do you do', 'how do i', 'commands'], means: ['help'] },
];

/** Nouns spelt more than one way in commands. */
export const NOUNS: string[][] = [
  ['k8s', 'kubernetes', 'kube'],
  ['ns', 'namespace'],
  ['env', 'environment'],
  ['service', 'svc'],
  ['replicas', 'replica'],
];

/** Environment names: one spelling matches an enum value spelt another way, when that value exists. */
export const ENV_ALIASES: string[][] = [
  ['production', 'prod', 'prd'],
  ['staging', 'stage', 'stg'],
  ['development', 'dev'],
  ['testing', 'test', 'qa'],
];
export const ENV_WORDS = new Set(ENV_ALIASES.flat());

/** Words that carry no request: politeness, pronouns, articles, auxiliaries. */
export const FILLER = new Set(
  (
    'please pls plz kindly can could would will shall should might may you u me for the a an i id im want wanna need like just now quickly asap ' +
    'go ahead it its my our us we some this that these those thanks thank ty hey hi hello opsbot bot is are am be been do does did of with and or ' +
    'what whats there theres here up so right away let lets also too all everything how who which when where why tell about again'
  ).split(' '),
);

/** Words after which comes a place: an environment, a namespace, a cluster. */
export const PLACE_PREPOSITIONS = new Set(['in', 'on', 'to', 'into', 'at', 'within', 'inside']);
export const PLACE_PARAM = /^(env|environment|stage|ns|namespace|cluster|context|region|zone)$|_(env|environment|ns|namespace|cluster)$/;

/** Kubernetes kinds: "the api deployment" names a deployment called api. */
export const KINDS = new Set(['deployment', 'statefulset', 'daemonset', 'pod', 'job', 'cronjob', 'replicaset', 'service', 'ingress', 'node', 'configmap']);
/** Params that take a `kind/name` reference rather than a bare name. */
export const REFERENCE_PARAM = /^(target|resource|workload|object|ref)$/;
export const NAME_PARAM = /^(name|app|application)$/;
export const REASON_PARAM = /^(reason|why|message|comment|note)$/;

export const PLAIN_WORDS = ['api', 'hello', 'payments'];
export const NUMBER = /^[+-]?\d+(?:\.\d+)?$/;
export const USER_ID = /^[UW][A-Z0-9]{2,}$/;
export const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
export const TRUE_WORDS = new Set(['true', 'yes', 'on', 'y']);
export const FALSE_WORDS = new Set(['false', 'no', 'off', 'n']);

/** Points a command word earns; the first word of a sentence is its verb and earns one more. */
export const NAME_POINTS = 3;
export const FIRST_WORD_POINTS = 1;
/** An enum value names its param: "admin" speaks of a role. */
export const IMPLIED_NAME_POINTS = 2;
export const SUMMARY_POINTS = 1;
/** A value the sentence gives for a param, and one guessed from a word left over. */
export const FILLED_POINTS = 1;
export const GUESSED_POINTS = 0.5;
/** A required param the sentence leaves out, and a word nothing in the candidate explains. */
export const MISSING_POINTS = -1;
export const UNUSED_POINTS = -0.5;
/** Summary words alone offer a guess only from this many points on. */
export const GUESS_POINTS = 2;
/** A winner must lead the next candidate by this much, or the user is asked which they meant. */
export const CLEAR_LEAD = 1;
export const MAX_OFFERED = 3;
export const THIN_BELOW = 0.35;

// ---- reading the request ----------------------------------------------------------------------

type TokenKind = 'word' | 'place' | 'user' | 'channel';

export interface Token {
  kind: TokenKind;
  /** As typed, markup resolved (`U123`, `v2.3.0`, `API`). */
  raw: string;
  /** Lower case, apostrophes dropped; a phrase's words joined by spaces. */
  word: string;
  /** The words a command may be named with, when the token is a verb. */
  means?: string[];
  /** The first word of the sentence (after filler): its verb when it is one. */
  first: boolean;
}

export interface Request {
  named: Array<[string, string]>;
  /** What follows "because": the reason for a decision, kept as typed. */
  because?: string;
  tokens: Token[];
}

const LEADING_MENTIONS = /^\s*(?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+/;
const NAMED_PAIR = /(^|\s)(?:--)?([a-z][a-z0-9_-]*)=(?:"((?:[^"\\]|\\.)*)"|“([^”]*)”|'([^']*)'|‘([^’]*)’|(\S*))/g;
const FLAG = /(^|\s)--([a-z][a-z0-9_-]*)(?=\s|$)/g;
const BECAUSE = /(^|\s)(?:because|since|reason:)\s+(\S[\s\S]*)$/i;
const PIECES = /<[^>]*>|[^\s<]+/g;
const EDGE_PUNCTUATION = /^["'“”‘’`*_([{,.;:!?]+|["'“”‘’`*_)\]},.;:!?]+$/g;
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

const PHRASES = new Map<string, string[]>(VERBS.flatMap((verb) => verb.says.map((say) => [say, verb.means] as [string, string[]])));
const LONGEST_PHRASE = Math.max(...[...PHRASES.keys()].map((p) => p.split(' ').length));

export function readRequest(text: string): Request {
  const named: Array<[string, string]> = [];
  let rest = text.replace(LEADING_MENTIONS, ' ');
  rest = rest.replace(NAMED_PAIR, (_match, lead: string, key: string, dq?: string, cdq?: string, sq?: string, csq?: string, bare?: string) => {
    const value = dq !== undefined ? dq.replace(/\\(.)/g, '$1') : (cdq ?? sq ?? csq ?? bare ?? '');
    named.push([key, resolveText(value)]);
    return `${lead} `;
  });
  rest = rest.replace(FLAG, (_match, lead: string, key: string) => {
    named.push([key, 'true']);
    return `${lead} `;
  });

  let because: string | undefined;
  rest = rest.replace(BECAUSE, (_match, lead: string, reason: string) => {
    because = resolveText(reason).trim();
    return lead;
  });

  const pieces: Array<Omit<Token, 'first'>> = [];
  for (const piece of rest.match(PIECES) ?? []) {
    if (piece.startsWith('<')) {
      const inner = piece.slice(1, -1);
      const id = resolveMarkup(inner);
      if (inner.startsWith('@') && USER_ID.test(id)) pieces.push({ kind: 'user', raw: id, word: id.toLowerCase() });
      else if (inner.startsWith('#') && CHANNEL_ID.test(id)) pieces.push({ kind: 'channel', raw: id, word: id.toLowerCase() });
      else if (id !== '') pieces.push({ kind: 'word', raw: id, word: id.toLowerCase() });
      continue;
    }
    const raw = resolveText(piece).replace(EDGE_PUNCTUATION, '');
    const word = raw.toLowerCase().replace(/['’]/g, '');
    if (word !== '') pieces.push({ kind: 'word', raw, word });
  }
  return { named, ...(because ? { because } : {}), tokens: withPhrases(pieces) };
}

/** Verb phrases become one token; filler goes; the first word left is marked as the verb. */
function withPhrases(pieces: ReadonlyArray<Omit<Token, 'first'>>): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < pieces.length) {
    const piece = pieces[i] as Omit<Token, 'first'>;
    const first = !tokens.some((t) => t.kind !== 'place');
    let phrase: { length: number; means: string[] } | undefined;
    for (let n = Math.min(LONGEST_PHRASE, pieces.length - i); n > 0 && phrase === undefined; n--) {
      const span = pieces.slice(i, i + n);
      if (span.some((p) => p.kind !== 'word')) continue;
      const means = PHRASES.get(span.map((p) => p.word).join(' '));
      if (means !== undefined) phrase = { length: n, means };
    }
    if (phrase !== undefined) {
      const span = pieces.slice(i, i + phrase.length);
      tokens.push({ kind: 'word', raw: span.map((p) => p.raw).join(' '), word: span.map((p) => p.word).join(' '), means: phrase.means, first });
      i += phrase.length;
      continue;
    }
    i++;
    if (piece.kind === 'word' && FILLER.has(piece.word)) continue;
    if (piece.kind === 'word' && PLACE_PREPOSITIONS.has(piece.word)) {
      tokens.push({ ...piece, kind: 'place', first: false });
      continue;
    }
    tokens.push({ ...piece, first });
  }
  return tokens;
}

function resolveText(text: string): string {
  return text.replace(/<([^>]*)>/g, (_m, inner: string) => resolveMarkup(inner)).replace(/&(amp|lt|gt);/g, (m) => ENTITIES[m] ?? m);
}
