/**
 * The salt-file loader (src/operator/stores/salt-file-loader.ts), scanning in slices on the event
 * loop or on a parser thread, gives, entry by entry, exactly what `parseSaltFile` gives, across
 * slice boundaries, CRLF endings and trailing empty lines, and reports a bad line with its
 * number in the whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSaltFile } from '../../src/core/dataset/salt-csv.ts';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { loadSaltFile, loadSaltFileInThread } from '../../src/operator/stores/salt-file-loader.ts';
import { parseSaltFileOffThread } from '../../src/operator/stores/salt-parse-thread.ts';
import { useJobThreads } from '../../src/operator/threads/job-thread.ts';

// As in a serving operator (startOperator turns them on).
useJobThreads();

const NOW = Date.UTC(2026, 0, 1);

test('same entries as parseSaltFile over many slices, LF and CRLF, trailing empty lines', async () => {
  const lf = generateSaltFile(5000, NOW); // ~450 KB: several 64 KB slices
  const crlf = Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n') + '\r\n\n', 'latin1');
  for (const bytes of [lf, crlf, Buffer.concat([lf, Buffer.from('\n\n')]), lf.subarray(0, lf.length - 1)]) {
    assert.deepEqual([...(await loadSaltFile(bytes))], parseSaltFile(bytes.toString('utf8')));
  }
  assert.equal((await loadSaltFile(lf, 5000)).length, 5000);
});

test('errors name the line in the whole file; empty files and wrong counts are refused', async () => {
  const lines = generateSaltFile(3000, NOW).toString('latin1').split('\n');
  lines[2500] = 'not,a,valid,line,x';
  await assert.rejects(loadSaltFile(Buffer.from(lines.join('\n'))), (err: unknown) => err instanceof ProtocolError && /line 2501:/.test(err.message));
  await assert.rejects(loadSaltFile(Buffer.from('\n\r\n')), ProtocolError);
  await assert.rejects(loadSaltFile(generateSaltFile(10, NOW), 11), /metadata says 11/);
});

/** Every file through the parser thread (threshold 0); the bytes are handed over, so each call gets its own copy. */
const offThread = (bytes: Buffer, expected?: number) => loadSaltFile(Buffer.from(bytes), expected, 0);

test('the parser thread gives the same table as the in-thread scan, and takes over the bytes', async () => {
  const lf = generateSaltFile(5000, NOW);
  const crlf = Buffer.from(lf.toString('latin1').replace(/\n/g, '\r\n') + '\r\n\n', 'latin1');
  for (const bytes of [lf, crlf]) {
    const table = await offThread(bytes, 5000);
    assert.deepEqual([...table], parseSaltFile(bytes.toString('utf8')));
    const local = await loadSaltFileInThread(bytes);
    for (const i of [0, 1234, 4999]) {
      assert.equal(table.currentSalt(i), local.currentSalt(i));
      assert.equal(table.refreshFrom(i), local.refreshFrom(i));
      assert.equal(table.hasCurrentKey(i), local.hasCurrentKey(i));
    }
  }
  const owned = Buffer.from(lf);
  const table = await parseSaltFileOffThread(owned, 5000);
  assert.equal(table?.length, 5000);
  assert.equal(owned.buffer.byteLength, 0, 'the caller\'s bytes were moved to the thread, not copied');
});

test('the parser thread refuses what the in-thread scan refuses, with the same errors', async () => {
  const lines = generateSaltFile(3000, NOW).toString('latin1').split('\n');
  lines[2500] = 'not,a,valid,line,x';
  const bad = Buffer.from(lines.join('\n'));
  const cases: [Buffer, number | undefined][] = [[bad, undefined], [Buffer.from('\n\r\n'), undefined], [generateSaltFile(10, NOW), 11]];
  for (const [bytes, expected] of cases) {
    const local = await loadSaltFileInThread(bytes, expected).then(() => assert.fail('accepted'), (err: unknown) => err);
    await assert.rejects(offThread(bytes, expected), (err: unknown) => {
      assert.ok(err instanceof ProtocolError && local instanceof ProtocolError);
      assert.equal(err.code, local.code);
      assert.equal(err.message, local.message);
      return true;
    });
  }
});

test('bytes in shared memory are read in place by the thread and stay with the caller', async () => {
  const file = generateSaltFile(2000, NOW);
  const shared = Buffer.from(new SharedArrayBuffer(file.length));
  file.copy(shared);
  const table = await parseSaltFileOffThread(shared, 2000);
  assert.deepEqual([...(table ?? [])], parseSaltFile(file.toString('utf8')));
  assert.deepEqual(shared, file, 'the bytes are untouched, still the caller\'s');
  assert.deepEqual([...(await loadSaltFile(shared, 2000, 0))], parseSaltFile(file.toString('utf8')));
});
