/**
 * The salt parser job (salt-parse-thread.ts): decrypts the one file it is sent when it comes with
 * cloud keys, parses it with the same scan the event loop uses (salt-file-loader.ts) and moves
 * the finished table back.
 */
import { decryptCloudFile } from '../../protocol/cloud-encrypted-file.ts';
import { isProtocolError } from '../../protocol/errors.ts';
import { asBuffer, bufferOf, serveJob } from '../threads/job-thread.ts';
import { parseSaltTable } from './salt-file-loader.ts';
import type { ParseRequest, ParseResult } from './salt-parse-thread.ts';

serveJob<ParseRequest, ParseResult>(({ bytes, expectedCount, keys }) => {
  let plain = asBuffer(bytes);
  if (keys !== undefined) {
    try {
      plain = decryptCloudFile(plain, (id) => keys.find((k) => k.id === id)?.secret);
    } catch (err) {
      if (!isProtocolError(err)) throw err;
      return { result: { decryptFailed: { code: err.code, message: err.message } }, transfer: [] };
    }
  }
  const parts = parseSaltTable(plain, expectedCount).toParts();
  return { result: parts, transfer: [parts.bytes, parts.spans, parts.ids, parts.lastUpdatedMs, parts.refreshFromMs, parts.flags].map(bufferOf) };
}, 'salt file could not be parsed');
