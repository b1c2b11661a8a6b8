/**
 * The sliced salt-file loader (src/operator/stores/salt-file-loader.ts) gives, entry by entry,
 * exactly what `parseSaltFile` gives, across slice boundaries, CRLF endings and trailing empty
 * lines, and reports a bad line with its number in the whole file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSaltFile } from '../../src/core/dataset/salt-csv.ts';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { loadSaltFile } from '../../src/operator/stores/salt-file-loader.ts';

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
