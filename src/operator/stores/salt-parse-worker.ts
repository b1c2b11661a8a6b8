/**
 * The salt parser job (salt-parse-thread.ts): parses the one file it is sent with the same scan
 * the event loop uses (salt-file-loader.ts) and moves the finished table back.
 */
import { asBuffer, bufferOf, serveJob } from '../threads/job-thread.ts';
import { parseSaltTable } from './salt-file-loader.ts';
import type { ParseRequest } from './salt-parse-thread.ts';
import type { SaltTableParts } from './salt-table.ts';

serveJob<ParseRequest, SaltTableParts>(({ bytes, expectedCount }) => {
  const parts = parseSaltTable(asBuffer(bytes), expectedCount).toParts();
  return { result: parts, transfer: [parts.bytes, parts.spans, parts.ids, parts.lastUpdatedMs, parts.refreshFromMs, parts.flags].map(bufferOf) };
}, 'salt file could not be parsed');
