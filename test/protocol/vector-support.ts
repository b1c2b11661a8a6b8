/**
 * Shared plumbing of the protocol vector tests: key lookups built from a vector or from the
 * fixture keyset_keys.json, and a field-by-field comparison that fails when a vector carries a
 * field the test does not check (so editing any expected value must break a test).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtocolError, type ProtocolErrorCode } from '../../src/protocol/errors.ts';
import type { Key, KeyLookup } from '../../src/protocol/token-fields.ts';
import { fixturesDir } from '../support/shared.ts';

/** Vector keys that describe a vector rather than state an expected value. */
const DESCRIPTIVE = new Set(['id', 'source', 'note', 'sdk_input', 'fixture_config', 'kind', 'algorithm']);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Vector = Record<string, any>;

export function vectorName(group: string, v: Vector, index: number): string {
  return `${group}/${v.id ?? index}`;
}

/** Fails unless every non-descriptive key of `v` is among `handled`. */
export function assertCovered(v: Vector, handled: readonly string[]): void {
  const missing = Object.keys(v).filter((k) => !DESCRIPTIVE.has(k) && !handled.includes(k));
  assert.deepEqual(missing, [], `vector fields not checked by the test: ${missing.join(', ')}`);
}

/** Compares every leaf of `expected` with the same path in `actual`. */
export function assertFields(actual: unknown, expected: Vector, path = 'expected'): void {
  const a = (actual ?? {}) as Vector;
  for (const [k, want] of Object.entries(expected)) {
    if (want !== null && typeof want === 'object' && !Array.isArray(want)) assertFields(a[k], want, `${path}.${k}`);
    else assert.deepEqual(a[k], want, `${path}.${k}`);
  }
}

function lookupOf(keys: Key[]): KeyLookup {
  const byId = new Map(keys.map((k) => [k.id, k]));
  return (id) => byId.get(id);
}

let fixtureKeys: Key[] | undefined;
export function fixtureKeyLookup(): KeyLookup {
  fixtureKeys ??= (JSON.parse(readFileSync(join(fixturesDir, 'com.uid2.core', 'test', 'keyset_keys', 'keyset_keys.json'), 'utf8')) as Vector[]).map(
    (k) => ({ id: k.id as number, secret: Buffer.from(k.secret as string, 'base64') }),
  );
  return lookupOf(fixtureKeys);
}

/**
 * The lookup a vector decrypts with. Keys named by keyset (the docs sample) come from the fixture
 * keyset_keys.json, after checking the vector quotes them correctly; others from the vector.
 */
export function lookupFor(keys: Record<string, Vector>): KeyLookup {
  const fromVector = Object.entries(keys).map(([id, k]) => ({ id: Number(id), secret: Buffer.from(k.secret_b64 as string, 'base64') }));
  if (!Object.values(keys).some((k) => 'keyset_id' in k)) return lookupOf(fromVector);
  const fixture = fixtureKeyLookup();
  for (const k of fromVector) assert.deepEqual(fixture(k.id)?.secret, k.secret, `fixture key ${k.id}`);
  return fixture;
}

export function isProtocolError(code?: ProtocolErrorCode): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    if (code !== undefined) assert.equal(err.code, code);
    return true;
  };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');

/** For flat vectors: compares each field of `actual` with the vector's field of the same name. */
export function assertVectorFields(actual: Vector, v: Vector): void {
  for (const [k, value] of Object.entries(actual)) {
    assert.ok(k in v, `vector lacks ${k}`);
    assert.deepEqual(value, v[k], `${v.id ?? ''}.${k}`);
  }
}
