/**
 * `/v2/optout/status` (spec §4.8), roles MAPPER, SHARER or ID_READER; registered only when
 * `optout_status_api_enabled` (app.ts decides). Lookup is an exact match of the id string against
 * base64(advertising id) of the opt-out records, earliest time across files (seconds → ms).
 */
import type { FastifyInstance } from 'fastify';
import type { OperatorDeps } from '../deps.ts';
import { ClientError } from '../errors.ts';
import { requireRole } from '../http/role-check.ts';
import { apiContactOf } from '../tokens/token-metrics.ts';

export const OptoutStatusMessages = {
  invalidBody: 'Invalid request body',
  missingIds: 'Required Parameter Missing: advertising_ids',
  tooLarge: 'Request payload is too large',
} as const;

export async function optoutStatusRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  app.post('/v2/optout/status', { onRequest: requireRole(deps, 'MAPPER', 'SHARER', 'ID_READER') }, async (request) => {
    const payload = request.v2?.payload ?? null;
    if (payload === null) throw new ClientError(OptoutStatusMessages.invalidBody);
    const ids = payload.advertising_ids;
    if (ids === undefined || ids === null) throw new ClientError(OptoutStatusMessages.missingIds);
    // A non-array is what upstream's getJsonArray rejects; answer 400, never 500.
    if (!Array.isArray(ids)) throw new ClientError(OptoutStatusMessages.missingIds);
    if (ids.length > deps.config.optoutStatusMaxRequestSize) throw new ClientError(OptoutStatusMessages.tooLarge);
    const optout = deps.stores.optout.current();
    // The advertising-id index is built on the first status call after a reload (off the event loop when it can be).
    await optout.byAdvertisingId.ready();
    const optedOut: { advertising_id: string; opted_out_since: number }[] = [];
    for (const id of ids) {
      if (typeof id !== 'string') continue;
      const seconds = optout.byAdvertisingId.get(id);
      if (seconds !== undefined) optedOut.push({ advertising_id: id, opted_out_since: seconds * 1000 });
    }
    deps.metrics.mapping.optoutStatus(apiContactOf(request.client), ids.length, optedOut.length);
    return { status: 'success', body: { opted_out: optedOut } };
  });
}
