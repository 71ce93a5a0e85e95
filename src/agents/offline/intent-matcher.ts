import type { IntentOutput } from '../output-schemas.ts';
import type { IntentCandidate, IntentParam } from './intent-candidates.ts';
import { CHANNEL_ID, CLEAR_LEAD, ENV_ALIASES, ENV_WORDS, FALSE_WORDS, FILLED_POINTS, FILLER, FIRST_WORD_POINTS, GUESS_POINTS, GUESSED_POINTS, IMPLIED_NAME_POINTS, KINDS, MAX_OFFERED, MISSING_POINTS, NAME_PARAM, NAME_POINTS, NOUNS, NUMBER, PLACE_PARAM, PLACE_PREPOSITIONS, PLAIN_WORDS, readRequest, REASON_PARAM, REFERENCE_PARAM, SUMMARY_POINTS, THIN_BELOW, TRUE_WORDS, UNUSED_POINTS, USER_ID, type Request, type Token } from './intent-grammar.ts';

/**
 * The offline intent agent: free text → a registry command, a clarifying question, or a pointer
 * at help. A small grammar, no model: the words are normalised (Slack markup, punctuation,
 * polite filler), verbs are mapped to the words commands are named with, and each candidate is
 * scored by how much of the sentence its name, summary and params explain. Its params are then
 * filled from what the sentence says (`key=value`, enum values, "in staging", "the api
 * deployment", numbers, values matching a param's pattern, user mentions). A command is proposed
 * only when one candidate clearly wins and has every required param; it is text as typed after
 * `/ops`, so the caller re-parses and re-validates it like anything a person typed.
 */

/** `thin`: a guess or a fallback, which the caller says so. `score`: 0 (nothing) to 1 (sure). */
export type IntentMatch = IntentOutput & { thin: boolean; score: number };

export interface MatchIntentOptions {
  /** How the slash command is spelt in hints (`OPS_COMMAND`). */
  commandPrefix?: string;
}

// ---- matching one candidate -------------------------------------------------------------------

type Evidence = 'named' | 'mention' | 'enum' | 'phrase' | 'place' | 'number' | 'pattern' | 'word';

interface Fill {
  value: string;
  evidence: Evidence;
}

interface Evaluation {
  candidate: IntentCandidate;
  score: number;
  /** Points from the words alone (names, summary), before values and penalties. */
  said: number;
  /** How many command words the sentence named: none means the candidate is only a guess. */
  nameHits: number;
  fills: Map<string, Fill>;
  missing: IntentParam[];
  /** Words and `key=value` pairs this candidate leaves unexplained. */
  unused: string[];
}

interface Vocabulary {
  /** Enum value (and its spellings) → the names of params that take it. */
  impliedNames: Map<string, string[]>;
}

function evaluate(candidate: IntentCandidate, request: Request, vocabulary: Vocabulary): Evaluation {
  const names = new Set(candidate.command.split(/[\s-]+/).map(stem));
  const described = new Set([...words(candidate.summary), ...candidate.params.flatMap((p) => p.name.split('_'))].map(stem));
  const { tokens } = request;
  const claimed = new Set<number>();
  const explained = new Set<number>();
  const matchedNames = new Set<string>();
  let said = 0;

  tokens.forEach((token, i) => {
    if (token.kind !== 'word') return;
    const forms = [...spellings(token.word), ...(token.means ?? [])].map(stem);
    const hit = forms.find((f) => names.has(f) && !matchedNames.has(f));
    if (hit !== undefined) {
      matchedNames.add(hit);
      claimed.add(i);
      said += NAME_POINTS + (token.first ? FIRST_WORD_POINTS : 0);
    } else if ((vocabulary.impliedNames.get(token.word) ?? []).some((n) => names.has(stem(n)))) {
      explained.add(i);
      said += IMPLIED_NAME_POINTS;
    }
    if (forms.some((f) => described.has(f)) || token.word.split(' ').some((w) => described.has(stem(w)))) {
      explained.add(i);
      said += SUMMARY_POINTS;
    }
  });

  // The sentence's verb is never a value, even for a candidate it does not name.
  const verb = tokens.findIndex((t) => t.first && t.means !== undefined);
  if (verb !== -1) claimed.add(verb);
  const reserved = reservedTokens(tokens, vocabulary);
  const { fills, used, unusedNamed } = fillParams(candidate, request, claimed, reserved);

  const missing = candidate.params.filter((p) => p.required && !fills.has(p.name));
  const unusedWords = tokens.filter((t, i) => t.kind !== 'place' && !used.has(i) && !explained.has(i) && t.means === undefined).map((t) => t.raw);
  const unused = [...unusedWords, ...unusedNamed];
  let score = 0;
  // Values alone do not make a match: any free word fills a free-text param.
  if (said > 0) {
    score = said + MISSING_POINTS * missing.length + UNUSED_POINTS * unusedWords.length;
    for (const fill of fills.values()) score += fill.evidence === 'word' ? GUESSED_POINTS : FILLED_POINTS;
  }
  return { candidate, score, said, nameHits: matchedNames.size, fills, missing, unused };
}

interface Reserved {
  /** Environment names and enum values: "prod" is never a service name. */
  values: Set<number>;
  /** Places ("in payments"): a param's pattern may claim them, a free-text guess may not. */
  places: Set<number>;
}

function reservedTokens(tokens: readonly Token[], vocabulary: Vocabulary): Reserved {
  const values = new Set<number>();
  const places = new Set<number>();
  tokens.forEach((token, i) => {
    if (ENV_WORDS.has(token.word) || vocabulary.impliedNames.has(token.word)) values.add(i);
    else if (tokens[i - 1]?.kind === 'place' && !NUMBER.test(token.raw)) places.add(i);
  });
  return { values, places };
}

function fillParams(candidate: IntentCandidate, request: Request, claimed: ReadonlySet<number>, reserved: Reserved) {
  const { tokens } = request;
  const fills = new Map<string, Fill>();
  const used = new Set<number>(claimed);
  const open = () => candidate.params.filter((p) => !fills.has(p.name));
  const isFree = (i: number) => i >= 0 && i < tokens.length && !used.has(i) && tokens[i]?.kind !== 'place';
  /** `pointer`: the word that pointed at the value ("deployment" in "the api deployment"). */
  const take = (param: IntentParam, i: number, value: string, evidence: Evidence, pointer?: number) => {
    fills.set(param.name, { value, evidence });
    used.add(i);
    if (pointer !== undefined) used.add(pointer);
  };

  // key=value as typed: passed through for the candidate's own params.
  const unusedNamed: string[] = [];
  if (request.because !== undefined && !candidate.params.some((p) => REASON_PARAM.test(p.name))) unusedNamed.push(`because ${request.because}`);
  for (const [key, value] of request.named) {
    const param = candidate.params.find((p) => p.name === key);
    if (param === undefined || fills.has(key) || value === '') unusedNamed.push(`${key}=${value}`);
    else fills.set(key, { value, evidence: 'named' });
  }

  for (const param of open()) {
    if (request.because === undefined || !REASON_PARAM.test(param.name) || param.type !== 'string' || param.enum !== undefined) continue;
    fills.set(param.name, { value: request.because, evidence: 'phrase' });
    break;
  }

  for (const param of open()) {
    if (param.type !== 'user' && param.type !== 'channel') continue;
    const i = tokens.findIndex((t, j) => t.kind === param.type && isFree(j));
    if (i !== -1) take(param, i, (tokens[i] as Token).raw, 'mention');
  }

  for (const param of open()) {
    if (param.enum === undefined) continue;
    for (const [i, token] of tokens.entries()) {
      const value = isFree(i) ? enumValue(param.enum, token.word) : undefined;
      if (value !== undefined) {
        take(param, i, value, 'enum');
        break;
      }
    }
  }

  // "the api deployment", "deployment api", "deployment/api", "5 replicas", "service api".
  for (const param of open()) {
    const anchors = new Set(spellings(param.name).map(stem));
    for (const [i, token] of tokens.entries()) {
      const [head, tail] = splitReference(token.word, token.raw);
      if (anchors.has(stem(head)) && tail !== undefined && isFree(i)) {
        const value = accept(param, tail);
        if (value !== undefined) take(param, i, value, 'phrase');
      } else if (anchors.has(stem(token.word)) && token.kind === 'word') {
        const i2 = [i - 1, i + 1].find((j) => isFree(j) && accept(param, (tokens[j] as Token).raw) !== undefined);
        if (i2 !== undefined) take(param, i2, accept(param, (tokens[i2] as Token).raw) as string, 'phrase', i);
      }
      if (fills.has(param.name)) break;
    }
  }

  // A Kubernetes kind beside a name fills a reference param (`deployment/api`) or a name param.
  for (const param of open()) {
    if (!REFERENCE_PARAM.test(param.name) && !NAME_PARAM.test(param.name) && param.pattern === undefined) continue;
    for (const [i, token] of tokens.entries()) {
      const [head, tail] = splitReference(token.word, token.raw);
      let at = i;
      let name = tail;
      if (name === undefined && KINDS.has(stem(head)) && token.kind === 'word') {
        at = [i - 1, i + 1].find((j) => isFree(j) && !reserved.values.has(j)) ?? -1;
        name = at === -1 ? undefined : (tokens[at] as Token).raw;
      }
      if (name === undefined || !KINDS.has(stem(head)) || !isFree(at)) continue;
      const kind = stem(head);
      const options = NAME_PARAM.test(param.name) ? [name] : REFERENCE_PARAM.test(param.name) ? [`${kind}/${name}`, name] : [`${kind}/${name}`];
      const value = options.map((o) => accept(param, o)).find((v) => v !== undefined);
      if (value !== undefined) {
        take(param, at, value, 'phrase', i);
        break;
      }
    }
  }

  for (const param of open()) {
    if (!PLACE_PARAM.test(param.name) || param.type === 'number') continue;
    const i = tokens.findIndex((t, j) => tokens[j - 1]?.kind === 'place' && isFree(j) && !NUMBER.test(t.raw) && accept(param, t.raw) !== undefined);
    if (i !== -1) take(param, i, accept(param, (tokens[i] as Token).raw) as string, 'place');
  }

  for (const param of open()) {
    if (param.type !== 'number') continue;
    const i = tokens.findIndex((t, j) => isFree(j) && NUMBER.test(t.raw) && accept(param, t.raw) !== undefined);
    if (i !== -1) take(param, i, (tokens[i] as Token).raw, 'number');
  }

  // Whatever its pattern accepts; then, for a required free-text param, the next word left over.
  const guess = (param: IntentParam, evidence: Evidence) => {
    const kept = (j: number) => reserved.values.has(j) || (evidence === 'word' && reserved.places.has(j));
    const i = tokens.findIndex((t, j) => isFree(j) && !kept(j) && t.kind === 'word' && accept(param, t.raw) !== undefined);
    if (i !== -1) take(param, i, accept(param, (tokens[i] as Token).raw) as string, evidence);
  };
  for (const param of open()) {
    if (param.pattern === undefined || param.enum !== undefined || (param.type !== 'string' && param.type !== 'other')) continue;
    // An optional param is guessed only by a pattern plain words fail (a version, a run id).
    if (distinctive(param)) guess(param, 'pattern');
    else if (param.required) guess(param, 'word');
  }
  for (const param of open()) if (param.required && param.type === 'string' && param.enum === undefined && param.pattern === undefined) guess(param, 'word');

  return { fills, used, unusedNamed };
}

/** A pattern that ordinary words do not match: a token it accepts is most likely meant for it. */
function distinctive(param: IntentParam): boolean {
  return PLAIN_WORDS.every((w) => accept(param, w) === undefined);
}

/** The value to use for `param` given the text `raw`, or undefined when it does not fit. */
function accept(param: IntentParam, raw: string): string | undefined {
  if (param.enum !== undefined) return enumValue(param.enum, raw.toLowerCase());
  switch (param.type) {
    case 'number':
      return NUMBER.test(raw) ? raw : undefined;
    case 'boolean': {
      const word = raw.toLowerCase();
      return TRUE_WORDS.has(word) ? 'true' : FALSE_WORDS.has(word) ? 'false' : undefined;
    }
    case 'user':
      return USER_ID.test(raw) ? raw : undefined;
    case 'channel':
      return CHANNEL_ID.test(raw) ? raw : undefined;
    default: {
      if (param.pattern === undefined) return raw;
      const re = fullMatch(param.pattern);
      if (re === undefined) return raw;
      // Service names and run ids are lower case where typed in capitals.
      return re.test(raw) ? raw : re.test(raw.toLowerCase()) ? raw.toLowerCase() : undefined;
    }
  }
}

function enumValue(values: readonly string[], word: string): string | undefined {
  const exact = values.find((v) => v.toLowerCase() === word);
  if (exact !== undefined) return exact;
  const group = ENV_ALIASES.find((g) => g.includes(word));
  return group === undefined ? undefined : values.find((v) => group.includes(v.toLowerCase()));
}

function fullMatch(pattern: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return undefined;
  }
}

/** `deployment/api` → [deployment, api]; anything else → [word]. */
function splitReference(word: string, raw: string): [string, string | undefined] {
  const slash = word.indexOf('/');
  if (slash <= 0 || slash === word.length - 1 || word.includes('/', slash + 1) || word.includes(':')) return [word, undefined];
  return [word.slice(0, slash), raw.slice(slash + 1)];
}

/** A word and its other spellings (nouns written more than one way). */
function spellings(word: string): string[] {
  const group = NOUNS.find((g) => g.includes(word));
  return group === undefined ? [word] : group;
}

/** Plural to singular, enough to match `workflows` to `workflow` and `runs` to `run`. */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** The content words of a summary. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['’]s\b/g, '')
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 1 && !FILLER.has(w) && !PLACE_PREPOSITIONS.has(w));
}

// ---- deciding ---------------------------------------------------------------------------------

export function matchIntent(text: string, candidates: readonly IntentCandidate[], options: MatchIntentOptions = {}): IntentMatch {
  const prefix = options.commandPrefix ?? '/ops';
  const request = readRequest(text);
  const vocabulary = vocabularyOf(candidates);
  const ranked = candidates
    .map((c) => evaluate(c, request, vocabulary))
    .filter((e) => e.said > 0)
    .sort((a, b) => b.score - a.score || a.candidate.command.localeCompare(b.candidate.command));
  const named = ranked.filter((e) => e.nameHits > 0);
  const best = named[0];

  if (best === undefined) {
    const guess = ranked[0];
    if (guess !== undefined && guess.said >= GUESS_POINTS) {
      return {
        kind: 'question',
        question: `I'm not sure what you mean. Did you mean \`${guess.candidate.command}\` (${sentence(guess.candidate.summary)})? \`${prefix} help\` lists everything I can do.`,
        thin: true,
        score: confidence(guess.said / 2, 0),
      };
    }
    return {
      kind: 'answer',
      answer: `I couldn't match that to anything I can do. \`${prefix} help\` lists the commands you can run.`,
      thin: true,
      score: 0,
    };
  }

  const second = named[1];
  const rivals = named.filter((e) => best.score - e.score < CLEAR_LEAD).slice(0, MAX_OFFERED);
  if (rivals.length > 1) {
    const list = rivals.map((e) => `\`${e.candidate.command}\``);
    const choices = `${list.slice(0, -1).join(', ')} or ${list.at(-1) as string}`;
    const about = rivals.map((e) => `\`${e.candidate.command}\`: ${sentence(e.candidate.summary)}`).join('; ');
    return { kind: 'question', question: `Did you mean ${choices}? (${about})`, thin: true, score: confidence(best.score, second?.score ?? 0) };
  }

  const score = confidence(best.score, second?.score ?? 0);
  // A winner that explains little of the sentence is still a guess.
  const thin = score < THIN_BELOW;
  if (best.missing.length > 0) return { kind: 'question', question: missingQuestion(best, prefix), thin, score };
  return { kind: 'command', command: renderCommand(best), explanation: explain(best), thin, score };
}

function vocabularyOf(candidates: readonly IntentCandidate[]): Vocabulary {
  const impliedNames = new Map<string, string[]>();
  for (const param of candidates.flatMap((c) => c.params)) {
    for (const value of param.enum ?? []) {
      const lower = value.toLowerCase();
      const spelt = ENV_ALIASES.find((g) => g.includes(lower)) ?? [lower];
      for (const word of spelt) impliedNames.set(word, [...new Set([...(impliedNames.get(word) ?? []), param.name])]);
    }
  }
  return { impliedNames };
}

/** How strongly the winner was named (about six points is a verb and a noun) times its lead. */
function confidence(best: number, second: number): number {
  if (best <= 0) return 0;
  const strength = Math.min(1, best / 6);
  const lead = best / (best + Math.max(0, second));
  return Math.round(strength * lead * 100) / 100;
}

function missingQuestion(e: Evaluation, prefix: string): string {
  const needs = e.missing.map((p) => {
    const what = p.enum !== undefined ? `one of ${p.enum.join(', ')}` : p.type === 'user' ? 'mention someone' : p.type === 'channel' ? 'mention a channel' : p.description;
    const shown = what ?? (p.pattern !== undefined ? `matching \`${p.pattern}\`` : undefined);
    return shown !== undefined && shown !== '' ? `\`${p.name}\` (${shown})` : `\`${p.name}\``;
  });
  const example = `${renderCommand(e)} ${e.missing.map((p) => `${p.name}=…`).join(' ')}`;
  return `To ${commandPhrase(e.candidate)} I need ${joinAnd(needs)}. What should ${e.missing.length === 1 ? 'it' : 'they'} be? For example: \`${prefix} ${example}\``;
}

function commandPhrase(candidate: IntentCandidate): string {
  return `run \`${candidate.command}\` (${sentence(candidate.summary)})`;
}

function explain(e: Evaluation): string {
  const given = e.candidate.params.flatMap((p) => {
    const fill = e.fills.get(p.name);
    return fill === undefined ? [] : [`${p.name}=${fill.value}`];
  });
  const defaults = e.candidate.params.filter((p) => !p.required && !e.fills.has(p.name)).map((p) => p.name);
  return [
    `${sentence(e.candidate.summary)}.`,
    given.length > 0 ? `From your message: ${given.join(', ')}.` : '',
    defaults.length > 0 ? `Left as default: ${defaults.join(', ')}.` : '',
    e.unused.length > 0 ? `Not used: ${e.unused.map((w) => `"${w}"`).join(', ')}.` : '',
  ]
    .filter((s) => s !== '')
    .join(' ');
}

/**
 * The candidate with its values, as typed after `/ops`: positional params as words while they
 * follow one another, the rest as `key=value`; values quoted and escaped so the parser reads
 * them back exactly.
 */
function renderCommand(e: Evaluation): string {
  const parts = [e.candidate.command];
  let inLine = true;
  for (const param of e.candidate.params) {
    const fill = e.fills.get(param.name);
    if (fill === undefined) {
      if (param.positional) inLine = false;
      continue;
    }
    const value = param.type === 'user' && USER_ID.test(fill.value) ? `<@${fill.value}>` : param.type === 'channel' && CHANNEL_ID.test(fill.value) ? `<#${fill.value}>` : quote(fill.value);
    parts.push(param.positional && inLine ? value : `${param.name}=${value}`);
  }
  return parts.join(' ');
}

/** A value as one parser word: markup characters as entities, quoted when it has spaces or quotes. */
export function quote(value: string): string {
  const escaped = value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const plain = escaped !== '' && !/[\s"“”„'‘’\\]/.test(escaped) && !/^[a-z][a-z0-9_-]*=/.test(escaped) && !escaped.startsWith('--');
  return plain ? escaped : `"${escaped.replace(/[\\"“”„]/g, (c) => `\\${c}`)}"`;
}

function sentence(summary: string): string {
  return summary.replace(/[.\s]+$/, '');
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1) as string}`;
}
