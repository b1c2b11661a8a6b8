/**
 * Constant-time comparison of secrets (issue 7 §6): the helper itself, and a static scan of
 * `src/` for `===`, `!==` or `.equals(` applied to something named like a secret (key, secret,
 * signature, MAC, hash of a key, token). Key lookups go through a map keyed by the salted
 * SHA-512 of the presented key (src/auth/key-index.ts), which leaks nothing about stored keys.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { isSameSecret } from '../../src/protocol/secret-comparison.ts';
import { repoRoot } from '../support/shared.ts';

test('isSameSecret: equal, unequal, different lengths, strings and bytes', () => {
  assert.equal(isSameSecret('UID2-O-L-1-abc', 'UID2-O-L-1-abc'), true);
  assert.equal(isSameSecret('UID2-O-L-1-abc', 'UID2-O-L-1-abd'), false);
  assert.equal(isSameSecret('short', 'a much longer value'), false);
  assert.equal(isSameSecret(Buffer.from('abc'), 'abc'), true);
  assert.equal(isSameSecret(Buffer.alloc(12, 1), Buffer.alloc(12, 2)), false);
  assert.equal(isSameSecret('', ''), true);
});

const SECRET_NAME = /(secret|signature|\bsig\b|hmac|\bmac\b|keyhash|key_hash|operatorkey|apikey|password|expectediv|authtag)/i;
/** `a === b`, `a !== b`, `a.equals(b)` with simple operands (identifiers, members, calls). */
const COMPARISONS = [/([\w.?\[\]()'-]+)\s*(?:===|!==)\s*([\w.?\[\]()'-]+)/g, /([\w.?\[\]()]+)\.equals\(([^)]*)\)/g];
/** Reviewed comparisons that are not between secrets, with the reason. */
const REVIEWED = new Map([
  // `sub` of a JWT whose signature jose already verified: a public claim, not a guess.
  ['src/attestation/operator-jwt.ts', /payload\.sub !== jwtSubject/],
  // The environment letter of an operator key ("L", "P"...), not its secret part.
  ['src/azure/bootstrap/config-validation.ts', /operatorKey\.split\('-'\)\[2\] !== expected/],
]);

function secretComparisons(line: string): string[] {
  const hits: string[] = [];
  for (const re of COMPARISONS) {
    for (const m of line.matchAll(re)) {
      const operands = [m[1], m[2]].map((o) => o.replace(/^[(!]+|\)+$/g, ''));
      if (operands.some((o) => /^(undefined|null|true|false|'.*'|\d+)$/.test(o) || o.endsWith('.length'))) continue;
      if (operands.some((o) => SECRET_NAME.test(o))) hits.push(m[0]);
    }
  }
  return hits;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

test('no secret in src/ is compared with ===, !== or Buffer.equals', () => {
  const offenders: string[] = [];
  for (const file of sourceFiles(join(repoRoot, 'src'))) {
    // Simulators and client-side code compare their own values, never a caller's guess.
    const rel = relative(repoRoot, file);
    if (/\/sim\/|^src\/client\/|^src\/cli\//.test(rel)) continue;
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/^\s*(\*|\/\/)/.test(line) || REVIEWED.get(rel)?.test(line)) return;
      for (const hit of secretComparisons(line)) offenders.push(`${rel}:${i + 1}: ${hit}`);
    });
  }
  assert.deepEqual(offenders, []);
  // The scan does catch the pattern it is for.
  assert.equal(secretComparisons('if (claims.operatorKey !== caller.key) return;').length, 1);
  assert.equal(secretComparisons('if (!expectedIv.equals(header.iv)) throw').length, 1);
  assert.equal(secretComparisons('if (operatorKey === undefined) throw').length, 0);
});

test('the places that check a presented secret use a constant-time comparison', () => {
  const read = (p: string) => readFileSync(join(repoRoot, p), 'utf8');
  assert.match(read('src/protocol/client-key.ts'), /timingSafeEqual\(expected, actual\)/);
  assert.match(read('src/storage/signed-url.ts'), /timingSafeEqual\(/);
  assert.match(read('src/attestation/attestation-headers.ts'), /isSameSecret\(claims\.operatorKey, caller\.key\)/);
  assert.match(read('src/attestation/sgx/sgx-dcap-verifier.ts'), /timingSafeEqual\(a, b\)/);
  // API and operator keys: looked up by their salted hash, never compared as text.
  assert.match(read('src/auth/key-index.ts'), /hashClientKey|hashKey\(/);
});
