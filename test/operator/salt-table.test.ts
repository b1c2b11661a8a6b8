/**
 * The compact salt table (src/operator/stores/salt-table.ts) accepts and refuses exactly the lines
 * `parseSaltFile` does, with the same error, and its accessors agree with the parsed entries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { parseSaltFile, type SaltEntry } from '../../src/protocol/salt-file.ts';
import { loadSaltFile } from '../../src/operator/stores/salt-file-loader.ts';
import type { SaltTable } from '../../src/operator/stores/salt-table.ts';

async function outcome<T>(run: () => T | Promise<T>): Promise<{ ok: T } | { error: string }> {
  try {
    return { ok: await run() };
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `unexpected error type: ${String(err)}`);
    return { error: `${err.code} ${err.message}` };
  }
}

function assertAccessors(table: SaltTable, entries: readonly SaltEntry[]): void {
  assert.equal(table.length, entries.length);
  entries.forEach((e, i) => {
    assert.deepEqual(table.at(i), e);
    assert.equal(table.id(i), e.id);
    assert.equal(table.lastUpdated(i), e.lastUpdated);
    assert.equal(table.refreshFrom(i), e.refreshFrom);
    assert.equal(table.currentSalt(i), e.currentSalt);
    assert.equal(table.previousSalt(i), e.previousSalt);
    assert.equal(table.hasCurrentKey(i), e.currentKey !== null);
    assert.equal(table.hasPreviousKey(i), e.previousKey !== null);
  });
}

test('hand-picked lines: same entries or same error as parseSaltFile', async () => {
  const cases = [
    '1,100,salt1,1000,old_salt1,10,key_1,key_salt_1,100,old_key_1,old_key_1_salt',
    '2,200,,2000,old_salt,0,current_key_key,current_key_salt,,,',
    '3,300,salt3\n4,400,salt4,4000\r\n',
    '007,0000000000000000001,s',
    '2147483647,9007199254740991,s',
    '2147483648,1,s',
    '1,9007199254740992,s',
    '1,100,s,10x0',
    '1,100,secret-salt,1000,,5,key-only,,,,',
    '1,100,secret-salt,1000,,,,,,,,extra',
    '1,-5,secret-salt',
    '1,,s',
    ',1,s',
    '1,2',
    '1',
    '',
    '1,2,\r',
    '1,2,,,,9,k,s',
    '1,2,,,,x,k,s',
    '1,2,s,,,,,,2147483648,k,s',
    '1,2,s\r\r',
    '1,2,sälz,3,prév',
    '1,2,\ufeffs',
    '1,2,s\n\n3,4,t',
    '1,2,s\n\r\n\n',
    '\n\r\n',
  ];
  for (const text of cases) {
    const expected = await outcome(() => parseSaltFile(text));
    const actual = await outcome(async () => {
      const table = await loadSaltFile(Buffer.from(text, 'utf8'));
      return [...table];
    });
    assert.deepEqual(actual, expected, JSON.stringify(text));
    if ('ok' in expected) assertAccessors(await loadSaltFile(Buffer.from(text, 'utf8')), expected.ok);
  }
});

test('generated lines: same entries or same error as parseSaltFile', async () => {
  const piece = fc.constantFrom('', '0', '1', '12', '2147483647', '2147483648', '9007199254740991', '9007199254740992', 'salt', 'k+/=', 'x1', ' 1', '\r', 'é', '-1');
  const line = fc.array(piece, { minLength: 0, maxLength: 13 }).map((fields) => fields.join(','));
  const file = fc.tuple(fc.array(line, { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), fc.constantFrom('', '\n', '\n\n', '\r\n'));
  await fc.assert(
    fc.asyncProperty(file, async ([lines, eol, tail]) => {
      const text = lines.join(eol) + tail;
      const expected = await outcome(() => parseSaltFile(text));
      const actual = await outcome(async () => [...(await loadSaltFile(Buffer.from(text, 'utf8')))]);
      assert.deepEqual(actual, expected);
      if ('ok' in expected) assertAccessors(await loadSaltFile(Buffer.from(text, 'utf8')), expected.ok);
    }),
    { numRuns: 2000 },
  );
});

test('the table keeps the salts, not the file: lines without key material hold only their salts', async () => {
  const table = await loadSaltFile(Buffer.from('3,300,salt3,,old3\n4,400,salt4,4000\r\n5,500,s5,,,7,k,ks,,,\n', 'utf8'));
  // Whole lines only where there is key material (at() decodes those with the protocol parser).
  assert.equal(table.fileBytes.toString('latin1'), 'salt3old3salt45,500,s5,,,7,k,ks,,,');
  const range = new Uint32Array(2);
  assert.equal(table.saltRange(0, true, range, 0), true);
  assert.equal(table.fileBytes.toString('latin1', range[0], range[1]), 'old3');
  assert.equal(table.saltRange(1, true, range, 0), false);
  assert.equal(table.saltRange(2, false, range, 0), true);
  assert.equal(table.fileBytes.toString('latin1', range[0], range[1]), 's5');
});
