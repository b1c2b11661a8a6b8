/**
 * Enclave registration (spec attestation-azure.md §2.3, §2.4): azure-sgx ids are MRENCLAVEs stored
 * lowercase, a malformed one is refused by the admin tools, and one that reaches the store anyway
 * is skipped by Core without blocking the registrations after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AzureCcVerifier } from '../../src/attestation/azure-cc-verifier.ts';
import { SgxDcapVerifier } from '../../src/attestation/sgx/sgx-dcap-verifier.ts';
import { VerifierRegistry } from '../../src/attestation/verifier-registry.ts';
import { AdminError, registerEnclave } from '../../src/core/admin/admin-records.ts';
import { openBlobBackend } from '../../src/core/blob-backend.ts';
import { EnclaveSync } from '../../src/core/enclave-sync.ts';
import { readJsonStore } from '../../src/core/stores/store-reader.ts';
import { writeJsonStore } from '../../src/core/stores/store-writer.ts';

test('azure-sgx ids: lowercase in the store, malformed refused; a bad stored id does not block the rest', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-enclaves-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const { store: blobs } = await openBlobBackend({ dataDir: dir, kind: 'fs', baseUrl: '' });
  await registerEnclave(blobs, { protocol: 'azure-sgx', id: 'AB'.repeat(32) }, Date.now());
  await assert.rejects(registerEnclave(blobs, { protocol: 'azure-sgx', id: 'not-hex' }, Date.now()), AdminError);
  await assert.rejects(registerEnclave(blobs, { protocol: 'azure-sgx', id: 'ab'.repeat(32) }, Date.now()), AdminError, 'already registered');
  const stored = (await readJsonStore(blobs, 'enclaves')).records as Array<{ identifier: string }>;
  assert.deepEqual(stored.map((e) => e.identifier), ['ab'.repeat(32)]);

  // A hand-edited store: a malformed azure-sgx id before a good azure-cc one.
  const now = Math.floor(Date.now() / 1000);
  await writeJsonStore(
    blobs,
    'enclaves',
    [
      { name: 'bad', protocol: 'azure-sgx', identifier: 'zz', created: now },
      { name: 'cc', protocol: 'azure-cc', identifier: 'policy-digest', created: now },
      ...stored,
    ],
    Date.now(),
  );
  const sgx = new SgxDcapVerifier();
  const cc = new AzureCcVerifier({ corePublicUrl: 'http://127.0.0.1' });
  const sync = new EnclaveSync(blobs, new VerifierRegistry([sgx, cc]));
  await sync.refresh();
  assert.deepEqual(cc.allowlist(), ['policy-digest']);
  assert.equal(sync.enclaves.length, 3);
});
