/**
 * Maps identities to raw UIDs against one consistent view of the stores (spec §4.5, §4.6, §6, §10.1).
 * A mapper is made once per request: it reads the salt, opt-out and runtime snapshots once and
 * prepares the per-type mapping contexts, so a 5,000-item batch does only the per-item work
 * (normalize, two SHA-256, the raw UID) and never mixes old and new salts.
 */
import { firstLevelHash, hashBase64TextWithSalt } from '../../protocol/first-level-hash.ts';
import { identityHashBase64, parseIdentity, type Identity, type IdentityField } from '../../protocol/identity-input.ts';
import { IdentityType, parseEnvironment } from '../../protocol/identity-kinds.ts';
import { currentRawUid, mapIdentity, refreshFromSeconds, type MappingContext } from '../../protocol/identity-mapping.ts';
import { bucketIndex, bucketIndexOfBase64 } from '../../protocol/salt-bucket.ts';
import type { SaltEntry } from '../../protocol/salt-file.ts';
import type { OperatorDeps } from '../deps.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import { effectiveRuntime } from '../stores/runtime-config-store.ts';
import type { OptOutSnapshot } from '../stores/optout-store.ts';
import { saltFileAt, type SaltSnapshot } from '../stores/salt-store.ts';
import type { SaltTable } from '../stores/salt-table.ts';
import { saltsInForce } from '../tokens/salts-in-force.ts';
import { isOptedOut, isOptedOutBase64 } from '../tokens/test-identities.ts';
import { BucketPlan, bucketPlan } from './bucket-plan.ts';
import { INVALID_JSON, mappedJson, OPTED_OUT_JSON } from './map-v3-json.ts';

/** Outcome of one input: `invalid` and `optout` are the "unmapped" reasons of spec §4.5/§4.6. */
export type MapOutcome =
  | { kind: 'invalid' }
  | { kind: 'optout' }
  | { kind: 'mapped'; flh: Buffer; entry: SaltEntry; identity: Identity };

/** The store snapshots one mapper reads (the batch mapper works on the same ones). */
export interface MappingSnapshot {
  readonly nowMs: number;
  readonly salts: SaltSnapshot;
  readonly optout: OptOutSnapshot;
  /** The salt file in force at `nowMs`. */
  readonly entries: SaltTable;
  readonly identityV3: boolean;
}

export interface IdentityMapper {
  readonly nowMs: number;
  readonly snapshot: MappingSnapshot;
  /** Validates, hashes and opt-out-checks one input value of `field`. */
  resolve(field: IdentityField, value: unknown): MapOutcome;
  /** Current raw UID and public bucket id (map v2). */
  current(outcome: Extract<MapOutcome, { kind: 'mapped' }>): { rawUid: Buffer; bucketId: string };
  /** Current/previous raw UID and refresh-from seconds (map v3). */
  full(outcome: Extract<MapOutcome, { kind: 'mapped' }>): { current: Buffer; previous: Buffer | null; refreshFromS: number };
  /**
   * One map v3 element as JSON text. Same result as `resolve` + `full`, but hashes stay base64
   * text for salt-based v2 buckets (the common case: three one-shot SHA-256 calls and no
   * Buffers); v3/v4 raw UIDs go through `mapIdentity`.
   */
  v3Json(field: IdentityField, value: unknown): string;
}

export function createIdentityMapper(deps: OperatorDeps, view: StoreView): IdentityMapper {
  const nowMs = deps.clock.now();
  const salts = saltsInForce(deps, view, nowMs);
  const { optout } = view;
  const runtime = effectiveRuntime(deps.config, view.runtimeConfig);
  const { entries } = saltFileAt(salts.files, nowMs);
  const environment = parseEnvironment(runtime.identityEnvironment);
  const contextOf = (type: IdentityType): MappingContext =>
    Object.freeze({ scope: deps.config.identityScope, type, environment, identityV3: deps.config.identityV3 });
  const contexts = { [IdentityType.Email]: contextOf(IdentityType.Email), [IdentityType.Phone]: contextOf(IdentityType.Phone) };

  const snapshot: MappingSnapshot = Object.freeze({ nowMs, salts, optout, entries, identityV3: deps.config.identityV3 });

  return {
    nowMs,
    snapshot,
    resolve(field, value) {
      const identity = parseIdentity(field, value);
      if (identity === null) return { kind: 'invalid' };
      const flh = firstLevelHash(identity.hash, salts.firstLevelSalt);
      // Map checks opt-out like generate: test identities first, then any record (spec §10.1).
      if (isOptedOut(salts, optout, flh, 'generate')) return { kind: 'optout' };
      return { kind: 'mapped', flh, entry: entries.at(bucketIndex(flh, entries.length)), identity };
    },
    current(o) {
      return { rawUid: currentRawUid(o.flh, o.entry, contexts[o.identity.type]), bucketId: salts.bucketId(o.entry.id) };
    },
    full(o) {
      return mapIdentity(o.flh, o.entry, contexts[o.identity.type], nowMs);
    },
    v3Json(field, value) {
      const hash = identityHashBase64(field, value);
      if (hash === null) return INVALID_JSON;
      const flh = hashBase64TextWithSalt(hash, salts.firstLevelSalt);
      if (isOptedOutBase64(salts, optout, flh, 'generate')) return OPTED_OUT_JSON;
      const line = bucketIndexOfBase64(flh, entries.length);
      const plan = bucketPlan(entries, line, nowMs, deps.config.identityV3);
      if (plan === BucketPlan.Keyed) {
        const type = field === 'email' || field === 'email_hash' ? IdentityType.Email : IdentityType.Phone;
        const m = mapIdentity(Buffer.from(flh, 'base64'), entries.at(line), contexts[type], nowMs);
        return mappedJson(m.current.toString('base64'), m.previous === null ? null : m.previous.toString('base64'), m.refreshFromS);
      }
      const previous = plan === BucketPlan.CurrentAndPrevious ? hashBase64TextWithSalt(flh, entries.previousSalt(line)!) : null;
      return mappedJson(hashBase64TextWithSalt(flh, entries.currentSalt(line)!), previous, refreshFromSeconds(entries.refreshFrom(line), nowMs));
    },
  };
}
