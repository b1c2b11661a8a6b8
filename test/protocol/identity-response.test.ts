/**
 * identity_responses: the fields of a generate response agree with the tokens inside it
 * (spec §7.6): expiries and refresh_from relative to the token's creation (or establishment),
 * and refresh_response_key equal to the one sealed in the refresh envelope.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeRefreshEnvelope } from '../../src/protocol/refresh-envelope.ts';
import { decodeRefreshToken } from '../../src/protocol/refresh-token.ts';
import { loadVectors } from '../support/shared.ts';
import { assertCovered, b64, lookupFor, vectorName, type Vector } from './vector-support.ts';

const all = loadVectors();
const byId = (group: Vector[], id: string): Vector => {
  const found = group.find((x) => x.id === id);
  assert.ok(found, `no vector ${id}`);
  return found;
};

(all.identity_responses as Vector[]).forEach((v, i) => {
  test(vectorName('identity_responses', v, i), () => {
    assertCovered(v, ['response', 'body_json', 'advertising_token_ref', 'refresh_token_ref', 'expected_relations']);
    const response = v.response ?? { status: 'success', body: JSON.parse(v.body_json) };
    assert.equal(response.status, 'success');
    const body = response.body;
    const adVector = byId(all.advertising_tokens, v.advertising_token_ref);
    const refreshVector = byId(all.refresh_tokens, v.refresh_token_ref);
    assert.equal(body.advertising_token, adVector.token);
    assert.equal(body.refresh_token, refreshVector.refresh_token);

    const ad = decodeAdvertisingToken(body.advertising_token, lookupFor(adVector.keys));
    const refreshKeys = lookupFor(refreshVector.keys);
    const envelope = decodeRefreshEnvelope(body.refresh_token, refreshKeys);
    const refresh = decodeRefreshToken(envelope.refreshToken, refreshKeys);
    assert.equal(body.refresh_response_key, b64(envelope.responseKey));
    assert.equal(body.identity_expires, ad.expiresMs);
    // v3 refresh tokens expire at refresh_expires; v2 stored the same value (valid-till is +60 s).
    assert.equal(body.refresh_expires, refresh.version === 3 ? refresh.expiresMs : refresh.storedExpiresMs);

    const bases: Record<string, number> = { established: ad.establishedMs };
    if (ad.version !== 2) bases.created = ad.createdMs;
    const relations = Object.entries(v.expected_relations as Record<string, number>);
    assert.ok(relations.length > 0);
    for (const [name, want] of relations) {
      if (name === 'created_ms') {
        assert.equal(bases.created, want, name);
        continue;
      }
      const m = /^(identity_expires|refresh_expires|refresh_from)_minus_(created|established)_ms$/.exec(name);
      assert.ok(m && m[2] in bases, `unknown relation ${name}`);
      assert.equal(body[m[1]] - bases[m[2]], want, name);
    }
  });
});
