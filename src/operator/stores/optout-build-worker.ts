/** The opt-out indexing job (optout-build-thread.ts): builds the table, moves it (and moved files) back. */
import { asBuffer, inSharedMemory, movable, serveJob } from '../threads/job-thread.ts';
import type { BuildRequest, BuildResult } from './optout-build-thread.ts';
import { OptOutIndex } from './optout-index.ts';

serveJob<BuildRequest, BuildResult>(({ files, kind, shared }) => {
  const built = new OptOutIndex(files.map(asBuffer), kind).tableParts();
  // In shared memory when asked: copied here, so the operator's thread never holds a second copy.
  const table = shared ? { table: inSharedMemory(built.table), size: built.size } : built;
  return { result: { table, files }, transfer: movable([table.table, ...files]) };
}, 'opt-out index could not be built');
