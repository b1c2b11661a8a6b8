/**
 * Every upstream series the operator claims (src/operator/metrics/upstream-metric-catalogue.ts) is
 * exported after traffic, with upstream's type and label names: an attested operator (Core and
 * OptOut in process) serving generate, refresh, validate, map, opt-out status, logout and CSTG over
 * HTTP, and an EUID operator on a copy of the local fixtures with a MAPPER service link for the
 * series that only EUID consent strings and service links produce.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Uid2Client } from '../../src/client/uid2-client.ts';
import { startOperator } from '../../src/operator/operator-service.ts';
import { UPSTREAM_METRICS, type UpstreamMetric } from '../../src/operator/metrics/upstream-metric-catalogue.ts';
import { fixturesDir } from '../support/shared.ts';
import { callV2, fixtureOperator } from './support/operator-fixture.ts';
import { parseExposition, type Family } from './support/prometheus-text.ts';
import { startSyncServices } from './sync-services.ts';

const SERVICE_CLIENT = { key: 'UID2-C-L-126-Tv40pS./TtagASU9S0tIqDyBSh283pla4mDyHBZvw+OQ=', secret: 'qcWPpOZmlH2C0xRkdir+7Y+5hhgW1MicOhcqC8y2w8o=' };
const EUID_OR_SERVICE_LINK = (m: UpstreamMetric) => m.when === 'identity_scope euid' || m.when === 'service keys mapping through a service link';

function assertExported(families: Map<string, Family>, m: UpstreamMetric): void {
  const family = families.get(m.name);
  assert.ok(family, `${m.name} is exported`);
  assert.equal(family.type, m.type, `${m.name} is a ${m.type}`);
  assert.ok(family.samples.length > 0, `${m.name} has a sample`);
  const names = new Set(family.samples.flatMap((s) => Object.keys(s.labels)));
  assert.deepEqual([...names].sort(), [...m.labels, 'application'].sort(), `${m.name} label names`);
  assert.ok(family.samples.every((s) => s.labels.application === 'uid2-operator'), `${m.name} carries application="uid2-operator"`);
}

test('every claimed upstream series is exported after traffic (attested operator)', { timeout: 120_000 }, async (t) => {
  const services = await startSyncServices();
  t.after(() => services.close());
  const op = await startOperator({ ...services.operatorSources(), logger: pino({ level: 'silent' }) });
  t.after(() => op.close());
  const base = `http://127.0.0.1:${op.port}`;
  const { dataset } = services;
  const client = new Uid2Client({ baseUrl: base, apiKey: dataset.apiKey, secretKey: dataset.secret });

  const generated = await client.generateToken({ email: 'metrics@example.com' });
  assert.equal(generated.status, 'success');
  const identity = generated.identity!;
  assert.equal((await client.refreshToken(identity.refresh_token, identity.refresh_response_key)).status, 'success');
  assert.equal(await client.validateToken(identity.advertising_token, { email: 'metrics@example.com' }), true);
  await client.mapIdentities({ email: ['a@example.com', 'not an email'], phone: ['+12345678901'] });
  await client.optoutStatus(['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']);
  await client.logout({ email: 'gone@example.com' });
  const cstg = await client.clientGenerate({ identity: { email: 'cstg@example.com' }, subscriptionId: dataset.subscriptionId, serverPublicKey: dataset.publicKey, origin: 'http://localhost' });
  assert.equal(cstg.status, 'success');
  assert.equal((await fetch(`${base}/v2/token/generate`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, body: 'x' })).status, 401);

  const families = parseExposition(await (await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`)).text());
  for (const m of UPSTREAM_METRICS.filter((x) => !EUID_OR_SERVICE_LINK(x))) assertExported(families, m);

  // Values follow from the traffic above, as upstream records them.
  const samples = (name: string) => families.get(name)!.samples;
  assert.ok(samples('vertx_http_server_requests_total').some((s) => s.labels.path === '/v2/token/generate' && s.labels.code === '401' && s.labels.method === 'POST'));
  assert.ok(samples('vertx_http_server_response_time_seconds').some((s) => s.labels.quantile === '0.99' && s.value > 0));
  assert.ok(samples('uid2_token_response_status_count_total').some((s) => s.labels.token_endpoint === 'ClientSideTokenGenerateV2' && s.labels.cstg === 'true' && s.labels.platform_type === 'HasOriginHeader'));
  assert.ok(samples('uid2_token_validate_total').some((s) => s.labels.result === 'match' && s.value === 1));
  assert.ok(samples('uid2_refresh_token_received_count_total').some((s) => s.labels.refresh_token_version === 'v3' && s.value === 1));
  assert.ok(samples('uid2_operator_identity_map_unmapped_total').some((s) => s.labels.reason === 'invalid' && s.value === 1));
  assert.deepEqual(new Set(samples('uid2_config_store_version').map((s) => s.labels.store)), new Set(['auth', 'keyset', 'keysetkey', 'salt', 'site', 'client_side_keypairs', 'service', 'service_link', 'runtime_config', 'optout']));
});

test('EUID consent strings and service links export their upstream series', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-fixture-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await cp(fixturesDir, dir, { recursive: true });
  // The fixture's link of service 2 has no roles; a MAPPER link lets the service key map through it.
  const linksFile = join(dir, 'com.uid2.core', 'test', 'service_links', 'service_links.json');
  const links = JSON.parse(await readFile(linksFile, 'utf8')) as Record<string, unknown>[];
  await writeFile(linksFile, JSON.stringify(links.map((l) => (l.link_id === 'testId2' ? { ...l, roles: ['MAPPER'] } : l))));
  const op = await fixtureOperator({ identity_scope: 'euid', validate_service_links: true }, { dataDir: dir });
  t.after(() => op.close());

  const consent = await callV2(op, { path: '/v2/token/generate', payload: { email: 'user@example.com', tcf_consent_string: 'not a consent string' } });
  assert.equal(consent.res.statusCode, 400);
  const mapped = await callV2(op, { path: '/v2/identity/map', payload: { email: ['a@example.com', 'bad'], link_id: 'testId2' }, client: SERVICE_CLIENT });
  assert.equal(mapped.res.statusCode, 200);

  const families = parseExposition(await op.deps.metrics.registry.metrics());
  for (const m of UPSTREAM_METRICS.filter(EUID_OR_SERVICE_LINK)) assertExported(families, m);
  const unmapped = families.get('uid2_operator_identity_map_services_unmapped_total')!.samples;
  assert.ok(unmapped.some((s) => s.labels.service_link_name === 'testName2' && s.labels.reason === 'invalid' && s.value === 1));
});

test('docs/operations.md lists every claimed upstream series with its type, labels and source', async () => {
  const operations = await readFile(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  for (const m of UPSTREAM_METRICS) {
    const row = operations.split('\n').find((l) => l.startsWith(`| \`${m.name}\` |`));
    assert.ok(row, `a table row for ${m.name}`);
    assert.ok(row.includes(`| ${m.type} |`), `${m.name} type`);
    assert.ok(row.includes(m.source.replace(/\|/g, '\\|')), `${m.name} source ${m.source}`);
    for (const label of m.labels) assert.ok(row.includes(label), `${m.name} label ${label}`);
  }
});
