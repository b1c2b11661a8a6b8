/**
 * `--storage azure`: Core reads its stores from a blob container, so the stack copies the data
 * set's `stores/**` there at start (the data directory stays the source of truth of a stack run).
 */
import { createAzureBlobStore } from '../../azure/azure-blob-store.ts';
import { FsBlobStore } from '../../storage/fs-blob-store.ts';

export async function uploadStores(dataDir: string, connectionString: string, container: string): Promise<number> {
  const local = new FsBlobStore({ root: dataDir, layout: 'flat' });
  const remote = await createAzureBlobStore(connectionString, container);
  const paths = await local.list('stores/');
  for (const path of paths) {
    const bytes = await local.get(path);
    if (bytes !== undefined) await remote.put(path, bytes);
  }
  return paths.length;
}
