import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstLevelHash } from '../../src/protocol/first-level-hash.ts';
import { parseIdentity, type IdentityField } from '../../src/protocol/identity-input.ts';
import { IdentityType, parseEnvironment, parseScope } from '../../src/protocol/identity-kinds.ts';
import { currentRawUid, mapIdentity, type MappingContext } from '../../src/protocol/identity-mapping.ts';
import { parseRawUidV4 } from '../../src/protocol/raw-uid.ts';
import { bucketIndex, bucketIndex20, createBucketIdEncoder } from '../../src/protocol/salt-bucket.ts';
import { parseSaltFile, type SaltEntry } from '../../src/protocol/salt-file.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { fixturesDir, loadVectors, localConfigPath, sharedDir } from '../support/shared.ts';

const group = loadVectors().local_mapping;
const readJson = (path: string): any => JSON.parse(readFileSync(path, 'utf8')); // eslint-disable-line @typescript-eslint/no-explicit-any

// Everything below is read from the fixture, as the operator would in local mode; the vector's
// own copies of these values are only compared against it (the "fixture check").
const fixtureDir = join(sharedDir, group.fixture_dir);
const metadata = readJson(join(fixtureDir, group.salts_metadata.path));
const runtimeConfig = readJson(join(fixtureDir, 'runtime_config', 'metadata.json')).runtime_config;
const localConfig = readJson(localConfigPath);

/** The snapshot in force at `nowMs` (spec §6.5): last by `effective` with effective <= now < expires. */
function snapshotAt(nowMs: number): { effective: number; location: string; size: number } {
  const live = metadata.salts
    .filter((s: { effective: number; expires?: number }) => s.effective <= nowMs && nowMs < (s.expires ?? Infinity))
    .sort((a: { effective: number }, b: { effective: number }) => a.effective - b.effective);
  return live[live.length - 1];
}

const asOf = group.cases[0].as_of_ms as number;
const snapshot = snapshotAt(asOf);
const saltText = readFileSync(join(fixturesDir, snapshot.location), 'utf8');
const entries = parseSaltFile(saltText, snapshot.size);
const bucketId = createBucketIdEncoder(metadata.id_secret, metadata.id_prefix);
const ctxFor = (type: IdentityType, identityV3: boolean): MappingContext => ({
  scope: parseScope(localConfig.identity_scope),
  type,
  environment: parseEnvironment(runtimeConfig.identity_environment),
  identityV3,
});

test('local_mapping/fixture', () => {
  const m = group.salts_metadata;
  assert.equal(metadata.first_level, m.first_level);
  assert.equal(metadata.id_prefix, m.id_prefix);
  assert.equal(metadata.id_secret, m.id_secret);
  assert.ok(snapshot.location.endsWith(`/${m.snapshot_file}`));
  assert.equal(snapshot.effective, m.snapshot_effective_ms);
  assert.equal(entries.length, m.entry_count);
  for (const c of group.cases) assert.equal(snapshotAt(c.as_of_ms), snapshot, 'every case uses the same snapshot');
  assert.equal(localConfig.identity_scope.toUpperCase(), group.identity_scope);
  assert.equal(runtimeConfig.identity_environment, group.identity_environment);
  assert.equal(localConfig.identity_v3, group.identity_v3);

  const lines = saltText.split('\n');
  assert.equal(group.salt_entries.length, entries.length);
  for (const v of group.salt_entries) {
    const e: SaltEntry = entries[v.line];
    assert.equal(lines[v.line], v.raw_line);
    assert.equal(e.id, v.id);
    assert.equal(e.lastUpdated, v.last_updated_ms);
    assert.equal(e.currentSalt, v.current_salt);
    assert.equal(e.refreshFrom, v.refresh_from_ms);
    assert.equal(e.previousSalt, v.previous_salt);
    assert.deepEqual(e.currentKey, v.current_key);
    assert.deepEqual(e.previousKey, v.previous_key);
    assert.equal(bucketId(e.id), v.bucket_id);
  }
});

interface MappingCase {
  input_field: IdentityField | 'first_level_hash';
  input: string;
  identity_type: 'email' | 'phone';
  identity_hash_b64?: string;
  first_level_hash_b64: string;
  idx20: number;
  salt_line: number;
  salt_entry_id: number;
  bucket_id: string;
  raw_uid_version: 'v2' | 'v4';
  as_of_ms: number;
  u: string;
  p: string | null;
  r: number;
  u_if_identity_v3?: string;
}

group.cases.forEach((c: MappingCase, i: number) => {
  test(`local_mapping/${i}`, () => {
    const type = c.identity_type === 'phone' ? IdentityType.Phone : IdentityType.Email;
    let flh: Buffer;
    if (c.input_field === 'first_level_hash') {
      // The refresh path starts from the FLH inside a refresh token.
      flh = Buffer.from(c.input, 'base64');
      assert.equal(c.identity_hash_b64, undefined);
    } else {
      const identity = parseIdentity(c.input_field, c.input);
      assert.ok(identity, 'identity must be valid');
      assert.equal(identity.type, type);
      assert.equal(identity.hash.toString('base64'), c.identity_hash_b64);
      flh = firstLevelHash(identity.hash, metadata.first_level);
    }
    assert.equal(flh.toString('base64'), c.first_level_hash_b64);
    assert.equal(bucketIndex20(flh), c.idx20);
    const line = bucketIndex(flh, entries.length);
    assert.equal(line, c.salt_line);
    const entry = entries[line];
    assert.equal(entry.id, c.salt_entry_id);
    assert.equal(bucketId(entry.id), c.bucket_id);

    const mapped = mapIdentity(flh, entry, ctxFor(type, group.identity_v3), c.as_of_ms);
    assert.equal(mapped.current.toString('base64'), c.u);
    assert.equal(mapped.previous === null ? null : mapped.previous.toString('base64'), c.p);
    assert.equal(mapped.refreshFromS, c.r);
    assert.deepEqual(currentRawUid(flh, entry, ctxFor(type, group.identity_v3)), mapped.current);

    const version = mapped.current.length === 32 ? 'v2' : (parseRawUidV4(mapped.current), 'v4');
    assert.equal(version, c.raw_uid_version);

    // identity_v3 turns salted (v2) UIDs into v3; v4 UIDs do not change.
    const v3 = mapIdentity(flh, entry, ctxFor(type, true), c.as_of_ms).current.toString('base64');
    assert.equal(v3, c.u_if_identity_v3 ?? c.u);
  });
});

test('an entry with neither salt nor key cannot be mapped', () => {
  const entry: SaltEntry = { id: 1, lastUpdated: 0, currentSalt: null, refreshFrom: null, previousSalt: null, currentKey: null, previousKey: null };
  assert.throws(() => mapIdentity(Buffer.alloc(32), entry, ctxFor(IdentityType.Email, false), 0), (e) => isProtocolError(e, 'ERR_FORMAT'));
});

test('a line without refresh_from refreshes at the next UTC midnight', () => {
  const entry: SaltEntry = { id: 1, lastUpdated: 0, currentSalt: 's', refreshFrom: null, previousSalt: null, currentKey: null, previousKey: null };
  const mapped = mapIdentity(Buffer.alloc(32), entry, ctxFor(IdentityType.Email, false), 86_400_000 * 3 + 5);
  assert.equal(mapped.refreshFromS, 86_400 * 4);
});
