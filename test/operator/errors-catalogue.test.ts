/**
 * Keeps docs/errors.md in step with the code, as fastify's errors test does with its docs:
 * every error family is listed with its status and HTTP code, every status of spec §3.3 that is
 * an error has a family, and every message literal the operator answers with is documented.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { ERROR_FAMILIES, Messages } from '../../src/operator/errors.ts';
import { IdentityMessages } from '../../src/operator/routes/identity.ts';
import { OptoutStatusMessages } from '../../src/operator/routes/optout-status.ts';
import { EnvelopeMessages } from '../../src/protocol/envelope-v2.ts';
import { IdentityScope } from '../../src/protocol/identity-kinds.ts';
import { REPLAY_MESSAGE, REPLAY_FULL_MESSAGE } from '../../src/operator/http/replay-guard.ts';

const doc = readFileSync(join(repoRoot, 'docs', 'errors.md'), 'utf8');
// The doc writes `<hint>` for the envelope docs link and N for numbers; normalise messages alike.
const hint = EnvelopeMessages.notBase64(IdentityScope.UID2).slice('Invalid body: Body is not valid base64.'.length);
const normalise = (m: string) => m.replace(hint, '<hint>').replace(/\b\d+\b/g, 'N').replace(/\s+/g, ' ');
const docText = doc.replace(/\b\d+\b/g, 'N').replace(/\s+/g, ' ');

function assertDocumented(message: string): void {
  const m = normalise(message);
  assert.ok(docText.includes(m), `docs/errors.md does not list: ${m}`);
}

test('every error family is documented with its status and HTTP code', () => {
  for (const Family of ERROR_FAMILIES) {
    const e = new Family('x');
    const row = new RegExp(`\\|\\s*\`${Family.name}\`\\s*\\|\\s*\`${e.status}\`\\s*\\|\\s*${e.httpCode}\\s*\\|`);
    assert.match(doc, row, `${Family.name} (${e.status}, ${e.httpCode}) missing from docs/errors.md`);
  }
});

test('every error status of spec §3.3 has a family', () => {
  const spec = readFileSync(join(repoRoot, '..', 'shared', 'spec', 'operator-spec.md'), 'utf8');
  const line = spec.split('\n').find((l) => l.startsWith('`success`, `unauthorized`'));
  assert.ok(line, 'spec §3.3 status list not found');
  const soft = new Set(['success', 'optout', 'insufficient_user_consent']);
  const statuses = [...line.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((s) => !soft.has(s));
  const families = new Set(ERROR_FAMILIES.map((F) => new F('x').status));
  for (const s of statuses) assert.ok(families.has(s as never), `no error family for status ${s}`);
});

test('every message constant the operator answers with is documented', () => {
  const messages: string[] = [REPLAY_MESSAGE, REPLAY_FULL_MESSAGE];
  for (const value of [...Object.values(Messages), ...Object.values(IdentityMessages), ...Object.values(OptoutStatusMessages)]) {
    if (typeof value === 'string') messages.push(value);
    else messages.push((value as (a: unknown) => string)(true), (value as (a: unknown) => string)(false));
  }
  for (const [name, make] of Object.entries(EnvelopeMessages)) {
    messages.push(name === 'version' ? EnvelopeMessages.version(IdentityScope.UID2, 2) : (make as (s: IdentityScope) => string)(IdentityScope.UID2));
  }
  for (const m of messages.map((x) => x.replace(/^(true|false) must be an array$/, '<field> must be an array'))) assertDocumented(m);
});

test('every message literal thrown in src/operator is documented', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
    });
  const literal = /new (?:ClientError|Unauthorized|InvalidToken|ExpiredToken|GenericError|InvalidClient|InvalidHttpOrigin|InvalidAppName|UnknownError)\(\s*(['`])((?:(?!\1).)*)\1/g;
  let count = 0;
  for (const file of files(join(repoRoot, 'src', 'operator'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(literal)) {
      count++;
      assertDocumented(m[2].replace(/\$\{[^}]*\}/g, 'N'));
    }
  }
  assert.ok(count >= 10, `expected the route modules to throw message literals, found ${count}`);
});
