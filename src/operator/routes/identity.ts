/**
 * Identity map v2/v3 and salt buckets (spec §4.5-§4.7), role MAPPER, inside the v2 envelope.
 * Each handler reads the request, resolves every input through one per-request `IdentityMapper`
 * and returns `{"status":"success","body":...}`; the envelope seals it.
 */
import { IDENTITY_FIELDS, type IdentityField } from '../../protocol/identity-input.ts';
import type { Role } from '../../auth/index.ts';
import { ClientError, Messages } from '../errors.ts';
import { defineRoute, type RouteInput, type RouteSpec } from '../http/route.ts';
import { v2Envelope, type V2Payload } from '../http/v2-envelope.ts';
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

function success(body: unknown): string {
  return JSON.stringify({ status: 'success', body });
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
function recordMap({ deps, view, client }: RouteInput<V2Payload>, payload: Record<string, unknown>, tally: MapTally): void {
  deps.metrics.mapping.identityMap(apiContactOf(client), tally, serviceLinkNamesOf(view, client, payload));
  deps.metrics.tokens.rawUids('v2', tally.v2RawUids);
  deps.metrics.tokens.rawUids(deps.config.identityV3 ? 'v3' : 'v4', tally.perItemMapped);
}

/** `/v2/identity/map` (spec §4.5). */
function mapV2(input: RouteInput<V2Payload>): string {
  const { deps, view, client } = input;
  const payload = input.payload ?? {};
  const { field, values } = v2Input(payload, deps.config.enablePhoneSupport);
  checkServiceLink({ validate: deps.config.validateServiceLinks, links: view.serviceLinks }, client, payload, 'MAPPER');
  // The staged batch mapper (issue 6); items it does not cover take the per-item path.
  const tally = emptyTally();
  const { mapped, unmapped } = mapV2Batch(createIdentityMapper(deps, view), field, values, tally);
  recordMap(input, payload, tally);
  return success(unmapped.length > 0 ? { mapped, unmapped } : { mapped });
}

/** `/v3/identity/map` (spec §4.6). */
function mapV3(input: RouteInput<V2Payload>): Buffer {
  const { deps, view, client, payload } = input;
  const identities = v3Input(payload, deps.config.enablePhoneSupport);
  checkServiceLink({ validate: deps.config.validateServiceLinks, links: view.serviceLinks }, client, payload ?? {}, 'MAPPER');
  // The answer is written as JSON bytes by the staged batch mapper: the same bytes as
  // serializing success(body) with the fields in IDENTITY_FIELDS order.
  const tally = emptyTally();
  const json = mapV3Batch(createIdentityMapper(deps, view), identities, '{"status":"success","body":{', '}}', tally);
  recordMap(input, payload ?? {}, tally);
  return json;
}

/** `/v2/identity/buckets` (spec §4.7). */
function buckets({ deps, view, payload }: RouteInput<V2Payload>): string {
  const since = payload?.since_timestamp;
  if (since === undefined || since === null) throw new ClientError(IdentityMessages.missingSince);
  const sinceMs = typeof since === 'string' ? parseSinceTimestamp(since) : undefined;
  if (sinceMs === undefined) throw new ClientError(IdentityMessages.invalidSince);
  const now = deps.clock.now();
  return success(modifiedBuckets(saltsInForce(deps, view, now), sinceMs, now));
}

const MAPPER: readonly Role[] = ['MAPPER'];

export function identityRoutes(): RouteSpec[] {
  return [
    defineRoute({ method: 'POST', path: '/v2/identity/map', auth: MAPPER, body: v2Envelope, handle: mapV2 }),
    defineRoute({ method: 'POST', path: '/v3/identity/map', auth: MAPPER, body: v2Envelope, handle: mapV3 }),
    defineRoute({ method: 'POST', path: '/v2/identity/buckets', auth: MAPPER, body: v2Envelope, handle: buckets }),
  ];
}
