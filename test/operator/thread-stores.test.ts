/**
 * A request thread's stores (src/operator/threads/thread-stores.ts): prepared generations are
 * taken in order once the process switches to them, several at once when the process switched
 * more than one between two requests; nothing before the switch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { OPTOUT_RECORD_SIZE } from '../../src/protocol/optout-record.ts';
import { optOutStore } from '../../src/operator/stores/optout-store.ts';
import { LocalStoreSource } from '../../src/operator/stores/store-source.ts';
import { createOperator } from '../../src/operator/operator-service.ts';
import { exportSnapshot, type ViewField } from '../../src/operator/stores/shared-snapshots.ts';
import { isShared, shareStoreMemory } from '../../src/operator/threads/job-thread.ts';
import { ThreadStores } from '../../src/operator/threads/thread-stores.ts';
import { GENERATION_WORD, type StoreSet } from '../../src/operator/threads/thread-protocol.ts';
import { fixturesDir, localConfigPath } from '../support/shared.ts';

const FIELDS: ViewField[] = ['clients', 'keysets', 'keysetKeys', 'salts', 'sites', 'cstgKeypairs', 'services', 'serviceLinks', 'runtimeConfig', 'optout'];

test('generations switched between two requests are all taken, in order; none before the switch', async () => {
  const op = await createOperator({ dataDir: fixturesDir, files: [localConfigPath], logger: pino({ level: 'silent' }), sharedStores: true });
  const view = op.deps.stores.view();
  const all: StoreSet = Object.fromEntries(FIELDS.map((f) => [f, exportSnapshot(f, view[f])]));
  const control = new Int32Array(new SharedArrayBuffer(8));
  const thread = new ThreadStores(control, 0, all, async () => {
    throw new Error('no process here');
  });
  const before = thread.stores.view();
  assert.equal(before.salts.firstLevelSalt, view.salts.firstLevelSalt, 'the initial generation');
  // Generation 1 brings the keys again (new snapshots), generation 2 the sites.
  thread.prepare(1, { keysetKeys: all.keysetKeys });
  thread.prepare(2, { sites: all.sites });
  assert.equal(thread.stores.view(), before, 'prepared, not switched: the same view');
  Atomics.store(control, GENERATION_WORD, 2);
  const after = thread.stores.view();
  assert.notEqual(after.keysetKeys, before.keysetKeys, 'generation 1 taken');
  assert.notEqual(after.sites, before.sites, 'generation 2 taken');
  assert.equal(after.salts, before.salts, 'a store no generation changed stays');
  assert.deepEqual([...after.keysetKeys.byId.keys()].sort(), [...before.keysetKeys.byId.keys()].sort());
});

test('with request threads, store files are read into shared memory and the tables live there', async (t) => {
  try {
    const op = await createOperator({ dataDir: fixturesDir, files: [localConfigPath], logger: pino({ level: 'silent' }), sharedStores: true });
    for (const f of op.deps.stores.view().salts.files) {
      const parts = f.entries.toParts();
      for (const v of [parts.bytes, parts.spans, parts.lines, parts.ids, parts.lastUpdatedMs, parts.refreshFromMs, parts.flags]) assert.ok(isShared(v), 'salt table in shared memory');
    }
    // An opt-out set: its files and its index table are born in shared memory.
    const dir = mkdtempSync(join(tmpdir(), 'uid2-shared-optout-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const records = randomBytes(OPTOUT_RECORD_SIZE * 100);
    writeFileSync(join(dir, 'part.dat'), records);
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ version: 1, optout_logs: [{ type: 'partition', location: '/part.dat' }] }));
    const source = new LocalStoreSource(dir, { optout: '/meta.json' });
    const snapshot = await optOutStore.load(await source.metadata('optout'), source, Date.now());
    const exported = exportSnapshot('optout', snapshot);
    assert.ok(exported.kind === 'optout' && exported.files.length === 1 && exported.files.every(isShared) && isShared(exported.identity.table), 'opt-out files and index in shared memory');
  } finally {
    shareStoreMemory(false);
  }
});
