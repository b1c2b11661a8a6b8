/**
 * docs/openapi.yaml must describe exactly the routes the operator app registers (and spec §4
 * lists), with the roles of spec §4 and a decrypted schema for every enveloped route; every $ref
 * must resolve.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot, sharedDir } from '../support/shared.ts';
import { fixtureOperator } from './support/operator-fixture.ts';
import type { RouteSpec } from '../../src/operator/http/route.ts';
import { routeTable } from '../../src/operator/routes/index.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const doc: any = parse(readFileSync(join(repoRoot, 'docs', 'openapi.yaml'), 'utf8'));

interface RouteRow {
  method: string;
  path: string;
  roles: string[];
}

/** The route table of spec §4 ("| POST `/v2/...` | ROLES | envelope |"). */
function specRoutes(): RouteRow[] {
  const text = readFileSync(join(sharedDir, 'spec', 'operator-spec.md'), 'utf8');
  const rows: RouteRow[] = [];
  for (const m of text.matchAll(/^\| (GET|POST) `([^`]+)` \| ([^|]+) \|/gm)) {
    const roles = m[3].trim() === 'none' || m[3].includes('none') ? [] : m[3].split(',').map((r) => r.trim());
    rows.push({ method: m[1].toLowerCase(), path: m[2], roles });
  }
  return rows;
}

function documentedRoutes(): string[] {
  return Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

test('openapi: is OpenAPI 3.1', () => {
  assert.match(doc.openapi, /^3\.1\./);
});

test('openapi: paths equal the route table of spec §4', () => {
  const expected = specRoutes().map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();
  assert.ok(expected.length >= 13, 'route table found in the spec');
  assert.deepEqual(documentedRoutes(), expected);
});

/** `METHOD /path` of every route in the operator's route table. */
function registeredRoutes(routes: readonly RouteSpec[]): string[] {
  return routes.map((r) => `${r.method} ${r.path}`).sort();
}

test('openapi: paths equal the routes the operator registers (every optional route switched on)', async () => {
  const op = await fixtureOperator({ client_side_token_generate: true, optout_status_api_enabled: true });
  try {
    const registered = registeredRoutes(routeTable(op.deps.config));
    assert.ok(registered.length >= 13, 'routes found');
    assert.deepEqual(documentedRoutes(), registered);
  } finally {
    await op.close();
  }
});

test('openapi: roles equal the route table of spec §4', () => {
  for (const row of specRoutes()) {
    const op = doc.paths[row.path][row.method];
    assert.deepEqual([...op['x-uid2-roles']].sort(), [...row.roles].sort(), row.path);
  }
});

test('openapi: every enveloped route describes its decrypted response and its error statuses', () => {
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const op of Object.values(item)) {
      assert.ok(['v2', 'refresh', 'cstg', 'none'].includes(op['x-uid2-envelope']), `${path} envelope kind`);
      assert.ok(op.responses['200'], `${path} documents 200`);
      if (op['x-uid2-envelope'] === 'none') continue;
      assert.ok(op['x-uid2-decrypted']?.response, `${path} decrypted response`);
      assert.ok(op.responses['400'], `${path} documents 400`);
      if (op['x-uid2-envelope'] === 'v2') assert.ok(op.responses['401'], `${path} documents 401`);
    }
  }
});

test('openapi: every $ref resolves', () => {
  const refs: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') refs.push(v);
        else walk(v);
      }
    }
  };
  walk(doc);
  assert.ok(refs.length > 20);
  for (const ref of refs) {
    assert.ok(ref.startsWith('#/'), ref);
    let node = doc;
    for (const part of ref.slice(2).split('/')) node = node?.[part];
    assert.ok(node !== undefined, `unresolved ${ref}`);
  }
});
