/**
 * The compact opt-out index (src/operator/stores/optout-index.ts) answers exactly like the plain
 * Maps of base64 strings it replaced: random records over several files, with duplicates (earliest
 * time wins), 33-byte advertising ids, zero timestamps (not opt-outs) and non-canonical queries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { decodeOptOutRecord, encodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { LazyOptOutIndex } from '../../src/operator/stores/lazy-optout-index.ts';
import { OptOutIndex } from '../../src/operator/stores/optout-index.ts';

function reference(files: Buffer[]) {
  const byIdentity = new Map<string, number>();
  const byAdId = new Map<string, number>();
  const keep = (m: Map<string, number>, k: string, ts: number) => {
    const prev = m.get(k);
    if (prev === undefined || ts < prev) m.set(k, ts);
  };
  for (const f of files) {
    for (let off = 0; off < f.length; off += 72) {
      const r = decodeOptOutRecord(f, off);
      const ts = Number(r.timestampS);
      if (ts <= 0) continue;
      keep(byIdentity, r.identityHash.toString('base64'), ts);
      keep(byAdId, r.advertisingId.toString('base64'), ts);
    }
  }
  return { byIdentity, byAdId };
}

test('matches a Map of base64 keys, duplicates and 33-byte ids included', () => {
  const identities = Array.from({ length: 300 }, () => randomBytes(32));
  const adIds = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? Buffer.concat([Buffer.of(randomInt(0x40)), randomBytes(32)]) : randomBytes(32)));
  const files = [0, 1, 2].map(() =>
    Buffer.concat(
      Array.from({ length: 400 }, () => {
        const i = randomInt(identities.length);
        return encodeOptOutRecord({ identityHash: identities[i], advertisingId: adIds[randomInt(adIds.length)], timestampS: randomInt(0, 5) === 0 ? 0 : randomInt(1, 1_000_000) });
      }),
    ),
  );
  const ref = reference(files);
  const byIdentity = new OptOutIndex(files, 'identity');
  const byAdId = new OptOutIndex(files, 'advertising');
  assert.equal(byIdentity.size, ref.byIdentity.size);
  assert.equal(byAdId.size, ref.byAdId.size);
  for (const id of identities) assert.equal(byIdentity.get(id.toString('base64')), ref.byIdentity.get(id.toString('base64')));
  for (const id of adIds) assert.equal(byAdId.get(id.toString('base64')), ref.byAdId.get(id.toString('base64')));
  // Unknown keys, wrong lengths and non-canonical spellings of a known key are misses, as with a Map.
  assert.equal(byIdentity.get(randomBytes(32).toString('base64')), undefined);
  assert.equal(byIdentity.has(randomBytes(33).toString('base64')), false);
  const known = [...ref.byIdentity.keys()][0];
  assert.equal(byIdentity.has(known), true);
  assert.equal(byIdentity.has(known.replace(/=$/, '')), false);
  assert.equal(byIdentity.has(`${known}AAAA`), false);
  assert.equal(byIdentity.get('not base64!'), undefined);
  // Same bytes, other text: unused low bits set, the URL-safe alphabet, a lone 33-byte id as identity.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (const key of ref.byIdentity.keys()) {
    const last = ALPHABET.indexOf(key[42]);
    assert.equal(last & 3, 0);
    assert.equal(byIdentity.get(`${key.slice(0, 42)}${ALPHABET[last | 1]}=`), undefined);
    if (/[+/]/.test(key)) assert.equal(byIdentity.get(key.replace(/\+/g, '-').replace(/\//g, '_')), undefined);
  }
  for (const key of ref.byAdId.keys()) {
    assert.equal(byIdentity.get(key), ref.byIdentity.get(key));
    if (/[+/]/.test(key)) assert.equal(byAdId.get(key.replace(/\+/g, '-').replace(/\//g, '_')), undefined);
  }
});

test('getBase64Bytes answers exactly as get of the same text, from the bytes at any offset', () => {
  const identities = Array.from({ length: 200 }, () => randomBytes(32));
  const files = [Buffer.concat(identities.slice(0, 150).map((id, i) => encodeOptOutRecord({ identityHash: id, advertisingId: randomBytes(32), timestampS: i % 7 === 0 ? 0 : 1_000 + i })))];
  const byIdentity = new OptOutIndex(files, 'identity');
  const lazy = new LazyOptOutIndex(files, 'identity');
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const texts = identities.map((id) => id.toString('base64'));
  // Near misses too: a non-canonical last character, the URL-safe alphabet, a non-ASCII byte.
  for (const t of texts.slice(0, 20)) {
    texts.push(`${t.slice(0, 42)}${ALPHABET[ALPHABET.indexOf(t[42]) | 1]}=`, t.replace(/\+/g, '-').replace(/\//g, '_'), `${t.slice(0, 10)}\u00e9${t.slice(11)}`);
  }
  let hits = 0;
  for (const t of texts) {
    const bytes = Buffer.concat([randomBytes(5), Buffer.from(t, 'latin1'), randomBytes(3)]);
    assert.equal(byIdentity.getBase64Bytes(bytes, 5), byIdentity.get(t), t);
    assert.equal(lazy.getBase64Bytes(bytes, 5), byIdentity.get(t), t);
    if (byIdentity.get(t) !== undefined) hits++;
  }
  assert.ok(hits > 100, `${hits} keys found`);
});

test('getBytes answers exactly as get of the key\'s base64: both kinds, 32 and 33 bytes, other lengths', () => {
  const identities = Array.from({ length: 200 }, () => randomBytes(32));
  const adIds = identities.map((_, i) => (i % 3 === 0 ? Buffer.concat([Buffer.of(randomInt(0x40)), randomBytes(32)]) : randomBytes(32)));
  const files = [Buffer.concat(identities.slice(0, 150).map((id, i) => encodeOptOutRecord({ identityHash: id, advertisingId: adIds[i], timestampS: i % 7 === 0 ? 0 : 1_000 + i })))];
  let hits = 0;
  for (const [kind, keys] of [['identity', identities], ['advertising', adIds]] as const) {
    const index = new OptOutIndex(files, kind);
    const lazy = new LazyOptOutIndex(files, kind);
    for (const key of [...keys, randomBytes(31), randomBytes(34), Buffer.alloc(0)]) {
      assert.equal(index.getBytes(key), index.get(key.toString('base64')));
      assert.equal(lazy.getBytes(key), index.get(key.toString('base64')));
      if (index.getBytes(key) !== undefined) hits++;
    }
  }
  assert.ok(hits > 200, `${hits} keys found`);
});

test('getBase64Batch answers each key as getBase64Bytes does: both kinds, near misses, fingerprint twins', () => {
  const identities = Array.from({ length: 300 }, () => randomBytes(32));
  const adIds = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? Buffer.concat([Buffer.of(randomInt(0x40)), randomBytes(32)]) : randomBytes(32)));
  const records = identities.map((id, i) => encodeOptOutRecord({ identityHash: id, advertisingId: adIds[i], timestampS: i % 9 === 0 ? 0 : 1_000 + i }));
  const files = [Buffer.concat(records.slice(0, 200)), Buffer.concat(records.slice(200))];
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const keys = [...identities, ...adIds].map((id) => id.toString('base64'));
  for (const id of identities.slice(0, 30)) {
    const t = id.toString('base64');
    // Same bytes 8..16 (the fingerprint), another key: must not be taken for the record.
    const twin = Buffer.from(id);
    twin[0] ^= 0xff;
    keys.push(twin.toString('base64'), `${t.slice(0, 42)}${ALPHABET[ALPHABET.indexOf(t[42]) | 1]}=`, `${t.slice(0, 12)}\u00e9${t.slice(13)}`, `${t.slice(0, 30)}*${t.slice(31)}`);
    keys.push(`${t.slice(0, 43)}A`, t.replace(/\+/g, '-').replace(/\//g, '_'), randomBytes(33).toString('base64'));
  }
  for (const kind of ['identity', 'advertising'] as const) {
    for (const index of [new OptOutIndex(files, kind), new LazyOptOutIndex(files, kind)]) {
      const text = Buffer.from(keys.join(''), 'latin1');
      assert.equal(text.length, 44 * keys.length);
      const out = new Float64Array(keys.length).fill(-1);
      index.getBase64Batch(text, keys.length, out);
      let found = 0;
      for (let i = 0; i < keys.length; i++) {
        assert.equal(out[i], index.getBase64Bytes(text, 44 * i) ?? 0, `${kind} ${keys[i]}`);
        if (out[i] > 0) found++;
      }
      assert.ok(found > 150, `${kind}: ${found} keys found`);
    }
  }
});

test('an empty index answers nothing', () => {
  const empty = new OptOutIndex([], 'identity');
  assert.equal(empty.size, 0);
  assert.equal(empty.get(randomBytes(32).toString('base64')), undefined);
});
