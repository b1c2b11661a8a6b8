/** The opt-out indexing job (optout-build-thread.ts): builds the table, moves it (and moved files) back. */
import { asBuffer, bufferOf, isShared, serveJob } from '../threads/job-thread.ts';
import type { BuildRequest, BuildResult } from './optout-build-thread.ts';
import { OptOutIndex } from './optout-index.ts';

serveJob<BuildRequest, BuildResult>(({ files, kind }) => {
  const table = new OptOutIndex(files.map(asBuffer), kind).tableParts();
  const moved = files.filter((f) => !isShared(f)).map(bufferOf);
  return { result: { table, files }, transfer: [bufferOf(table.table), ...moved] };
}, 'opt-out index could not be built');
