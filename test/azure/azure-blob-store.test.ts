import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createAzureBlobStore, parseStorageConnectionString } from '../../src/azure/azure-blob-store.ts';
import { runBlobStoreContract } from '../storage/blob-store.contract.ts';
import { startAzurite, type Azurite } from '../support/azurite.ts';

let azurite: Azurite;
before(async () => {
  azurite = await startAzurite();
});
after(async () => {
  await azurite?.stop();
});

// Each contract case gets its own container, so cases start empty.
runBlobStoreContract('azure', async () => {
  const container = `c${randomBytes(8).toString('hex')}`;
  const store = await createAzureBlobStore(azurite.connectionString, container);
  return { store, close: async () => {} };
});

test('connection string: explicit endpoint and account-derived endpoint', () => {
  const local = parseStorageConnectionString('AccountName=a;AccountKey=k==;BlobEndpoint=http://127.0.0.1:1/a/');
  assert.deepEqual(local, { accountName: 'a', accountKey: 'k==', blobEndpoint: 'http://127.0.0.1:1/a' });
  const cloud = parseStorageConnectionString('DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=x;EndpointSuffix=core.windows.net');
  assert.equal(cloud.blobEndpoint, 'https://acct.blob.core.windows.net');
  assert.throws(() => parseStorageConnectionString('AccountName=only'));
});
