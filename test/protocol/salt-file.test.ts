import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';
import { isProtocolError } from '../../src/protocol/errors.ts';
import { fixturesDir } from '../support/shared.ts';

const saltsDir = join(fixturesDir, 'com.uid2.core', 'test', 'salts');

test('both fixture salt files parse into frozen entries', () => {
  for (const name of ['salts.txt.1670796729291', 'salts.txt.1745907348982']) {
    const entries = parseSaltFile(readFileSync(join(saltsDir, name), 'utf8'), 5);
    assert.equal(entries.length, 5);
    assert.ok(Object.isFrozen(entries));
    assert.ok(entries.every((e) => Object.isFrozen(e)));
    assert.deepEqual(entries.map((e) => e.id), [1000000, 1000001, 1000002, 1000003, 1000004]);
  }
});

test('empty fields are null, missing trailing fields too, keys come in threes', () => {
  const text = [
    '1,100,salt1,1000,old_salt1,10,key_1,key_salt_1,100,old_key_1,old_key_1_salt',
    '2,200,,2000,old_salt,0,current_key_key,current_key_salt,,,',
    '3,300,salt3',
    '4,400,salt4,4000\r',
    '',
    '',
  ].join('\n');
  const [a, b, c, d] = parseSaltFile(text);
  assert.deepEqual(a, {
    id: 1,
    lastUpdated: 100,
    currentSalt: 'salt1',
    refreshFrom: 1000,
    previousSalt: 'old_salt1',
    currentKey: { id: 10, key: 'key_1', salt: 'key_salt_1' },
    previousKey: { id: 100, key: 'old_key_1', salt: 'old_key_1_salt' },
  });
  assert.equal(b.currentSalt, null);
  assert.deepEqual(b.currentKey, { id: 0, key: 'current_key_key', salt: 'current_key_salt' });
  assert.equal(b.previousKey, null);
  assert.deepEqual(c, { id: 3, lastUpdated: 300, currentSalt: 'salt3', refreshFrom: null, previousSalt: null, currentKey: null, previousKey: null });
  assert.equal(d.refreshFrom, 4000);
  assert.equal(parseSaltFile(text).length, 4);
});

test('bad lines throw ERR_FORMAT naming the line, never its content', () => {
  const good = '1,100,secret-salt,1000';
  const bad: Array<[string, number]> = [
    [`${good}\nx,100,secret-salt`, 2],
    [`${good}\n2,abc,secret-salt`, 2],
    [`${good}\n${good}\n3,100,,1000`, 3],
    ['1,100,secret-salt,10x0', 1],
    ['1,100,secret-salt,1000,,5,key-only,,,,', 1],
    ['1,100,secret-salt,1000,,,,,,,,extra', 1],
    [`${good}\n\n${good}`, 2],
    ['1,-5,secret-salt', 1],
    ['99999999999,1,secret-salt', 1],
  ];
  for (const [text, line] of bad) {
    assert.throws(
      () => parseSaltFile(text),
      (e) => isProtocolError(e, 'ERR_FORMAT') && e.message.includes(`line ${line}`) && !e.message.includes('secret'),
      text,
    );
  }
  assert.throws(() => parseSaltFile(''), (e) => isProtocolError(e, 'ERR_FORMAT'));
  assert.throws(() => parseSaltFile(good, 2), (e) => isProtocolError(e, 'ERR_FORMAT'));
});
