/**
 * The salt parser job (salt-parse-thread.ts): decrypts the one file it is sent when it comes with
 * cloud keys, parses it with the same scan the event loop uses (salt-file-loader.ts) and moves
 * the finished table back.
 */
import { decryptCloudFileWithKeys } from '../../protocol/cloud-encrypted-file.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { asBuffer, inSharedMemory, movable, serveJob } from '../threads/job-thread.ts';
import { parseSaltTable } from './salt-file-loader.ts';
import { mapSaltParts, saltPartViews } from './salt-table.ts';
import type { ParseRequest, ParseResult } from './salt-parse-thread.ts';

serveJob<ParseRequest, ParseResult>(({ bytes, expectedCount, keys, shared }) => {
  let plain = asBuffer(bytes);
  if (keys !== undefined) {
    try {
      plain = decryptCloudFileWithKeys(plain, keys);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return { result: { decryptFailed: { code: err.code, message: err.message } }, transfer: [] };
    }
  }
  const table = parseSaltTable(plain, expectedCount).toParts();
  // In shared memory when asked: copied here, so the operator's thread never holds a second copy.
  const parts = shared ? mapSaltParts(table, inSharedMemory) : table;
  return { result: parts, transfer: movable(saltPartViews(parts)) };
}, 'salt file could not be parsed');
