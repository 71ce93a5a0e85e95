/**
 * ESTIMATES ONLY — list prices in US dollars per million tokens, by model family, as published
 * when this file was written. They let a reply say "about $0.04" and let runs be compared; they
 * are not a bill. Cache writes are priced at the 5-minute ephemeral rate (1.25 × input) and cache
 * reads at 0.1 × input, which is how the Messages API charges prompt caching.
 */

export interface ModelPrice {
  /** The family the model id was matched to ("unknown" falls back to the dearest known family). */
  family: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cacheWritePerMTok: number;
  cacheReadPerMTok: number;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
}

function family(name: string, input: number, output: number): ModelPrice {
  return { family: name, inputPerMTok: input, outputPerMTok: output, cacheWritePerMTok: input * 1.25, cacheReadPerMTok: input * 0.1 };
}

const FAMILIES: ReadonlyArray<{ match: RegExp; price: ModelPrice }> = [
  { match: /opus/, price: family('opus', 5, 25) },
  { match: /sonnet/, price: family('sonnet', 3, 15) },
  { match: /haiku/, price: family('haiku', 1, 5) },
];

// An unpriced family (new names appear in the SDK's model list before anyone updates this table)
// is estimated at the dearest known rate, so a budget check errs on the side of stopping.
const UNKNOWN = family('unknown', 5, 25);

export function priceFor(model: string): ModelPrice {
  return FAMILIES.find((entry) => entry.match.test(model))?.price ?? UNKNOWN;
}

/** Estimated cost in US dollars of the given usage on `model`, rounded to a millionth of a dollar. */
export function estimateCostUsd(model: string, usage: TokenUsage): number {
  const price = priceFor(model);
  const micro =
    usage.inputTokens * price.inputPerMTok +
    usage.outputTokens * price.outputPerMTok +
    usage.cacheCreationInputTokens * price.cacheWritePerMTok +
    usage.cacheReadInputTokens * price.cacheReadPerMTok;
  return Math.round(micro) / 1_000_000;
}
