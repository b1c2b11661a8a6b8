/**
 * Fuzz targets for the store-file parsers (spec §8.1, §9, §10.2, §11, §12.3) and the attestation
 * parsers (SGX DCAP quotes, Core attestation tokens, MAA claims). Store loads may only fail with
 * `StoreFormatError`/`StoreSourceError`/`ProtocolError`; attestation verifiers never throw: they
 * return a failure (docs/architecture.md "Attestation").
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttestationTokenCodec } from '../../src/attestation/attestation-token.ts';
import { validateMaaClaims } from '../../src/attestation/azure-cc-policy.ts';
import { decodeDcapQuote, DcapQuoteError } from '../../src/attestation/sgx/dcap-quote.ts';
import { SgxDcapVerifier } from '../../src/attestation/sgx/sgx-dcap-verifier.ts';
import { SgxQuoteGenerator } from '../../src/attestation/sgx/sim/sgx-quote-generator.ts';
import { clientStore } from '../../src/operator/stores/client-store.ts';
import { cstgKeypairStore } from '../../src/operator/stores/cstg-keypair-store.ts';
import { keysetKeyStore, keysetStore } from '../../src/operator/stores/keyset-store.ts';
import { optOutStore } from '../../src/operator/stores/optout-store.ts';
import { runtimeConfigStore } from '../../src/operator/stores/runtime-config-store.ts';
import { saltStore } from '../../src/operator/stores/salt-store.ts';
import { serviceLinkStore, serviceStore } from '../../src/operator/stores/service-store.ts';
import { siteStore } from '../../src/operator/stores/site-store.ts';
import type { StoreDefinition, Versioned } from '../../src/operator/stores/store-definition.ts';
import { StoreFormatError } from '../../src/operator/stores/store-json.ts';
import { StoreSourceError, type StoreSource } from '../../src/operator/stores/store-source.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { fixturesDir } from '../../test/support/shared.ts';
import { mutateBytes } from './byte-mutator.ts';
import { expectTypedAsync, type FuzzTarget, type Verdict } from './fuzz-target.ts';
import { mutateJson, mutateJsonText } from './json-mutator.ts';
import type { Prng } from './prng.ts';
import type { VectorCorpus } from './vector-corpus.ts';

const STORE_ERRORS = [StoreFormatError, StoreSourceError, ProtocolError];
const NOW = Date.UTC(2026, 0, 15, 12);

interface StoreSeed {
  readonly definition: StoreDefinition<Versioned>;
  readonly metadata: unknown;
  readonly files: ReadonlyMap<string, Buffer>;
}

function fixtureStore(definition: StoreDefinition<Versioned>, dir: string): StoreSeed {
  const base = join(fixturesDir, 'com.uid2.core', 'test', dir);
  const metadata = JSON.parse(readFileSync(join(base, 'metadata.json'), 'utf8'));
  const files = new Map<string, Buffer>();
  const locations = JSON.stringify(metadata).match(/"location"\s*:\s*"[^"]+"/g) ?? [];
  for (const l of locations) {
    const location = JSON.parse(`{${l}}`).location as string;
    files.set(location, readFileSync(join(fixturesDir, location)));
  }
  return { definition, metadata, files };
}

/** A source that serves the seed's files, one of them mutated. */
function mutatedSource(prng: Prng, seed: StoreSeed): StoreSource {
  const locations = [...seed.files.keys()];
  const target = locations.length ? prng.pick(locations) : undefined;
  return {
    metadata: async () => seed.metadata,
    async content(location) {
      const bytes = seed.files.get(location);
      if (!bytes) throw new StoreSourceError(`cannot read ${location}`);
      if (location !== target) return bytes;
      if (prng.chance(0.4)) {
        try {
          return Buffer.from(mutateJsonText(prng, JSON.parse(bytes.toString('utf8'))));
        } catch {
          // not JSON (salt CSV, opt-out records): byte mutation below
        }
      }
      return mutateBytes(prng, bytes);
    },
  };
}

function optOutSeed(corpus: VectorCorpus): StoreSeed {
  const files = new Map([['/optout/delta-1.dat', Buffer.concat(corpus.optOutRecords.map((r) => r.subarray(0, 72)))]]);
  return { definition: optOutStore as StoreDefinition<Versioned>, metadata: { version: 3, optout_logs: [{ type: 'delta', location: '/optout/delta-1.dat' }] }, files };
}

function storeTarget(seeds: readonly StoreSeed[]): FuzzTarget {
  return {
    name: 'store-files',
    weight: 6,
    run(prng) {
      const seed = prng.pick(seeds);
      const metadata = prng.chance(0.3) ? mutateJson(prng, seed.metadata) : seed.metadata;
      return expectTypedAsync(() => seed.definition.load(metadata, mutatedSource(prng, seed), NOW), STORE_ERRORS);
    },
  };
}

function checkVerification(result: { ok: boolean }): Verdict {
  return result.ok ? 'a mutated quote verified' : undefined;
}

export async function parserTargets(corpus: VectorCorpus): Promise<FuzzTarget[]> {
  const seeds: StoreSeed[] = [
    fixtureStore(clientStore as StoreDefinition<Versioned>, 'clients'),
    fixtureStore(keysetStore as StoreDefinition<Versioned>, 'keysets'),
    fixtureStore(keysetKeyStore as StoreDefinition<Versioned>, 'keyset_keys'),
    fixtureStore(siteStore as StoreDefinition<Versioned>, 'sites'),
    fixtureStore(cstgKeypairStore as StoreDefinition<Versioned>, 'client_side_keypairs'),
    fixtureStore(serviceStore as StoreDefinition<Versioned>, 'services'),
    fixtureStore(serviceLinkStore as StoreDefinition<Versioned>, 'service_links'),
    fixtureStore(saltStore as StoreDefinition<Versioned>, 'salts'),
    fixtureStore(runtimeConfigStore as StoreDefinition<Versioned>, 'runtime_config'),
    optOutSeed(corpus),
  ];
  const generator = new SgxQuoteGenerator();
  const spki = Buffer.from('30' + '00'.repeat(40), 'hex');
  const quote = generator.generate({ publicKeySpki: spki });
  const verifier = new SgxDcapVerifier({ trustedRootsPem: generator.rootPem, now: () => NOW });
  const codec = await AttestationTokenCodec.create('fuzz-enc-key', 'fuzz-enc-salt');
  const token = codec.mint('UID2-O-L-1-abcdef.0123456789012345678901234567890123456789', NOW + 3_600_000);
  const claims = {
    'x-ms-attestation-type': 'sevsnpvm',
    'x-ms-compliance-status': 'azure-compliant-uvm',
    'x-ms-sevsnpvm-is-debuggable': false,
    'x-ms-sevsnpvm-hostdata': 'ab'.repeat(32),
    'x-ms-runtime': { location: 'East US', publicKey: 'AAAA', attestationUrl: 'aHR0cDovL2xvY2FsaG9zdDo4MDg4' },
  };
  return [
    storeTarget(seeds),
    {
      name: 'sgx-dcap-quote/decode',
      weight: 3,
      run(prng) {
        const bytes = mutateBytes(prng, quote);
        try {
          decodeDcapQuote(bytes);
          return undefined;
        } catch (err) {
          return err instanceof DcapQuoteError ? undefined : `untyped ${(err as Error).name}: ${(err as Error).message}`;
        }
      },
    },
    {
      name: 'sgx-dcap-quote/verify',
      weight: 1,
      async run(prng) {
        try {
          return checkVerification(await verifier.verify(mutateBytes(prng, quote), spki));
        } catch (err) {
          return `verify threw ${(err as Error).name}: ${(err as Error).message} ${(err as Error).stack?.split('\n').slice(1, 4).join(' <')}`;
        }
      },
    },
    {
      name: 'attestation-token',
      weight: 2,
      run(prng) {
        const text = prng.chance(0.5) ? mutateJsonText(prng, token).replace(/^"|"$/g, '') : mutateBytes(prng, Buffer.from(token)).toString('latin1');
        try {
          const claims = codec.decrypt(text);
          return claims && text !== token && claims.operatorKey.length === 0 ? 'empty operator key accepted' : undefined;
        } catch (err) {
          return `decrypt threw ${(err as Error).name}`;
        }
      },
    },
    {
      name: 'maa-claims',
      weight: 2,
      run(prng) {
        const mutated = mutateJson(prng, claims);
        try {
          const outcome = validateMaaClaims((mutated ?? {}) as Record<string, unknown>, 'AAAA', 'http://localhost:8088');
          return typeof outcome.ok === 'boolean' ? undefined : 'no outcome';
        } catch (err) {
          return `validateMaaClaims threw ${(err as Error).name}: ${(err as Error).message}`;
        }
      },
    },
  ];
}
