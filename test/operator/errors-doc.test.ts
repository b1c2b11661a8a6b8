/**
 * docs/errors.md "Messages by route" cannot drift from the server (issue 14 §4):
 *
 * 1. the tables are exactly what the per-route catalogue (src/operator/route-errors.ts) renders;
 * 2. every message a route module throws is listed for the routes that module serves;
 * 3. over a real socket, each route's answer to an empty request is one of its listed errors
 *    (this is how logout's "Required Parameter Missing" row, which the server never sends, would
 *    have been caught: logout answers `invalid_token`, spec §4.9).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { Messages } from '../../src/operator/errors.ts';
import { INVALID_LINK_ID } from '../../src/operator/identity/service-link-check.ts';
import { errorsOf, ROUTE_ERRORS } from '../../src/operator/route-errors.ts';
import { IdentityMessages } from '../../src/operator/routes/identity.ts';
import { OptoutStatusMessages } from '../../src/operator/routes/optout-status.ts';
import { encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { ERRORS_DOC, regenerate } from '../../scripts/errors-doc.ts';
import { CLIENTS, fixtureOperator, type TestOperator } from './support/operator-fixture.ts';

const numbersAsN = (m: string) => m.replace(/\b\d+\b/g, 'N');

test('the route tables of docs/errors.md are the rendering of the per-route catalogue (npm run docs:errors)', () => {
  const doc = readFileSync(ERRORS_DOC, 'utf8');
  assert.equal(doc, regenerate(doc), 'docs/errors.md is stale: run `npm run docs:errors`');
});

/** Route modules and the routes they serve. */
const MODULES: Readonly<Record<string, readonly string[]>> = {
  'routes/token.ts': ['/v2/token/generate', '/v2/token/validate', '/v2/token/logout'],
  'tokens/identity-request.ts': ['/v2/token/generate', '/v2/token/validate'],
  'routes/token-refresh.ts': ['/v2/token/refresh'],
  'routes/cstg.ts': ['/v2/token/client-generate'],
  'routes/identity.ts': ['/v2/identity/map', '/v3/identity/map', '/v2/identity/buckets'],
  'identity/service-link-check.ts': ['/v2/identity/map', '/v3/identity/map'],
  'routes/keys.ts': ['/v2/key/latest', '/v2/key/sharing', '/v2/key/bidstream'],
  'routes/optout-status.ts': ['/v2/optout/status'],
};

/** The message constants modules throw by name, with every value each can take. */
function constantValues(expression: string): string[] {
  const tables: Record<string, Record<string, unknown>> = { Messages, IdentityMessages, OptoutStatusMessages };
  if (expression === 'INVALID_LINK_ID') return [INVALID_LINK_ID];
  const [table, key] = expression.split('.');
  const value = tables[table]?.[key];
  if (typeof value === 'string') return [value];
  if (key === 'mustBeArray') return [IdentityMessages.mustBeArray('<field>')];
  if (typeof value === 'function') return [(value as (b: boolean) => string)(true), (value as (b: boolean) => string)(false)];
  throw new Error(`unknown message constant ${expression}`);
}

/** Every message a module throws: literals (`${...}` read as N) and named constants. */
function thrownMessages(source: string): string[] {
  const out: string[] = [];
  const family = /new (?:ClientError|Unauthorized|InvalidToken|ExpiredToken|GenericError|InvalidClient|InvalidHttpOrigin|InvalidAppName|UnknownError)\(\s*/g;
  for (const m of source.matchAll(family)) {
    const rest = source.slice(m.index! + m[0].length);
    const literal = /^(['`])((?:(?!\1).)*)\1/.exec(rest);
    if (literal) out.push(literal[2].replace(/\$\{[^}]*\}/g, 'N'));
    const constant = /^((?:Messages|IdentityMessages|OptoutStatusMessages)\.\w+|INVALID_LINK_ID)/.exec(rest);
    if (constant) out.push(...constantValues(constant[1]));
  }
  return out;
}

test('every message a route module throws is listed for the routes it serves', () => {
  let count = 0;
  for (const [file, routes] of Object.entries(MODULES)) {
    const listed = new Set(routes.flatMap((r) => errorsOf(r)).map((e) => numbersAsN(e.message)));
    assert.ok(listed.size > 0, `${file}: its routes list no errors`);
    for (const message of thrownMessages(readFileSync(join(repoRoot, 'src', 'operator', file), 'utf8'))) {
      count++;
      assert.ok(listed.has(numbersAsN(message)), `${file} throws "${message}", not listed for ${routes.join(', ')}`);
    }
  }
  assert.ok(count >= 30, `expected the route modules to throw their messages, found ${count}`);
});

let op: TestOperator;
let url: string;
before(async () => {
  op = await fixtureOperator({ client_side_token_generate: true });
  url = `http://127.0.0.1:${op.port}`;
});
after(() => op?.close());

/** The routes' answers to an empty request: `{}` in an envelope, or the route's own empty body form. */
async function emptyRequest(route: string): Promise<Response> {
  const client = CLIENTS.special;
  if (route === '/v2/token/client-generate') return fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  const body = route === '/v2/token/refresh' ? 'x'.repeat(388) : encodeRequestEnvelope(Buffer.from(client.secret, 'base64'), { nowMs: op.clock.now(), payload: '{}' }).toString('base64');
  return fetch(`${url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${client.key}`, 'content-type': 'text/plain' }, body });
}

test('over a real socket, each route answers an empty request with one of its listed errors', async () => {
  let errors = 0;
  for (const route of ROUTE_ERRORS.flatMap((g) => g.routes)) {
    const res = await emptyRequest(route);
    const text = await res.text();
    if (res.status === 200) continue;
    errors++;
    const body = JSON.parse(text) as { status: string; message?: string };
    const listed = errorsOf(route).map((e) => {
      const sample = new e.family(e.message);
      return `${sample.httpCode} ${sample.status} ${numbersAsN(e.message)}`;
    });
    assert.ok(listed.includes(`${res.status} ${body.status} ${numbersAsN(body.message ?? '')}`), `${route} answered ${res.status} ${text}, not listed in docs/errors.md`);
  }
  assert.ok(errors >= 8, `expected most routes to refuse an empty request, ${errors} did`);
});
