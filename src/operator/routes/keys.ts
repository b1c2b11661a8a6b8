/**
 * Key endpoints (spec §4.10, §8.3): hot routes inside the v2 envelope (hot-route.ts), so the
 * fast front answers them like generate and refresh. The request JSON is ignored; the body is
 * built from one read of the keyset, key and site snapshots.
 */
import type { ClientRecord, Role } from '../../auth/index.ts';
import type { OperatorDeps } from '../deps.ts';
import { InvalidClient } from '../errors.ts';
import type { ReplayChecker } from '../http/cluster-replay-guard.ts';
import { v2HotRoute, type HotRoute } from '../http/hot-route.ts';
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

type KeyBody = (view: KeyView, client: ClientRecord) => unknown;

function keyRoute(deps: OperatorDeps, replayGuard: ReplayChecker, url: string, roles: readonly Role[], body: KeyBody): HotRoute {
  return v2HotRoute(deps, replayGuard, url, roles, (_payload, client) => JSON.stringify({ status: 'success', body: body(keyView(deps), client) }));
}

function latestBody(view: KeyView, client: ClientRecord): unknown {
  if (client.siteId < MIN_PARTICIPANT_SITE_ID) throw new InvalidClient(`Unexpected client site id ${client.siteId}`);
  return keyLatestBody(view, client);
}

/** `/v2/key/latest`, `/v2/key/sharing`, `/v2/key/bidstream`. */
export function keyRoutes(deps: OperatorDeps, replayGuard: ReplayChecker): HotRoute[] {
  return [
    keyRoute(deps, replayGuard, '/v2/key/latest', ['ID_READER'], latestBody),
    keyRoute(deps, replayGuard, '/v2/key/sharing', ['SHARER', 'ID_READER'], keySharingBody),
    keyRoute(deps, replayGuard, '/v2/key/bidstream', ['ID_READER'], keyBidstreamBody),
  ];
}
