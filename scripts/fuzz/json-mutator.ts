/**
 * Structural JSON mutations: change a field's type or value, drop or add fields (including
 * prototype-pollution names), nest deeply, blow up arrays, and occasionally break the text
 * itself. The result is either a JSON-able value or (for `mutateJsonText`) arbitrary text.
 */
import type { Prng } from './prng.ts';
import { mutateText } from './text-mutator.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '', 'email', 'email_hash', 'phone', 'phone_hash', 'token', 'link_id', 'optout_check', 'policy', 'tcf_consent_string', 'advertising_ids', 'diis', 'identity'];
const NUMBERS = [0, -1, 1, 1.5, -0, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, 5001, 1e-7];

function randomScalar(prng: Prng, like?: Json): Json {
  switch (prng.int(7)) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return prng.pick(NUMBERS);
    case 3:
      return typeof like === 'string' ? mutateText(prng, like) : mutateText(prng, 'user@example.com');
    case 4:
      return 'x'.repeat(prng.pick([0, 1, 255, 256, 4096, 70_000]));
    case 5:
      return [];
    default:
      return {};
  }
}

/** Keeps blown-up arrays near the 1 MiB body limit rather than hundreds of megabytes. */
function small(value: Json | undefined): Json {
  if (typeof value === 'string') return value.length <= 64 ? value : value.slice(0, 64);
  return value === undefined || (typeof value === 'object' && value !== null) ? 'a@b.com' : value;
}

function deep(prng: Prng, depth: number): Json {
  let v: Json = randomScalar(prng);
  for (let i = 0; i < depth; i++) v = prng.chance(0.5) ? [v] : { a: v };
  return v;
}

function mutateValue(prng: Prng, value: Json, budget: number): Json {
  if (budget <= 0) return value;
  if (Array.isArray(value)) {
    const arr = [...value];
    switch (prng.int(5)) {
      case 0:
        if (arr.length) arr[prng.int(arr.length)] = mutateValue(prng, arr[prng.int(arr.length)], budget - 1);
        return arr;
      case 1:
        arr.splice(prng.int(arr.length + 1), 0, randomScalar(prng, arr[0]));
        return arr;
      case 2:
        return arr.slice(0, prng.int(arr.length + 1));
      case 3:
        // Many items (the identity-map limits, spec §15).
        return Array.from({ length: prng.pick([2, 100, 5001]) }, (_, i) => small(arr[i % Math.max(1, arr.length)]));
      default:
        return randomScalar(prng, value);
    }
  }
  if (value !== null && typeof value === 'object') {
    const obj: { [k: string]: Json } = { ...value };
    const keys = Object.keys(obj);
    switch (prng.int(5)) {
      case 0:
        if (keys.length) {
          const k = prng.pick(keys);
          obj[k] = mutateValue(prng, obj[k], budget - 1);
        }
        return obj;
      case 1:
        if (keys.length) delete obj[prng.pick(keys)];
        return obj;
      case 2: {
        const k = prng.pick(HOSTILE_KEYS);
        // defineProperty so "__proto__" becomes an own key, as JSON.parse would make it.
        Object.defineProperty(obj, k, { value: prng.chance(0.3) ? deep(prng, prng.pick([2, 50, 500])) : randomScalar(prng), enumerable: true, writable: true, configurable: true });
        return obj;
      }
      case 3:
        if (keys.length) obj[prng.pick(keys)] = randomScalar(prng, obj[prng.pick(keys)]);
        return obj;
      default:
        return randomScalar(prng);
    }
  }
  return prng.chance(0.7) ? randomScalar(prng, value) : value;
}

/** A structurally mutated copy of `value` (1–3 mutations). */
export function mutateJson(prng: Prng, value: unknown): unknown {
  let out = value as Json;
  const rounds = 1 + prng.int(3);
  for (let i = 0; i < rounds; i++) out = mutateValue(prng, out, 4);
  return out;
}

/** JSON text of a mutated value, sometimes with the text itself damaged. */
export function mutateJsonText(prng: Prng, value: unknown): string {
  const text = JSON.stringify(mutateJson(prng, value)) ?? 'null';
  return prng.chance(0.2) ? mutateText(prng, text) : text;
}
