/**
 * The metadata routes an attested operator polls (spec operator-spec.md §12.2, upstream
 * `CoreVerticle`): bearer key, then the attestation headers, then the stored metadata with signed
 * links. Sites, keypairs, services and service links are for public operators only upstream
 * (403 otherwise) unless the config lets private operators have them.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AttestationHeaderOptions } from '../../attestation/attestation-headers.ts';
import type { Role } from '../../auth/index.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { CoreConfig } from '../core-config.ts';
import { PublicOperatorsOnly, RefreshFailed, RuntimeConfigUnavailable, type CoreError } from '../core-errors.ts';
import { activeCloudKey, parseCloudKeys, withSignedLocations } from '../metadata-links.ts';
import type { OperatorDirectory } from '../operator-directory.ts';
import type { StoreName } from '../stores/store-layout.ts';
import { readJsonStore, readMetadata } from '../stores/store-reader.ts';
import { callerOf, requireAttestation, requireOperator } from './operator-auth.ts';

export interface MetadataRouteDeps {
  readonly config: CoreConfig;
  readonly blobs: BlobStore;
  readonly operators: OperatorDirectory;
  readonly attestation: AttestationHeaderOptions;
  readonly now: () => number;
}

interface MetadataRoute {
  readonly url: string;
  readonly store: StoreName;
  readonly what: string;
  readonly publicOnly?: boolean;
  readonly role?: Role;
}

const ROUTES: readonly MetadataRoute[] = [
  { url: '/salt/refresh', store: 'salts', what: 'salt' },
  { url: '/clients/refresh', store: 'clients', what: 'client' },
  { url: '/key/keyset/refresh', store: 'keysets', what: 'keyset' },
  { url: '/key/keyset-keys/refresh', store: 'keyset_keys', what: 'keyset key' },
  { url: '/sites/refresh', store: 'sites', what: 'sites', publicOnly: true },
  { url: '/client_side_keypairs/refresh', store: 'client_side_keypairs', what: 'client_side_keypairs', publicOnly: true },
  { url: '/services/refresh', store: 'services', what: 'services', publicOnly: true },
  { url: '/service_links/refresh', store: 'service_links', what: 'service_links', publicOnly: true },
  { url: '/operators/refresh', store: 'operators', what: 'operator', role: 'OPTOUT_SERVICE' },
];

function refreshFailed(what: string): CoreError {
  return new RefreshFailed(`error processing ${what} refresh`);
}

export async function metadataRoutes(app: FastifyInstance, deps: MetadataRouteDeps): Promise<void> {
  const guard = (role: Role) => [requireOperator(deps.operators, [role]), requireAttestation(deps.attestation, [role])];

  async function encryptionKeyFor(request: FastifyRequest) {
    if (String(request.headers.encrypted).toLowerCase() !== 'true') return undefined;
    const { records } = await readJsonStore(deps.blobs, 'cloud_encryption_keys');
    return activeCloudKey(parseCloudKeys(records), callerOf(request).record.siteId, deps.now());
  }

  for (const route of ROUTES) {
    app.get(route.url, { onRequest: guard(route.role ?? 'OPERATOR') }, async (request, reply) => {
      const { record } = callerOf(request);
      if (route.publicOnly && record.operatorType !== 'PUBLIC' && !deps.config.privateOperatorsGetPublicStores) {
        throw new PublicOperatorsOnly(`endpoint ${route.url} is for public operators only`);
      }
      const metadata = await readMetadata(deps.blobs, route.store).catch((err: unknown) => {
        request.log.warn({ store: route.store, err: (err as Error)?.message }, 'metadata refresh failed');
        throw refreshFailed(route.what);
      });
      if (metadata === undefined) throw refreshFailed(route.what);
      try {
        const served = await withSignedLocations(deps.blobs, metadata, {
          ttlSeconds: deps.config.signedUrlTtlSeconds,
          encryptWith: await encryptionKeyFor(request),
        });
        return reply.type('application/json').send(served);
      } catch (err) {
        request.log.warn({ store: route.store, err: (err as Error)?.message }, 'metadata refresh failed');
        throw refreshFailed(route.what);
      }
    });
  }

  // Runtime config is served inline and, as upstream, without the attestation check.
  app.get('/operator/config', { onRequest: requireOperator(deps.operators, ['OPERATOR']) }, async (_request, reply) => {
    const metadata = await readMetadata(deps.blobs, 'runtime_config').catch(() => undefined);
    if (metadata === undefined) throw new RuntimeConfigUnavailable();
    return reply.type('application/json').send(metadata);
  });

  // Inline keys of the caller's site (spec §12.2). Upstream answers 500 when the site has none;
  // an empty list lets operators that do not use encrypted files poll it harmlessly.
  app.get('/cloud_encryption_keys/retrieve', { onRequest: guard('OPERATOR') }, async (request, reply) => {
    try {
      const { records } = await readJsonStore(deps.blobs, 'cloud_encryption_keys');
      const siteId = callerOf(request).record.siteId;
      const mine = records.filter((r) => {
        const o = (r ?? {}) as Record<string, unknown>;
        return (o.siteId ?? o.site_id) === siteId;
      });
      return reply.type('application/json').send({ cloud_encryption_keys: mine });
    } catch {
      throw refreshFailed('cloud encryption keys');
    }
  });
}
