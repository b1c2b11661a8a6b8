/**
 * OptOut service configuration: `DIR/optout-config.json` (all keys optional), parsed once into a
 * typed object (snake_case stops here, style.md §5). Upstream names are kept where they exist
 * (operator-spec.md §10.2: optout_delta_rotate_interval 300 s, optout_partition_interval 86400 s,
 * optout_max_partitions 30; `optout_producer_replica_id`).
 */
export interface OptOutConfig {
  /** Seconds a delta stays open before it is closed and uploaded. */
  readonly deltaRotateIntervalS: number;
  /** Deltas older than this are compacted into a partition. */
  readonly partitionIntervalS: number;
  /** Files older than partitionIntervalS × maxPartitions expire. */
  readonly maxPartitions: number;
  /** Replica id in file names (`%03d`). */
  readonly replicaId: number;
  /** Base URL of this service as operators reach it; serves the fs backend's signed URLs. */
  readonly publicBaseUrl: string | undefined;
  /** How often the in-progress delta is re-published when it changed (ms). */
  readonly publishIntervalMs: number;
  /** Lifetime of the signed URLs in `/optout/refresh`. */
  readonly signedUrlTtlS: number;
  /** Azure container of the opt-out files (storage=azure). */
  readonly blobContainer: string;
  /** Operator-key store metadata: a blob path in Core's stores (the data directory or `coreBlobContainer`). */
  readonly operatorsMetadataPath: string;
  /** Azure container of Core's stores, where the operator keys live (storage=azure); Core's `--container`. */
  readonly coreBlobContainer: string;
  /** Poll period of the operator-key store (ms), upstream `auth_refresh_ms`. */
  readonly authRefreshMs: number;
}

export class OptOutConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptOutConfigError';
  }
}

type Json = Record<string, unknown>;

function positiveInt(o: Json, key: string, fallback: number, min = 1): number {
  const v = o[key];
  if (v === undefined || v === null) return fallback;
  const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min) {
    throw new OptOutConfigError(`${key} must be an integer >= ${min}`);
  }
  return n;
}

function optionalString(o: Json, key: string): string | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new OptOutConfigError(`${key} must be a string`);
  return v;
}

export function parseOptOutConfig(json: unknown): OptOutConfig {
  if (json === undefined || json === null) json = {};
  if (typeof json !== 'object' || Array.isArray(json)) throw new OptOutConfigError('optout config must be a JSON object');
  const o = json as Json;
  const replicaId = positiveInt(o, 'optout_producer_replica_id', 1, 0);
  if (replicaId > 999) throw new OptOutConfigError('optout_producer_replica_id must be <= 999');
  return Object.freeze({
    deltaRotateIntervalS: positiveInt(o, 'optout_delta_rotate_interval', 300),
    partitionIntervalS: positiveInt(o, 'optout_partition_interval', 86400),
    maxPartitions: positiveInt(o, 'optout_max_partitions', 30),
    replicaId,
    publicBaseUrl: optionalString(o, 'optout_public_url'),
    publishIntervalMs: positiveInt(o, 'optout_publish_interval_ms', 2000, 100),
    signedUrlTtlS: positiveInt(o, 'optout_signed_url_ttl_seconds', 3600),
    blobContainer: optionalString(o, 'optout_blob_container') ?? 'optout',
    operatorsMetadataPath: optionalString(o, 'operators_metadata_path') ?? '/stores/operators/metadata.json',
    coreBlobContainer: optionalString(o, 'core_blob_container') ?? 'uid2-core',
    authRefreshMs: positiveInt(o, 'auth_refresh_ms', 10000, 100),
  });
}
