/**
 * Secret hygiene over a full run (issue 7 §6): a real stack (Core, OptOut, an attested operator
 * as child processes) serves every kind of call, good and bad; then every log line any service
 * wrote is searched for the API key, client secret, operator key, key secrets, salts, tokens,
 * raw identities and raw UIDs. Every error response of the run is checked for stack traces and
 * internal paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../../src/cli/stack/local-stack.ts';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { findLeak } from '../../scripts/fuzz/fuzz-target.ts';
import { datasetNeedles, readTree } from './secret-needles.ts';

test('no secret, token, identity or raw UID in any service log of a full run; no internals in error responses', { timeout: 240_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-hygiene-'));
  let stack: RunningStack | undefined;
  t.after(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  // Debug logging on: the most a careless line could print.
  const previousLevel = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'debug';
  try {
    stack = await startStack({ dataDir: dir, operators: 1, refreshMs: 1000, optoutRefreshSeconds: 1, buckets: 256 });
  } finally {
    if (previousLevel === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = previousLevel;
  }
  const needles = await datasetNeedles(dir);
  const operator = stack.summary.operators[0];
  const client = new Uid2Client({ baseUrl: operator, apiKey: stack.summary.api_key, secretKey: stack.summary.secret });
  const tag = `${process.pid}-${Date.now()}`;
  const email = (n: string) => `hygiene-${n}-${tag}@example.com`;
  const identities = { generate: email('gen'), map: email('map'), logout: email('logout'), cstg: email('cstg'), phone: '+1555' + String(Date.now()).slice(-7), plainBody: email('plain') };
  for (const [label, value] of Object.entries(identities)) needles.add(`raw identity (${label})`, value);

  // --- good calls ---
  const generated = await client.generateToken({ email: identities.generate });
  assert.equal(generated.status, 'success');
  const tokens = generated.status === 'success' ? generated.identity : undefined;
  needles.add('advertising token', tokens?.advertising_token);
  needles.add('refresh token', tokens?.refresh_token);
  needles.add('refresh response key', tokens?.refresh_response_key);
  const refreshed = await client.refreshToken(tokens!.refresh_token, tokens!.refresh_response_key);
  if (refreshed.status === 'success') {
    needles.add('advertising token (refreshed)', refreshed.identity.advertising_token);
    needles.add('refresh token (refreshed)', refreshed.identity.refresh_token);
  }
  assert.equal(await client.validateToken(tokens!.advertising_token, { email: identities.generate }), true);
  const mapped = await client.mapIdentities({ email: [identities.map, identities.logout], phone: [identities.phone] });
  const rawUids: string[] = [];
  for (const entry of [...mapped.email, ...mapped.phone]) if ('u' in entry) rawUids.push(entry.u);
  assert.equal(rawUids.length, 3, 'three identities mapped');
  for (const uid of rawUids) {
    needles.add('raw UID', uid);
    needles.add('raw UID', Buffer.from(uid, 'base64'));
  }
  await client.mapIdentitiesV2({ email: [identities.map] });
  await client.buckets(new Date(Date.now() - 86_400_000));
  await client.keysSharing().catch(() => undefined);
  await client.optoutStatus(rawUids.slice(0, 1)).catch(() => undefined);
  await client.logout({ email: identities.logout });
  const cstg = JSON.parse(await readFile(join(dir, 'demo-client.json'), 'utf8')).cstg;
  const csResult = await client.clientGenerate({ identity: { email: identities.cstg }, subscriptionId: cstg.subscription_id, serverPublicKey: cstg.public_key, origin: 'http://localhost' });
  if (csResult.status === 'success') needles.add('CSTG advertising token', csResult.identity.advertising_token);

  // --- bad calls, to drive every error log path ---
  const errorBodies: { where: string; body: string }[] = [];
  const raw = async (path: string, init: RequestInit, base = operator) => {
    const res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    if (res.status !== 200) errorBodies.push({ where: `${res.status} ${path.split('?')[0]}`, body: JSON.stringify(Object.fromEntries(res.headers)) + body });
    return res.status;
  };
  const bearer = { authorization: `Bearer ${stack.summary.api_key}` };
  assert.equal(await raw('/v2/token/generate', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ email: identities.plainBody }) }), 400);
  const wrongSecret = encodeRequestEnvelope(Buffer.alloc(32, 1), { nowMs: Date.now(), payload: JSON.stringify({ email: identities.generate }) });
  assert.equal(await raw('/v2/token/generate', { method: 'POST', headers: bearer, body: wrongSecret.toString('base64') }), 400);
  assert.equal(await raw('/v2/token/generate', { method: 'POST', headers: { authorization: `Bearer ${stack.summary.api_key}x` }, body: 'AAAA' }), 401);
  assert.equal(await raw('/v2/token/refresh', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `${tokens!.refresh_token.slice(0, 200)}AAAA${tokens!.refresh_token.slice(204)}` }), 400);
  assert.equal(await raw('/v2/token/refresh', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: tokens!.advertising_token }), 400);
  assert.ok((await raw('/v2/token/client-generate', { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: '{"payload":"x"' })) >= 400);
  assert.equal(await raw('/no/such/route', { method: 'GET' }), 404);
  // OptOut and Core with a client's key instead of an operator key.
  assert.ok((await raw(`/optout/replicate?identity_hash=${encodeURIComponent(Buffer.alloc(32, 3).toString('base64'))}&advertising_id=${encodeURIComponent(rawUids[0])}`, { method: 'POST', headers: bearer }, stack.summary.optout)) >= 400);
  assert.ok((await raw('/attest', { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: '{"attestation_request":"!!"}' }, stack.summary.core)) >= 400);
  assert.ok((await raw('/attest', { method: 'POST', headers: { authorization: `Bearer ${stack.operatorKey}`, 'content-type': 'application/json' }, body: '{"attestation_request":' }, stack.summary.core)) >= 400);

  await stack.stop();
  stack = undefined;

  const logs = await readTree(join(dir, 'logs'));
  assert.ok(logs.size >= 3, `logs of core, optout and the operator (${[...logs.keys()].join(', ')})`);
  const totalLines = [...logs.values()].reduce((n, text) => n + text.split('\n').length, 0);
  assert.ok(totalLines > 10, 'the services logged something');
  // The search itself works: the data set's own client file holds the API key and secret.
  assert.ok(needles.findIn(await readFile(join(dir, 'demo-client.json'), 'utf8'), 'demo-client.json').length >= 2);
  const found = [...logs].flatMap(([path, text]) => needles.findIn(text, path.slice(dir.length)));
  assert.deepEqual(found, [], 'secrets in logs');

  assert.ok(errorBodies.length >= 8, 'the bad calls were answered with errors');
  const leaks = errorBodies.map((e) => findLeak(e.body) && `${e.where}: ${e.body.slice(0, 200)}`).filter(Boolean);
  assert.deepEqual(leaks, [], 'error responses with internals');
  const echoed = errorBodies.flatMap((e) => needles.findIn(e.body, `error response ${e.where}`));
  assert.deepEqual(echoed, [], 'error responses echoing secrets');
});
