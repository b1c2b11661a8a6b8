/**
 * Route fuzz targets for Core and OptOut (issue 7 §1 "every route's JSON"): both services run
 * in-process on a small demo data set and are driven through `inject()`. Captured requests are a
 * trusted operator's `/attest` and an opt-out `/optout/replicate`; mutations change the JSON, the
 * query, the headers and the bytes. The oracle is the operator routes' one (route-targets.ts).
 */
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { startCore } from '../../src/core/core-service.ts';
import { createDemoDataset } from '../../src/core/dataset/index.ts';
import { startOptOutService } from '../../src/optout/optout-service.ts';
import { mutateBytes } from './byte-mutator.ts';
import type { FuzzTarget } from './fuzz-target.ts';
import { mutateJsonText } from './json-mutator.ts';
import type { Prng } from './prng.ts';
import { checkResponse, onTheWire, type Outgoing } from './route-targets.ts';
import { mutateText } from './text-mutator.ts';

export interface ServiceFuzz {
  readonly targets: FuzzTarget[];
  close(): Promise<void>;
}

function mutateHeaders(prng: Prng, headers: Record<string, string>, key: string): Record<string, string> {
  const out = { ...headers };
  switch (prng.int(3)) {
    case 0:
      delete out.authorization;
      break;
    case 1:
      out.authorization = `Bearer ${mutateText(prng, key)}`;
      break;
    default:
      out['content-type'] = prng.pick(['application/json', 'text/plain', '', 'application/octet-stream']);
  }
  return out;
}

/** The 500 Core gives for a `public_key` it cannot encrypt to (attestation-azure.md §2.1 INTERNAL_ERROR). */
const CORE_INTERNAL = JSON.stringify({ status: 'attestation failure', message: 'There was an internal processing error' });

/** True when `body` is JSON whose `public_key` is not an RSA SPKI: Core's documented 500. */
function hasUnusablePublicKey(body: Buffer | string | undefined): boolean {
  try {
    const key = JSON.parse(String(body)).public_key;
    return createPublicKey({ key: Buffer.from(String(key), 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType !== 'rsa';
  } catch {
    return true;
  }
}

async function deliver(app: FastifyInstance, out: Outgoing, label: string) {
  try {
    const wire = onTheWire(out);
    const res = await app.inject({ method: wire.method as 'POST', url: wire.url, headers: wire.headers, payload: wire.body });
    // Spec-mandated 5xx (kept for the operator's retry rules), only for the input that causes it.
    if (res.statusCode === 500 && wire.url === '/attest' && res.body === CORE_INTERNAL && hasUnusablePublicKey(wire.body)) return undefined;
    return checkResponse(res, label, null);
  } catch (err) {
    return `${label}: inject threw ${(err as Error).name}: ${(err as Error).message}`;
  }
}

export async function serviceTargets(): Promise<ServiceFuzz> {
  const dir = await mkdtemp(join(tmpdir(), 'uid2-fuzz-services-'));
  const ds = await createDemoDataset({ out: dir, buckets: 64 });
  const core = await startCore({ dataDir: dir, port: 0, host: '127.0.0.1', logger: false });
  const optout = await startOptOutService({ dataDir: dir, port: 0, host: '127.0.0.1', logger: false, background: false });
  const spki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const attestBody = { attestation_request: Buffer.of(0).toString('base64'), public_key: spki, application_name: 'uid2-operator', application_version: '5.0.0', operator_type: 'private', components: {} };
  const auth = { authorization: `Bearer ${ds.operatorKey}` };
  const replicateQuery = () => `identity_hash=${encodeURIComponent(Buffer.alloc(32, 5).toString('base64'))}&advertising_id=${encodeURIComponent(Buffer.alloc(32, 6).toString('base64'))}`;
  const targets: FuzzTarget[] = [
    {
      name: 'core/attest',
      weight: 2,
      run(prng) {
        const headers = prng.chance(0.8) ? { ...auth, 'content-type': 'application/json' } : mutateHeaders(prng, { ...auth, 'content-type': 'application/json' }, ds.operatorKey);
        const text = JSON.stringify(attestBody);
        const body = prng.chance(0.7) ? mutateJsonText(prng, attestBody) : mutateBytes(prng, Buffer.from(text)).toString('latin1');
        return deliver(core.app, { method: 'POST', url: '/attest', headers, body }, 'core POST /attest');
      },
    },
    {
      name: 'core/metadata',
      weight: 1,
      run(prng) {
        const url = prng.pick(['/key/keyset-keys/refresh', '/salt/refresh', '/clients/refresh', '/operator/config', '/sites/refresh', '/cloud_encryption_keys/retrieve']);
        const headers: Record<string, string> = mutateHeaders(prng, { ...auth, 'attestation-token': mutateText(prng, 'abc-def-ghi'), 'attestation-jwt': mutateText(prng, 'eyJhbGciOiJSUzI1NiJ9.e30.sig') }, ds.operatorKey);
        return deliver(core.app, { method: 'GET', url: prng.chance(0.8) ? url : `${url}?${mutateText(prng, 'a=1')}`, headers, body: undefined }, `core GET ${url}`);
      },
    },
    {
      name: 'optout/replicate',
      weight: 1,
      run(prng) {
        const query = prng.chance(0.8) ? mutateText(prng, replicateQuery()) : replicateQuery();
        const headers = prng.chance(0.7) ? { ...auth } : mutateHeaders(prng, auth, ds.operatorKey);
        const body = prng.chance(0.5) ? mutateJsonText(prng, { email: 'fuzz@example.com' }) : undefined;
        return deliver(optout.app, { method: 'POST', url: `/optout/replicate?${query}`, headers, body }, 'optout POST /optout/replicate');
      },
    },
    {
      name: 'optout/refresh',
      weight: 1,
      run(prng) {
        const headers = mutateHeaders(prng, { ...auth, 'attestation-jwt': mutateText(prng, 'eyJhbGciOiJSUzI1NiJ9.e30.sig') }, ds.operatorKey);
        return deliver(optout.app, { method: 'GET', url: '/optout/refresh', headers, body: undefined }, 'optout GET /optout/refresh');
      },
    },
  ];
  return {
    targets,
    async close() {
      await core.close();
      await optout.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
