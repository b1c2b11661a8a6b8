/** src/azure/release/zip-archive.ts: reproducible stored ZIPs that standard tools read. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeZip, ZipArchiveError } from '../../../src/azure/release/zip-archive.ts';
import { readZip } from '../../deploy/support/zip-reader.ts';

const ENTRIES = [
  { name: 'kustomize/base/deployment.yaml', data: 'kind: Deployment\n' },
  { name: 'README.md', data: '# 日本語も\n' },
  { name: 'run.sh', data: Buffer.from('#!/bin/sh\necho ok\n'), executable: true },
];

test('the same entries give the same bytes, whatever their order', () => {
  const a = writeZip(ENTRIES);
  const b = writeZip([...ENTRIES].reverse());
  assert.ok(a.equals(b));
});

test('entries are sorted, stored, dated 1980-01-01 00:00, UTF-8 named, mode 0644 or 0755', () => {
  const entries = readZip(writeZip(ENTRIES));
  assert.deepEqual(entries.map((e) => e.name), ['README.md', 'kustomize/base/deployment.yaml', 'run.sh']);
  for (const e of entries) {
    assert.equal(e.method, 0);
    assert.equal(e.dosTime, 0);
    assert.equal(e.dosDate, (1 << 5) | 1);
    assert.equal(e.flags, 0x0800);
  }
  assert.deepEqual(entries.map((e) => e.mode), [0o100644, 0o100644, 0o100755]);
  assert.equal(entries[0].data.toString('utf8'), '# 日本語も\n');
});

test('unzip reads and tests the archive', (t) => {
  if (!existsSync('/usr/bin/unzip')) {
    t.skip('unzip is not installed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'zip-archive-'));
  try {
    const file = join(dir, 'a.zip');
    writeFileSync(file, writeZip(ENTRIES));
    const r = spawnSync('/usr/bin/unzip', ['-t', file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /No errors detected/);
    const p = spawnSync('/usr/bin/unzip', ['-p', file, 'kustomize/base/deployment.yaml'], { encoding: 'utf8' });
    assert.equal(p.stdout, 'kind: Deployment\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('refuses unsafe, empty or duplicate names', () => {
  for (const name of ['../x', '/etc/passwd', 'a//b', 'a\\b', '', 'a/./b']) {
    assert.throws(() => writeZip([{ name, data: '' }]), ZipArchiveError, name);
  }
  assert.throws(() => writeZip([{ name: 'a', data: '1' }, { name: 'a', data: '2' }]), /duplicate entry a/);
});

test('an empty archive is just the end record', () => {
  assert.equal(writeZip([]).length, 22);
  assert.deepEqual(readZip(writeZip([])), []);
});
