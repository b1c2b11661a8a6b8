/**
 * The native kernels against node:crypto, byte for byte (native/README.md), directly and through
 * src/protocol/aes.ts with the kernels installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, hash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { installNativeKernels, nativeKernelStatus } from '../../src/native/index.ts';
import { aesGcmDecrypt, aesGcmDecryptDetached, aesGcmEncrypt, aesGcmSealInto } from '../../src/protocol/aes.ts';
import { cryptoKernels, useCryptoKernels } from '../../src/protocol/crypto-kernels.ts';
import { repoRoot, tsLoader } from '../support/shared.ts';
import { requireKernels, skipReason } from './native-support.ts';

const skip = skipReason();

function nodeSeal(key: Uint8Array, iv: Uint8Array, plain: Uint8Array, aad?: Uint8Array): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  if (aad) c.setAAD(aad);
  return Buffer.concat([iv, c.update(plain), c.final(), c.getAuthTag()]);
}

/** A Buffer view with a non-zero byteOffset into a larger allocation. */
function viewOf(length: number, at: number): Buffer {
  return Buffer.alloc(length + at + 7).subarray(at, at + length);
}

test('status: the addon is built and loaded on this machine', { skip }, () => {
  assert.deepEqual(nativeKernelStatus(), { loaded: true });
  assert.match(requireKernels().version, /^uid2-native \d+$/);
  assert.equal(installNativeKernels(), true);
  assert.equal(installNativeKernels(), true, 'idempotent');
  assert.equal(cryptoKernels(), requireKernels());
});

test('status: UID2_NATIVE=off never loads the addon and says why', () => {
  const probe =
    "const n = await import('./src/native/index.ts'); process.stdout.write(JSON.stringify([n.installNativeKernels(), n.nativeKernelStatus()]));";
  const env: NodeJS.ProcessEnv = { ...process.env, UID2_NATIVE: 'off' };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, ['--import', tsLoader, '--input-type=module', '-e', probe], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000, env });
  assert.equal(child.status, 0, child.stderr);
  assert.deepEqual(JSON.parse(child.stdout), [false, { loaded: false, reason: 'disabled by UID2_NATIVE=off' }]);
});

test('the addon loads and works in a worker thread (one context set per thread)', { skip }, async () => {
  requireKernels();
  const addon = join(repoRoot, 'native', 'build', 'Release', 'uid2_native.node');
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const addon = require(workerData);
    const key = new Uint8Array(32).fill(7), buf = new Uint8Array(12 + 5 + 16);
    buf.set([104, 101, 108, 108, 111], 12);
    addon.gcmSealInPlace(key, buf, 0, 5, null);
    const out = new Uint8Array(5);
    parentPort.postMessage({ ok: addon.gcmOpenInto(key, buf.subarray(0, 12), buf.subarray(12), null, out), text: Buffer.from(out).toString() });`;
  const worker = new Worker(code, { eval: true, workerData: addon });
  const [message] = (await once(worker, 'message')) as [{ ok: boolean; text: string }];
  await worker.terminate();
  assert.deepEqual(message, { ok: true, text: 'hello' });
});

test('gcmSealInPlace / gcmOpenInto equal node:crypto at any offset, in views, with and without AAD', { skip }, () => {
  const k = requireKernels();
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 12, maxLength: 12 }),
      fc.uint8Array({ maxLength: 2000 }),
      fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      fc.nat(40),
      fc.nat(9),
      (key, iv, plain, aad, offset, viewAt) => {
        const expected = nodeSeal(key, iv, plain, aad);
        const buf = viewOf(offset + expected.length + 3, viewAt);
        buf.set(iv, offset);
        buf.set(plain, offset + 12);
        k.gcmSealInPlace(key, buf, offset, plain.length, aad ?? null);
        assert.deepEqual(buf.subarray(offset, offset + expected.length), expected);
        assert.ok(buf.subarray(offset + expected.length).every((b) => b === 0), 'nothing written past the tag');
        const out = viewOf(plain.length, viewAt);
        assert.equal(k.gcmOpenInto(key, iv, expected.subarray(12), aad, out), true);
        assert.deepEqual(out, Buffer.from(plain));
        // Exactly in place is allowed too.
        const inPlace = Buffer.from(expected.subarray(12));
        assert.equal(k.gcmOpenInto(key, iv, inPlace, aad, inPlace), true);
        assert.deepEqual(inPlace.subarray(0, plain.length), Buffer.from(plain));
      },
    ),
    { numRuns: 200 },
  );
});

test('gcmOpenInto: a bad tag, key, AAD or IV returns false and zeroes what it wrote', { skip }, () => {
  const k = requireKernels();
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const aad = randomBytes(9);
  const sealed = nodeSeal(key, iv, randomBytes(100), aad).subarray(12);
  const out = Buffer.alloc(100);
  const tampered = Buffer.from(sealed);
  tampered[tampered.length - 1] ^= 1;
  assert.equal(k.gcmOpenInto(key, iv, tampered, aad, out), false);
  assert.ok(out.every((b) => b === 0));
  const flipped = Buffer.from(sealed);
  flipped[3] ^= 0x80;
  assert.equal(k.gcmOpenInto(key, iv, flipped, aad, out), false);
  assert.ok(out.every((b) => b === 0));
  assert.equal(k.gcmOpenInto(randomBytes(32), iv, sealed, aad, out), false);
  assert.equal(k.gcmOpenInto(key, randomBytes(12), sealed, aad, out), false);
  assert.equal(k.gcmOpenInto(key, iv, sealed, randomBytes(9), out), false);
  assert.equal(k.gcmOpenInto(key, iv, sealed, null, out), false);
  assert.equal(k.gcmOpenInto(key, iv, sealed, aad, out), true, 'the untouched message still opens');
});

test('aes.ts with the kernels installed: same bytes, same ERR_DECRYPT on every failure', { skip }, () => {
  const k = requireKernels();
  const previous = cryptoKernels();
  const calls = { seal: 0, open: 0 };
  try {
    // Counting wrappers prove aes.ts took the native path.
    useCryptoKernels({
      ...k,
      gcmSealInPlace: (...args) => (calls.seal++, k.gcmSealInPlace(...args)),
      gcmOpenInto: (...args) => (calls.open++, k.gcmOpenInto(...args)),
    });
    const key = randomBytes(32);
    const iv = randomBytes(12);
    const aad = randomBytes(5);
    const chunks = ['héllo ', Buffer.from([1, 2, 3]), '', 'wörld'];
    const flat = Buffer.concat([Buffer.from('héllo '), Buffer.from([1, 2, 3]), Buffer.from('wörld')]);
    const sealed = aesGcmEncrypt(key, chunks, { iv, aad });
    assert.deepEqual(sealed, nodeSeal(key, iv, flat, aad));
    const target = viewOf(5 + sealed.length, 3);
    assert.equal(aesGcmSealInto(target, 5, key, chunks, { iv, aad }), 5 + sealed.length);
    assert.deepEqual(target.subarray(5), sealed);
    assert.deepEqual(aesGcmDecrypt(key, sealed, aad), flat);
    assert.deepEqual(aesGcmDecryptDetached(key, iv, sealed.subarray(12), aad), flat);
    assert.deepEqual(aesGcmDecrypt(key, aesGcmEncrypt(key, '')), Buffer.alloc(0));
    const fails: [string, () => unknown][] = [
      ['tag', () => aesGcmDecrypt(key, Buffer.concat([sealed.subarray(0, -1), Buffer.from([sealed.at(-1)! ^ 1])]), aad)],
      ['key', () => aesGcmDecrypt(randomBytes(32), sealed, aad)],
      ['aad', () => aesGcmDecrypt(key, sealed, randomBytes(5))],
      ['no aad', () => aesGcmDecrypt(key, sealed)],
      ['truncated', () => aesGcmDecrypt(key, sealed.subarray(0, sealed.length - 1), aad)],
      ['too short', () => aesGcmDecrypt(key, sealed.subarray(0, 27), aad)],
      ['31-byte key', () => aesGcmDecrypt(key.subarray(1), sealed, aad)],
    ];
    for (const [what, fn] of fails) {
      assert.throws(fn, (e: unknown) => (e as { code?: string }).code === 'ERR_DECRYPT' && (e as Error).message === 'decryption failed', what);
    }
    assert.deepEqual(calls, { seal: 3, open: 8 }, 'short inputs and 31-byte keys are refused before the kernel');
  } finally {
    useCryptoKernels(previous);
  }
});

function hashPairs(items: readonly [Uint8Array, Uint8Array][]): { a: Buffer; aOffsets: Uint32Array; b: Buffer; bRanges: Uint32Array } {
  const a = Buffer.concat(items.map(([x]) => x));
  const aOffsets = new Uint32Array(items.length + 1);
  const bRanges = new Uint32Array(2 * items.length);
  let b = Buffer.alloc(0);
  items.forEach(([x, y], i) => {
    aOffsets[i + 1] = aOffsets[i] + x.length;
    bRanges[2 * i] = b.length;
    b = Buffer.concat([b, y]);
    bRanges[2 * i + 1] = b.length;
  });
  return { a, aOffsets, b, bRanges };
}

test('sha256Base64Pairs equals crypto.hash on random messages and suffixes', { skip }, () => {
  const k = requireKernels();
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 60 })), { maxLength: 20 }), (items) => {
      const { a, aOffsets, b, bRanges } = hashPairs(items);
      const out = viewOf(44 * items.length + 4, 3);
      k.sha256Base64Pairs(a, aOffsets, b, bRanges, out);
      items.forEach(([x, y], i) => {
        assert.equal(out.toString('latin1', 44 * i, 44 * i + 44), hash('sha256', Buffer.concat([x, y]), 'base64'));
      });
      assert.ok(out.subarray(44 * items.length).every((c) => c === 0), 'nothing written past 44n');
    }),
    { numRuns: 200 },
  );
});

test('sha256Base64Pairs: n = 0, empty messages, shared suffix ranges, n = 5000 emails', { skip }, () => {
  const k = requireKernels();
  const none = Buffer.alloc(0);
  k.sha256Base64Pairs(none, new Uint32Array([0]), none, new Uint32Array(0), none);
  const empty = Buffer.alloc(44);
  k.sha256Base64Pairs(none, new Uint32Array([0, 0]), none, new Uint32Array([0, 0]), empty);
  assert.equal(empty.toString('latin1'), hash('sha256', '', 'base64'));
  // The map use: every item shares one salt range of b.
  const salt = Buffer.from('the-first-level-salt');
  const emails = Array.from({ length: 5000 }, (_, i) => `user.${String(i).padStart(6, '0')}@example.com`);
  const a = Buffer.from(emails.join(''));
  const aOffsets = new Uint32Array(5001);
  emails.forEach((e, i) => (aOffsets[i + 1] = aOffsets[i] + e.length));
  const bRanges = new Uint32Array(10000);
  for (let i = 0; i < 5000; i++) bRanges[2 * i + 1] = i % 2 === 0 ? salt.length : 0;
  const out = Buffer.alloc(44 * 5000);
  k.sha256Base64Pairs(a, aOffsets, salt, bRanges, out);
  emails.forEach((e, i) => {
    const expected = hash('sha256', i % 2 === 0 ? e + salt.toString() : e, 'base64');
    assert.equal(out.toString('latin1', 44 * i, 44 * i + 44), expected, e);
  });
});

test('sha256TextInto / sha256Base64SaltedInto equal crypto.hash (ASCII, non-ASCII, empty, past the stack buffer)', { skip }, () => {
  const k = requireKernels();
  const out = Buffer.alloc(40);
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 3000 })), fc.integer({ min: 0, max: 8 }), (text, at) => {
      k.sha256TextInto(text, out, at);
      assert.ok(out.subarray(at, at + 32).equals(hash('sha256', text, 'buffer')));
    }),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 256 }), fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 2000 })), (bytes, salt) => {
      k.sha256Base64SaltedInto(bytes, salt, out, 8);
      assert.ok(out.subarray(8, 40).equals(hash('sha256', Buffer.from(bytes).toString('base64') + salt, 'buffer')));
    }),
    { numRuns: 200 },
  );
});
