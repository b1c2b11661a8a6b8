/** The SDK's decryptToken renders every field of the vector tokens (spec §7, vectors `advertising_tokens`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptToken } from '../../src/client/token-decryption.ts';
import type { SharedKey } from '../../src/client/wire-types.ts';
import { loadVectors } from '../support/shared.ts';

interface TokenVector {
  id: string;
  token: string;
  format: string;
  keys: Record<string, { secret_b64: string }>;
  expected: Record<string, any>;
}

function sharedKeysOf(v: TokenVector): SharedKey[] {
  return Object.entries(v.keys).map(([id, k]) => ({ id: Number(id), created: 0, activates: 0, expires: 0, secret: k.secret_b64 }));
}

for (const v of loadVectors().advertising_tokens as TokenVector[]) {
  // user_token vectors are the legacy 0x02 site-layer-only form, not advertising tokens.
  if (!v.expected?.raw_uid_b64 || !v.token || v.id.includes('user_token')) continue;
  test(`decryptToken advertising_tokens/${v.id}`, () => {
    const t = decryptToken(v.token, sharedKeysOf(v));
    assert.equal(t.raw_uid, v.expected.raw_uid_b64);
    if (v.expected.site_id !== undefined) assert.equal(t.site_id, v.expected.site_id);
    if (v.expected.established_ms !== undefined) assert.equal(t.established_ms, v.expected.established_ms);
    if (v.expected.privacy_bits !== undefined) {
      assert.equal(t.privacy_bits, v.expected.privacy_bits);
      assert.equal(t.is_client_side_generated, (v.expected.privacy_bits & 2) !== 0);
    }
    if (v.expected.refreshed_ms !== undefined) assert.equal(t.refreshed_ms, v.expected.refreshed_ms);
    if (v.expected.operator !== undefined) {
      const o = v.expected.operator;
      assert.deepEqual(t.operator, { site_id: o.site_id, type: o.type, version: o.version, key_id: o.key_id });
    }
    // The output is plain JSON: no Buffers survive.
    assert.deepEqual(JSON.parse(JSON.stringify(t)), t);
  });
}

test('decryptToken: a token whose keys are missing throws', () => {
  const v = (loadVectors().advertising_tokens as TokenVector[]).find((x) => x.format === 'v4')!;
  assert.throws(() => decryptToken(v.token, []));
});
