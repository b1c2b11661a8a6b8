/**
 * Mutation operators over text such as base64 tokens, keys and identities: the byte mutator on
 * the UTF-8 form plus character-level edits that stay near the alphabet the parser expects
 * (base64/base64url letters, padding, whitespace, separators) and a few hostile code points.
 */
import { mutateBytes } from './byte-mutator.ts';
import type { Prng } from './prng.ts';

const NEAR = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_.@ \t\n%,:;';
const HOSTILE = ['\u0000', '\u00e9', '\u0130', '\u212a', '\ufeff', '\ud800', '\u{1f600}', '\u200b', '\\', '"', '\u0085', '\u2028'];

function randomChar(prng: Prng): string {
  return prng.chance(0.85) ? NEAR[prng.int(NEAR.length)] : prng.pick(HOSTILE);
}

export function mutateText(prng: Prng, input: string, other: string = input): string {
  const mode = prng.int(6);
  if (mode === 0) return mutateBytes(prng, Buffer.from(input, 'utf8'), Buffer.from(other, 'utf8')).toString('latin1');
  const chars = [...input];
  const rounds = 1 + prng.int(3);
  for (let r = 0; r < rounds; r++) {
    const at = prng.int(chars.length + 1);
    switch (prng.int(6)) {
      case 0:
        if (chars.length) chars[Math.min(at, chars.length - 1)] = randomChar(prng);
        break;
      case 1:
        chars.splice(at, 0, randomChar(prng));
        break;
      case 2:
        chars.splice(at, 1 + prng.int(4));
        break;
      case 3:
        chars.length = Math.min(chars.length, at);
        break;
      case 4:
        chars.splice(at, 0, ...chars.slice(at, at + 1 + prng.int(8)));
        break;
      default:
        chars.splice(at, 0, ...[...other].slice(prng.int(other.length + 1)));
    }
  }
  return chars.join('');
}
