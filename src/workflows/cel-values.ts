import { Duration, UnsignedInt } from '@marcbachmann/cel-js/evaluator';

/**
 * Moving values across the CEL boundary. Into CEL: whole numbers become BigInt (CEL `int`) so
 * `params.replicas * 2` is int arithmetic, other numbers stay doubles, objects become Maps (no
 * prototype to reach through). Out of CEL: plain JSON-shaped values, with a size budget so
 * a template cannot produce an unbounded result.
 */

/** Keys never copied into a result object: assigning them could reach or shadow the prototype. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export const MAX_VALUE_DEPTH = 64;

/** Why a value cannot leave (or enter) CEL; the caller names the expression. */
export class ValueError extends Error {}

export function isUnsafeKey(key: string): boolean {
  return UNSAFE_KEYS.has(key);
}

/** A JS value (params, step outputs) as CEL sees it; undefined for nothing (like JSON). */
export function toCel(value: unknown, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new ValueError(`workflow data is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return value;
    case 'number':
      return Number.isSafeInteger(value) ? BigInt(value) : value;
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item) => toCel(item, depth + 1) ?? null);
  if (value instanceof Date || value instanceof Uint8Array) return value;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
  const map = new Map<unknown, unknown>();
  for (const [key, item] of entries) {
    const converted = toCel(item, depth + 1);
    if (converted !== undefined) map.set(key, converted);
  }
  return map;
}

/** Counts the characters a result would take, so an oversized one stops early. */
export class SizeBudget {
  #remaining: number;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
    this.#remaining = limit;
  }
  spend(chars: number): void {
    this.#remaining -= chars;
    if (this.#remaining < 0) throw new ValueError(`the result is larger than ${this.limit.toLocaleString('en-US')} characters`);
  }
}

/** A CEL result as a plain JS value: numbers, strings, booleans, null, arrays, plain objects. */
export function fromCel(value: unknown, budget: SizeBudget, depth = 0): unknown {
  if (depth > MAX_VALUE_DEPTH) throw new ValueError(`the result is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  switch (typeof value) {
    case 'string':
      budget.spend(value.length);
      return value;
    case 'boolean':
      budget.spend(5);
      return value;
    case 'bigint':
      budget.spend(8);
      return integerToNumber(value);
    case 'number':
      budget.spend(8);
      if (!Number.isFinite(value)) throw new ValueError(`the result is ${value}, not a finite number`);
      return value;
    case 'undefined':
      return null;
  }
  if (value === null) return null;
  if (value instanceof UnsignedInt) {
    budget.spend(8);
    return integerToNumber(value.value);
  }
  if (Array.isArray(value)) return value.map((item) => fromCel(item, budget, depth + 1));
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new ValueError('the result is an invalid timestamp');
    budget.spend(24);
    return value.toISOString();
  }
  if (value instanceof Duration) {
    const text = value.toString();
    budget.spend(text.length);
    return text;
  }
  if (value instanceof Uint8Array) throw new ValueError('bytes cannot be a workflow value; convert them with string(…)');
  if (value instanceof Map) return objectFrom([...value.entries()], budget, depth);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return objectFrom(Object.entries(value as object), budget, depth);
  throw new ValueError(`a ${celTypeName(value)} cannot be a workflow value`);
}

function objectFrom(entries: Array<[unknown, unknown]>, budget: SizeBudget, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, item] of entries) {
    const key = String(rawKey);
    if (isUnsafeKey(key)) continue;
    budget.spend(key.length + 2);
    out[key] = fromCel(item, budget, depth + 1);
  }
  return out;
}

function integerToNumber(value: bigint): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new ValueError(`the integer ${value} is too large to use exactly outside an expression`);
  return n;
}

/** CEL's name for a value's type, for messages. */
export function celTypeName(value: unknown): string {
  switch (typeof value) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'undefined':
      return 'null';
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (value instanceof UnsignedInt) return 'uint';
  if (value instanceof Date) return 'timestamp';
  if (value instanceof Duration) return 'duration';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Map) return 'map';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return 'map';
  return 'type';
}
