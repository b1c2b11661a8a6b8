/**
 * `/v2/optout/status` (spec §4.8), roles MAPPER, SHARER or ID_READER; in the route table only when
 * `optout_status_api_enabled`. Lookup is an exact match of the id string against base64(advertising
 * id) of the opt-out records, earliest time across files (seconds → ms).
 */
import { ClientError } from '../errors.ts';
import { defineRoute, type RouteInput, type RouteSpec } from '../http/route.ts';
import { v2Envelope, type V2Payload } from '../http/v2-envelope.ts';
import { apiContactOf } from '../tokens/token-metrics.ts';

export const OptoutStatusMessages = {
  invalidBody: 'Invalid request body',
  missingIds: 'Required Parameter Missing: advertising_ids',
  tooLarge: 'Request payload is too large',
} as const;

function ids(input: RouteInput<V2Payload>): unknown[] {
  const { payload } = input;
  if (payload === null) throw new ClientError(OptoutStatusMessages.invalidBody);
  const list = payload.advertising_ids;
  // A non-array is what upstream's getJsonArray rejects; answer 400, never 500.
  if (list === undefined || list === null || !Array.isArray(list)) throw new ClientError(OptoutStatusMessages.missingIds);
  if (list.length > input.deps.config.optoutStatusMaxRequestSize) throw new ClientError(OptoutStatusMessages.tooLarge);
  return list;
}

function answer(input: RouteInput<V2Payload>, list: unknown[]): string {
  const index = input.view.optout.byAdvertisingId;
  const optedOut: { advertising_id: string; opted_out_since: number }[] = [];
  for (const id of list) {
    if (typeof id !== 'string') continue;
    const seconds = index.get(id);
    if (seconds !== undefined) optedOut.push({ advertising_id: id, opted_out_since: seconds * 1000 });
  }
  input.deps.metrics.mapping.optoutStatus(apiContactOf(input.client), list.length, optedOut.length);
  return JSON.stringify({ status: 'success', body: { opted_out: optedOut } });
}

/**
 * The advertising-id index is built on the first status call after a reload (off the event loop
 * when it can be): only that call waits for it.
 */
function status(input: RouteInput<V2Payload>): string | Promise<string> {
  const list = ids(input);
  const index = input.view.optout.byAdvertisingId;
  return index.isReady ? answer(input, list) : index.ready().then(() => answer(input, list));
}

export function optoutStatusRoutes(): RouteSpec[] {
  return [defineRoute({ method: 'POST', path: '/v2/optout/status', auth: ['MAPPER', 'SHARER', 'ID_READER'], body: v2Envelope, handle: status })];
}
