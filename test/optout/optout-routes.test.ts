/** HTTP behaviour of the OptOut service over a real socket (signed links must be downloadable). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startOptOutService, type RunningOptOutService } from '../../src/optout/optout-service.ts';
import { OPTOUT_RECORD_SIZE, decodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { writeOperatorStore, type TestOperatorKeys } from './operator-store.ts';
import { answerBeforeBody } from '../support/service-process.ts';

let dir: string;
let keys: TestOperatorKeys;
let service: RunningOptOutService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'optout-routes-'));
  keys = await writeOperatorStore(dir);
  service = await startOptOutService({ dataDir: dir, background: false });
});
after(async () => {
  await service?.close();
  await rm(dir, { recursive: true, force: true });
});

const b64 = (b: Buffer) => encodeURIComponent(b.toString('base64'));

function replicate(query: string, key: string | null = keys.optout, body?: string, contentType = 'application/json') {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = contentType;
  return fetch(`${service.url}/optout/replicate?${query}`, { method: 'POST', headers, body });
}

async function refresh(key = keys.operator) {
  const res = await fetch(`${service.url}/optout/refresh`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: res.status === 200 ? ((await res.json()) as RefreshBody) : await res.text() };
}

interface RefreshBody {
  version: number;
  generated: number;
  optout_logs: Array<{ type: string; from: number; to: number; location: string }>;
}

async function downloadAll(body: RefreshBody) {
  const out = [];
  for (const log of body.optout_logs) {
    const res = await fetch(log.location);
    assert.equal(res.status, 200);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(bytes.length % OPTOUT_RECORD_SIZE, 0);
    for (let off = 0; off < bytes.length; off += OPTOUT_RECORD_SIZE) out.push(decodeOptOutRecord(bytes, off));
  }
  return out;
}

test('replicate: 200 with the epoch-seconds timestamp, and the record is in the next refresh', async () => {
  const identityHash = randomBytes(32);
  const advertisingId = randomBytes(33);
  advertisingId[0] = 0x11;
  const before = Math.floor(Date.now() / 1000);
  const res = await replicate(`identity_hash=${b64(identityHash)}&advertising_id=${b64(advertisingId)}`, keys.optout, '{"email":"x@example.com"}');
  assert.equal(res.status, 200);
  const ts = Number(await res.text());
  assert.ok(ts >= before && ts <= Math.floor(Date.now() / 1000) + 1);

  const r = await refresh();
  assert.equal(r.status, 200);
  const body = r.body as RefreshBody;
  assert.ok(body.version > 0 && body.generated > 0);
  assert.ok(body.optout_logs.length >= 1);
  for (const l of body.optout_logs) {
    assert.equal(l.type, 'delta');
    assert.equal(l.to - l.from, 300);
  }
  const found = (await downloadAll(body)).find((rec) => rec.identityHash.equals(identityHash));
  assert.ok(found, 'replicated record downloadable through the signed URL');
  assert.deepEqual(found.advertisingId, advertisingId);
  assert.equal(found.timestampS, BigInt(ts));
});

test('replicate: 401 without a key, with an unknown, disabled or non-OPTOUT key', async () => {
  const q = `identity_hash=${b64(randomBytes(32))}&advertising_id=${b64(randomBytes(32))}`;
  for (const key of [null, 'UID2-O-L-999-abcdef.0123456789012345678901234567890123456=', keys.disabled, keys.operator]) {
    const res = await replicate(q, key);
    assert.equal(res.status, 401, `key ${key === null ? 'none' : 'given'}`);
    assert.deepEqual(await res.json(), { status: 'unauthorized' });
  }
});

test('replicate: 400 for missing, repeated, malformed, wrong-size and special hashes, and bad bodies', async () => {
  const h = b64(randomBytes(32));
  const a = b64(randomBytes(32));
  const cases: Array<[string, string?, string?]> = [
    [`advertising_id=${a}`],
    [`identity_hash=${h}`],
    [`identity_hash=${h}&identity_hash=${h}&advertising_id=${a}`],
    [`identity_hash=${h}&advertising_id=${a}&advertising_id=${a}`],
    [`identity_hash=not*base64&advertising_id=${a}`],
    [`identity_hash=${b64(randomBytes(31))}&advertising_id=${a}`],
    [`identity_hash=${h}&advertising_id=${b64(randomBytes(34))}`],
    [`identity_hash=${b64(Buffer.alloc(32, 0))}&advertising_id=${a}`],
    [`identity_hash=${b64(Buffer.alloc(32, 0xff))}&advertising_id=${a}`],
    [`identity_hash=${h}&advertising_id=${a}`, '{not json'],
    [`identity_hash=${h}&advertising_id=${a}`, '[1,2]'],
    [`identity_hash=${h}&advertising_id=${a}`, '{"email":42}'],
  ];
  for (const [query, body] of cases) {
    const res = await replicate(query, keys.optout, body);
    assert.equal(res.status, 400, `${query} ${body ?? ''}`);
    const text = await res.text();
    assert.ok(!/at .*\.ts/.test(text), 'no stack trace');
  }
});

test('replicate: an unencoded + in base64 (arriving as a space) is accepted', async () => {
  let hash: Buffer;
  do hash = randomBytes(32);
  while (!hash.toString('base64').includes('+'));
  const res = await replicate(`identity_hash=${hash.toString('base64')}&advertising_id=${b64(randomBytes(32))}`);
  assert.equal(res.status, 200);
});

test('refresh: OPERATOR and OPTOUT keys may refresh; others get 401', async () => {
  assert.equal((await refresh(keys.operator)).status, 200);
  assert.equal((await refresh(keys.optout)).status, 200);
  assert.equal((await refresh(keys.disabled)).status, 401);
  const res = await fetch(`${service.url}/optout/refresh`);
  assert.equal(res.status, 401);
  await res.arrayBuffer();
});

test('refresh: a tampered signed link is refused', async () => {
  const body = (await refresh()).body as RefreshBody;
  assert.ok(body.optout_logs.length > 0);
  const res = await fetch(body.optout_logs[0].location.replace(/sig=[0-9a-f]/, 'sig=g'));
  assert.equal(res.status, 403);
  await res.arrayBuffer();
});

test('healthcheck answers OK once operator keys are loaded; unknown routes 404', async () => {
  const res = await fetch(`${service.url}/ops/healthcheck`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'OK');
  const missing = await fetch(`${service.url}/nope`);
  assert.equal(missing.status, 404);
  await missing.arrayBuffer();
});

test('healthcheck is 503 while the operator store cannot be loaded', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'optout-empty-'));
  const svc = await startOptOutService({ dataDir: empty, background: false });
  try {
    const res = await fetch(`${svc.url}/ops/healthcheck`);
    assert.equal(res.status, 503);
    assert.match(await res.text(), /operators/);
  } finally {
    await svc.close();
    await rm(empty, { recursive: true, force: true });
  }
});

test('a body over 1 MiB gets 413 {"status":"client_error"}', async () => {
  const url = `${service.url}/optout/replicate?identity_hash=${b64(randomBytes(32))}&advertising_id=${b64(randomBytes(32))}`;
  assert.deepEqual(await answerBeforeBody(url, (1 << 20) + 1, { authorization: `Bearer ${keys.optout}` }), { status: 413, body: '{"status":"client_error"}' });
});
