/**
 * One error convention for the three services (issue 15 §5): the shared factory
 * (src/errors/service-error.ts), Core's and OptOut's catalogues answering upstream's exact bodies,
 * and a `code` on every error class of the services and shared areas.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../support/shared.ts';
import { errorCode, errorFactory, ServiceError } from '../../src/errors/service-error.ts';
import * as core from '../../src/core/core-errors.ts';
import * as optout from '../../src/optout/optout-errors.ts';
import { ERROR_FAMILIES, NoActiveKey, UnknownError } from '../../src/operator/errors.ts';

test('the factory: a class per family with its code, status and HTTP code, as statics too', () => {
  abstract class DemoError extends ServiceError<'a' | 'b'> {}
  const define = errorFactory<'a' | 'b', DemoError>(DemoError);
  const Bad = define('a', 418, 'BadThing');
  const Fixed = define('b', 503, 'FixedThing', 'always this');
  const e = new Bad('why');
  assert.ok(e instanceof Bad && e instanceof DemoError && e instanceof ServiceError && e instanceof Error);
  assert.equal(Bad.name, 'BadThing');
  assert.deepEqual([e.name, e.code, e.status, e.httpCode, e.message], ['BadThing', 'ERR_BAD_THING', 'a', 418, 'why']);
  assert.deepEqual([Bad.code, Bad.status, Bad.httpCode], ['ERR_BAD_THING', 'a', 418]);
  assert.equal(JSON.stringify(new Bad().toBody()), '{"status":"a"}');
  assert.equal(JSON.stringify(new Fixed().toBody()), '{"status":"b","message":"always this"}');
  assert.equal(errorCode('NoActiveKey'), 'ERR_NO_ACTIVE_KEY');
});

test('operator families carry codes; a subclass has its own', () => {
  assert.deepEqual(ERROR_FAMILIES.map((F) => F.code), ['ERR_CLIENT_ERROR', 'ERR_UNAUTHORIZED', 'ERR_INVALID_TOKEN', 'ERR_EXPIRED_TOKEN', 'ERR_GENERIC_ERROR', 'ERR_INVALID_CLIENT', 'ERR_INVALID_HTTP_ORIGIN', 'ERR_INVALID_APP_NAME', 'ERR_UNKNOWN_ERROR']);
  const e = new NoActiveKey();
  assert.ok(e instanceof UnknownError);
  assert.equal(e.code, 'ERR_NO_ACTIVE_KEY');
  assert.equal(JSON.stringify(e.toBody()), '{"status":"unknown","message":"No active encryption key available"}');
});

test("Core's catalogue answers upstream's exact bodies, one code per family", () => {
  const bodies: Array<[ServiceError, number, string]> = [
    [new core.Unauthorized(), 401, '{"status":"unauthorized"}'],
    [new core.AttestBodyNotJson(), 400, '{"status":"request body is not a valid json"}'],
    [new core.AttestRequestMissing(), 400, '{"status":"no attestation_request attached"}'],
    [new core.AttestBadEncoding(), 400, '{"status":"attestation failure","message":"The payload is ill-formatted"}'],
    [new core.ProtocolNotFound(), 403, '{"status":"protocol not found"}'],
    [new core.InvalidOperatorType(), 403, '{"status":"attestation failure; invalid operator type"}'],
    [new core.VerifierCrashed(), 500, '{"status":"attestation failure"}'],
    [new core.AttestInternalError(), 500, '{"status":"attestation failure","message":"There was an internal processing error"}'],
    [new core.AttestationRejected('FORBIDDEN_ENCLAVE', 'debug enclave'), 403, '{"status":"debug enclave","message":"The enclave identifier is unknown"}'],
    [new core.AttestationRejected('INTERNAL_ERROR'), 500, '{"status":"There was an internal processing error","message":"There was an internal processing error"}'],
    [new core.PublicOperatorsOnly('endpoint /sites/refresh is for public operators only'), 403, '{"status":"error","message":"endpoint /sites/refresh is for public operators only"}'],
    [new core.RefreshFailed('error processing salt refresh'), 500, '{"status":"error","message":"error processing salt refresh"}'],
    [new core.RuntimeConfigUnavailable(), 500, '{"status":"error","message":"Failed to retrieve configuration"}'],
    [new core.RequestRejected(413), 413, '{"status":"error","message":"bad request"}'],
    [new core.InternalError(), 500, '{"status":"error"}'],
  ];
  for (const [e, code, body] of bodies) {
    assert.equal(e.httpCode, code, e.name);
    assert.equal(JSON.stringify(e.toBody()), body, e.name);
  }
  const codes = bodies.map(([e]) => e.code);
  assert.ok(codes.every((c) => /^ERR_[A-Z_]+$/.test(c)));
  assert.equal(new Set(core.CORE_ERROR_FAMILIES.map((F) => (F === core.AttestationRejected ? new F('UNKNOWN') : F === core.RequestRejected ? new F(400) : new (F as new () => ServiceError)()).code)).size, core.CORE_ERROR_FAMILIES.length);
});

test("OptOut's catalogue answers its bare statuses, one code per family", () => {
  assert.equal(JSON.stringify(new optout.Unauthorized().toBody()), '{"status":"unauthorized"}');
  assert.equal(JSON.stringify(new optout.ClientError().toBody()), '{"status":"client_error"}');
  assert.equal(JSON.stringify(new optout.RequestRejected(413).toBody()), '{"status":"client_error"}');
  assert.equal(JSON.stringify(new optout.InternalError().toBody()), '{"status":"unknown"}');
  assert.equal(new optout.ServiceBusy().httpCode, 503);
  const codes = optout.OPTOUT_ERROR_FAMILIES.map((F) => (F === optout.RequestRejected ? new F(400) : new (F as new () => ServiceError)()).code);
  assert.equal(new Set(codes).size, codes.length);
});

/** Areas whose error classes must carry a `code`. */
const AREAS = ['operator', 'core', 'optout', 'errors', 'config', 'http'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every error class of the services and shared areas carries a code', () => {
  let count = 0;
  for (const area of AREAS) {
    for (const path of files(join(repoRoot, 'src', area))) {
      const rel = relative(repoRoot, path);
      const text = readFileSync(path, 'utf8');
      for (const m of text.matchAll(/class (\w+) extends Error \{([\s\S]*?)\n\}/g)) {
        count++;
        assert.match(m[2], /readonly code = '[A-Z_]+'/, `${rel}: ${m[1]} has no code`);
      }
    }
  }
  assert.ok(count >= 15, `found ${count} error classes`);
});
