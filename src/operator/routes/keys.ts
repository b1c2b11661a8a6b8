/**
 * Key endpoints (spec §4.10, §8.3), inside the v2 envelope. The request JSON is ignored; the body
 * is built from the request's keyset, key and site snapshots.
 */
import type { ClientRecord, Role } from '../../auth/index.ts';
import { InvalidClient } from '../errors.ts';
import { callerOf, defineRoute, type RouteInput, type RouteSpec } from '../http/route.ts';
import { v2Envelope, type V2Payload } from '../http/v2-envelope.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import { keyBidstreamBody, keyLatestBody, keySharingBody, type KeyView } from './key-sharing.ts';

/** Sites −1, −2, 1 and 2 are reserved; participants have ids > 2 (spec §2.1). */
const MIN_PARTICIPANT_SITE_ID = 3;

function keyView({ deps, view }: RouteInput<V2Payload>): KeyView {
  return {
    config: deps.config,
    lifetimes: effectiveRuntime(deps.config, view.runtimeConfig).lifetimes,
    keysets: view.keysets,
    keys: view.keysetKeys,
    sites: view.sites,
  };
}

type KeyBody = (view: KeyView, client: ClientRecord) => unknown;

function keyRoute(path: string, roles: readonly Role[], body: KeyBody): RouteSpec {
  return defineRoute({
    method: 'POST',
    path,
    auth: roles,
    body: v2Envelope,
    handle: (input) => JSON.stringify({ status: 'success', body: body(keyView(input), callerOf(input)) }),
  });
}

function latestBody(view: KeyView, client: ClientRecord): unknown {
  if (client.siteId < MIN_PARTICIPANT_SITE_ID) throw new InvalidClient(`Unexpected client site id ${client.siteId}`);
  return keyLatestBody(view, client);
}

/** `/v2/key/latest`, `/v2/key/sharing`, `/v2/key/bidstream`. */
export function keyRoutes(): RouteSpec[] {
  return [
    keyRoute('/v2/key/latest', ['ID_READER'], latestBody),
    keyRoute('/v2/key/sharing', ['SHARER', 'ID_READER'], keySharingBody),
    keyRoute('/v2/key/bidstream', ['ID_READER'], keyBidstreamBody),
  ];
}
