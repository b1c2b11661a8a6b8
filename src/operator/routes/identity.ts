/**
 * Identity map v2/v3 and salt buckets (spec §4.5-§4.7), role MAPPER, inside the v2 envelope scope.
 * Each handler reads the request, resolves every input through one per-request `IdentityMapper`
 * and returns `{"status":"success","body":...}`; the envelope plugin encrypts it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { IDENTITY_FIELDS, type IdentityField } from '../../protocol/identity-input.ts';
import type { OperatorDeps } from '../deps.ts';
import { ClientError, Messages } from '../errors.ts';
import { requireRole } from '../http/role-check.ts';
import { v2Payload } from '../http/v2-envelope.ts';
import { mapV2Batch, mapV3Batch } from '../identity/batch-mapper.ts';
import { createIdentityMapper } from '../identity/identity-mapper.ts';
import { checkServiceLink, serviceLinkNamesOf } from '../identity/service-link-check.ts';
import { emptyTally, type MapTally } from '../metrics/mapping-metrics.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { apiContactOf } from '../tokens/token-metrics.ts';
import { modifiedBuckets, parseSinceTimestamp } from './bucket-listing.ts';

const PHONE_FIELDS: ReadonlySet<IdentityField> = new Set(['phone', 'phone_hash']);

export const IdentityMessages = {
  mustBeArray: (field: string) => `${field} must be an array`,
  incorrectFormat: 'Incorrect request format',
  oneOrMore: (phone: boolean) =>
    phone
      ? 'Required Parameter Missing: one or more of [email, email_hash, phone, phone_hash] must be specified'
      : 'Required Parameter Missing: one or more of [email, email_hash] must be specified',
  missingSince: 'missing parameter since_timestamp',
  invalidSince: 'invalid date, must conform to ISO 8601',
} as const;

function success(body: unknown): { status: 'success'; body: unknown } {
  return { status: 'success', body };
}

/**
 * The one identity kind of a v2 request (upstream `getIdentityMapV2Input`): more than one non-empty
 * array, or none of the keys at all, is the "exactly one of" error; only empty arrays map nothing.
 */
function v2Input(payload: Record<string, unknown>, phoneSupport: boolean): { field: IdentityField; values: unknown[] } {
  let chosen: { field: IdentityField; values: unknown[] } | undefined;
  let anyPresent = false;
  for (const field of IDENTITY_FIELDS) {
    if (!phoneSupport && PHONE_FIELDS.has(field)) continue;
    const value = payload[field];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) throw new ClientError(IdentityMessages.mustBeArray(field));
    anyPresent = true;
    if (value.length === 0) continue;
    if (chosen) throw new ClientError(Messages.exactlyOneIdentity(phoneSupport));
    chosen = { field, values: value };
  }
  if (!anyPresent) throw new ClientError(Messages.exactlyOneIdentity(phoneSupport));
  return chosen ?? { field: 'email', values: [] };
}

/**
 * Strict binding of a v3 request (upstream Jackson with FAIL_ON_UNKNOWN_PROPERTIES): only the four
 * keys, each absent/null or an array of strings; anything else is "Incorrect request format".
 */
function v3Input(payload: Record<string, unknown> | null, phoneSupport: boolean): Record<IdentityField, readonly string[]> {
  if (payload === null || Object.keys(payload).length === 0) throw new ClientError(IdentityMessages.oneOrMore(phoneSupport));
  const input: Record<IdentityField, readonly string[]> = { email: [], email_hash: [], phone: [], phone_hash: [] };
  for (const [key, value] of Object.entries(payload)) {
    if (!(IDENTITY_FIELDS as readonly string[]).includes(key)) throw new ClientError(IdentityMessages.incorrectFormat);
    if (value === null) continue;
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ClientError(IdentityMessages.incorrectFormat);
    input[key as IdentityField] = value as string[];
  }
  return input;
}

/** Upstream's identity map series (`recordIdentityMapStats`) and the raw UID versions returned. */
function recordMap(deps: OperatorDeps, request: FastifyRequest, payload: Record<string, unknown>, tally: MapTally): void {
  deps.metrics.mapping.identityMap(apiContactOf(request.client), tally, serviceLinkNamesOf(deps, request.client, payload));
  deps.metrics.tokens.rawUids('v2', tally.v2RawUids);
  deps.metrics.tokens.rawUids(deps.config.identityV3 ? 'v3' : 'v4', tally.perItemMapped);
}

export async function identityRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  const mapper = { onRequest: requireRole(deps, 'MAPPER') };
  const phoneSupport = deps.config.enablePhoneSupport;

  app.post('/v2/identity/map', mapper, async (request: FastifyRequest) => {
    const payload = v2Payload(request);
    const { field, values } = v2Input(payload, phoneSupport);
    checkServiceLink(deps, request.client, payload, 'MAPPER');
    // The staged batch mapper (issue 6); items it does not cover take the per-item path.
    const tally = emptyTally();
    const { mapped, unmapped } = mapV2Batch(createIdentityMapper(deps), field, values, tally);
    recordMap(deps, request, payload, tally);
    return success(unmapped.length > 0 ? { mapped, unmapped } : { mapped });
  });

  app.post('/v3/identity/map', mapper, async (request: FastifyRequest, reply: FastifyReply) => {
    const payload = request.v2?.payload ?? null;
    const input = v3Input(payload, phoneSupport);
    checkServiceLink(deps, request.client, payload ?? {}, 'MAPPER');
    // The answer is written as JSON bytes by the staged batch mapper: the same bytes as
    // serializing success(body) with the fields in IDENTITY_FIELDS order.
    const tally = emptyTally();
    const json = mapV3Batch(createIdentityMapper(deps), input, '{"status":"success","body":{', '}}', tally);
    recordMap(deps, request, payload ?? {}, tally);
    reply.type('application/json; charset=utf-8');
    return json;
  });

  app.post('/v2/identity/buckets', mapper, async (request: FastifyRequest) => {
    const since = v2Payload(request).since_timestamp;
    if (since === undefined || since === null) throw new ClientError(IdentityMessages.missingSince);
    const sinceMs = typeof since === 'string' ? parseSinceTimestamp(since) : undefined;
    if (sinceMs === undefined) throw new ClientError(IdentityMessages.invalidSince);
    const now = deps.clock.now();
    return success(modifiedBuckets(saltsInForce(deps, now), sinceMs, now));
  });
}
