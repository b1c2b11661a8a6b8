/**
 * Property-based targets (fast-check) for identity inputs (spec §5): any JSON value in any
 * identity field is either a valid identity or `null`, never an exception, and normalization is
 * idempotent. Values are drawn in batches from seeded fast-check arbitraries so the run replays.
 */
import fc from 'fast-check';
import { IDENTITY_FIELDS, decodeIdentityHash, isValidPhone, normalizeEmail, parseIdentity } from '../../src/protocol/identity-input.ts';
import type { FuzzTarget, Verdict } from './fuzz-target.ts';
import type { Prng } from './prng.ts';

const BATCH = 512;

const emailLike = fc
  .tuple(
    fc.string({ unit: fc.constantFrom('a', 'B', '.', '+', ' ', '-', '_', '\u00e9', '\u0130', '1'), maxLength: 12 }),
    fc.constantFrom('@', '@@', '', ' @'),
    fc.constantFrom('gmail.com', 'example.com', 'GMAIL.COM', ' gmail.com ', '', 'x', 'a b.c'),
  )
  .map(([l, at, d]) => `${l}${at}${d}`);
const phoneLike = fc.tuple(fc.constantFrom('+', '', '++', ' +'), fc.string({ unit: fc.constantFrom('0', '1', '9', ' ', '-', '\u0661'), maxLength: 18 })).map(([p, d]) => p + d);
const hashLike = fc.oneof(
  fc.uint8Array({ minLength: 30, maxLength: 34 }).map((b) => Buffer.from(b).toString('base64')),
  fc.uint8Array({ minLength: 31, maxLength: 33 }).map((b) => Buffer.from(b).toString('hex')),
  fc.string({ minLength: 43, maxLength: 45 }),
);
const anyValue = fc.oneof(emailLike, phoneLike, hashLike, fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 64 }));

/** A fuzz target fed by a fast-check arbitrary, refilled in seeded batches. */
function propertyTarget<T>(name: string, weight: number, arb: fc.Arbitrary<T>, check: (value: T) => Verdict): FuzzTarget {
  let queue: T[] = [];
  return {
    name,
    weight,
    run(prng: Prng) {
      if (queue.length === 0) queue = fc.sample(arb, { seed: prng.next() | 0, numRuns: BATCH });
      const value = queue.pop() as T;
      try {
        return check(value);
      } catch (err) {
        return `threw ${(err as Error).name}: ${(err as Error).message} for ${JSON.stringify(value)?.slice(0, 80)}`;
      }
    },
  };
}

function checkIdentity(field: (typeof IDENTITY_FIELDS)[number], value: unknown): Verdict {
  const identity = parseIdentity(field, value);
  if (identity === null) return undefined;
  if (!Buffer.isBuffer(identity.hash) || identity.hash.length < 31 || identity.hash.length > 33) return `${field}: hash of ${identity.hash.length} bytes`;
  if (field === 'phone' && !isValidPhone(value)) return 'phone accepted but isValidPhone is false';
  return undefined;
}

export function identityTargets(): FuzzTarget[] {
  return [
    propertyTarget('identity/any-field', 6, fc.tuple(fc.constantFrom(...IDENTITY_FIELDS), anyValue), ([field, value]) => checkIdentity(field, value)),
    propertyTarget('identity/email-idempotent', 3, emailLike, (s) => {
      const once = normalizeEmail(s);
      if (once === null) return undefined;
      const twice = normalizeEmail(once);
      return twice === once ? undefined : `normalizeEmail not idempotent: ${JSON.stringify(s)} -> ${JSON.stringify(once)} -> ${JSON.stringify(twice)}`;
    }),
    propertyTarget('identity/hash-forms', 2, hashLike, (s) => {
      const bytes = decodeIdentityHash(s);
      if (bytes === null) return undefined;
      if (s.length === 64 && bytes.length !== 32) return 'hex hash did not give 32 bytes';
      return undefined;
    }),
  ];
}
