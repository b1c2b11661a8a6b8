/**
 * The salt parser thread (salt-parse-thread.ts, which starts it at a lower priority): reports
 * ready, parses the one file it is sent with the same scan the event loop uses (salt-file-loader.ts)
 * and moves the finished table back. Nothing here logs: the file is not secret, but it is
 * the caller's to report on.
 */
import { parentPort } from 'node:worker_threads';
import { isProtocolError } from '../../protocol/errors.ts';
import { parseSaltTable } from './salt-file-loader.ts';
import type { ParseReply, ParseRequest } from './salt-parse-thread.ts';

function parse(request: ParseRequest): { reply: ParseReply; transfer: ArrayBuffer[] } {
  try {
    const { bytes, expectedCount } = request;
    const table = parseSaltTable(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), expectedCount);
    const parts = table.toParts();
    const transfer = [parts.bytes, parts.spans, parts.ids, parts.lastUpdatedMs, parts.refreshFromMs, parts.flags].map((a) => a.buffer as ArrayBuffer);
    return { reply: { kind: 'table', parts }, transfer };
  } catch (err) {
    return { reply: { kind: 'error', code: isProtocolError(err) ? err.code : undefined, message: isProtocolError(err) ? err.message : 'salt file could not be parsed' }, transfer: [] };
  }
}

const port = parentPort;
if (port !== null) {
  port.once('message', (request: ParseRequest) => {
    const { reply, transfer } = parse(request);
    port.postMessage(reply, transfer);
  });
  port.postMessage({ kind: 'ready' } satisfies ParseReply);
}
