/**
 * Key endpoints (spec §4.10, §8.3), inside the v2 envelope scope. The request JSON is ignored;
 * the body is built from one read of the keyset, key and site snapshots.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ClientRecord } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import { InvalidClient } from '../errors.ts';
import { requireRole } from '../http/role-check.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import { keyBidstreamBody, keyLatestBody, keySharingBody, type KeyView } from './key-sharing.ts';

/** Sites −1, −2, 1 and 2 are reserved; participants have ids > 2 (spec §2.1). */
const MIN_PARTICIPANT_SITE_ID = 3;

function keyView(deps: OperatorDeps): KeyView {
  return {
    config: deps.config,
    lifetimes: effectiveRuntime(deps.config, deps.stores.runtimeConfig.peek()).lifetimes,
    keysets: deps.stores.keysets.current(),
    keys: deps.stores.keysetKeys.current(),
    sites: deps.stores.sites.current(),
  };
}

function clientOf(request: FastifyRequest): ClientRecord {
  // requireRole ran as onRequest, so a client is always present here.
  if (!request.client) throw new Error('key route without an authenticated client');
  return request.client;
}

export async function keysRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  app.post('/v2/key/latest', { onRequest: requireRole(deps, 'ID_READER') }, async (request) => {
    const client = clientOf(request);
    if (client.siteId < MIN_PARTICIPANT_SITE_ID) throw new InvalidClient(`Unexpected client site id ${client.siteId}`);
    return { status: 'success', body: keyLatestBody(keyView(deps), client) };
  });

  app.post('/v2/key/sharing', { onRequest: requireRole(deps, 'SHARER', 'ID_READER') }, async (request) => ({
    status: 'success',
    body: keySharingBody(keyView(deps), clientOf(request)),
  }));

  app.post('/v2/key/bidstream', { onRequest: requireRole(deps, 'ID_READER') }, async (request) => ({
    status: 'success',
    body: keyBidstreamBody(keyView(deps), clientOf(request)),
  }));
}
