/**
 * Attested mode (`core_attest_url` configured; spec operator-spec.md §12, attestation-azure.md
 * §1): the operator attests to Core before anything else, loads every store from Core through a
 * `CoreStoreSource`, syncs opt-outs from the OptOut service, renews its attestation, and applies
 * the shutdown rules. It is a `StoreRefresher`, so the operator's start-up uses it exactly like
 * the local one:
 *
 *   const refresher = config.coreAttestUrl ? createAttestedSync(config, {...}) : new StoreRefresher(...);
 *   await refresher.loadAll();   // attest, load every store, first opt-out sync: any failure is fatal
 *   refresher.start();           // store polling, 60 s renewal ticker, opt-out sync, hourly checks
 */
import type { Logger } from 'pino';
import type { AttestationProvider } from '../../attestation/types.ts';
import type { OperatorConfig } from '../config/operator-config.ts';
import type { Clock } from '../deps.ts';
import type { HealthRegistry } from '../metrics/health.ts';
import type { OperatorMetrics } from '../metrics/operator-metrics.ts';
import { storeBindings, type OperatorStores, type StoreBinding } from '../stores/operator-stores.ts';
import { STORE_LABELS } from '../stores/store-labels.ts';
import type { StoreSource } from '../stores/store-source.ts';
import { attestationProviderFor } from './attestation-provider-choice.ts';
import { AttestationClient } from './attestation-client.ts';
import { AttestedFetcher, attestationHeaders } from './attested-fetcher.ts';
import { CoreStoreSource, optOutMetadataUrl } from './core-store-source.ts';
import { EncryptedStoreSource } from './encrypted-store-source.ts';
import { createOperatorIdentity, type OperatorIdentity } from './operator-identity.ts';
import { OptOutSync } from './optout-sync.ts';
import { AttestationShutdownPolicy, defaultExit, type AttestOutcome, type ExitFn } from './shutdown-policy.ts';
import { StaleDataWatch } from './stale-data-watch.ts';
import { StoreLoadError, StoreRefresher, type RefreshOutcome } from './store-refresher.ts';
import { SyncMetrics } from './sync-metrics.ts';

export interface AttestedSyncDeps {
  readonly stores: OperatorStores;
  readonly health: HealthRegistry;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Process exit for the shutdown rules; default logs and calls `process.exit`. */
  readonly exit?: ExitFn;
  /** Replaces the provider chosen from `enclave_platform` (tests, simulators). */
  readonly provider?: AttestationProvider;
  /** Timer periods; upstream: renewal check 60 s, stale-data check 1 h. */
  readonly renewalCheckMs?: number;
  readonly staleCheckMs?: number;
}

export class AttestedSyncConfigError extends Error {
  readonly code = 'ERR_ATTESTED_SYNC_CONFIG';

  constructor(message: string) {
    super(message);
    this.name = 'AttestedSyncConfigError';
  }
}

interface Parts {
  readonly config: OperatorConfig;
  readonly deps: AttestedSyncDeps;
  readonly identity: OperatorIdentity;
  readonly attestation: AttestationClient;
  readonly source: CoreStoreSource;
  /** What the stores are read through: `source`, decrypting with `encrypted_files` (§12.3). */
  readonly reader: StoreSource;
  readonly bindings: StoreBinding[];
  readonly optOut: OptOutSync | undefined;
  readonly syncMetrics: SyncMetrics;
  readonly exit: ExitFn;
}

export class AttestedSync extends StoreRefresher {
  readonly attestation: AttestationClient;
  readonly source: CoreStoreSource;
  readonly optOut: OptOutSync | undefined;
  readonly identity: OperatorIdentity;
  private readonly lastSuccess = new Map<string, number>();
  private readonly watch: StaleDataWatch;
  private readonly syncMetrics: SyncMetrics;
  private readonly now: () => number;

  constructor(private readonly parts: Parts) {
    const { deps } = parts;
    super({ source: parts.reader, bindings: parts.bindings, now: () => deps.clock.now(), metrics: deps.metrics, health: deps.health, logger: deps.logger });
    this.attestation = parts.attestation;
    this.source = parts.source;
    this.optOut = parts.optOut;
    this.identity = parts.identity;
    this.syncMetrics = parts.syncMetrics;
    this.now = () => deps.clock.now();
    const hours = (h: number) => h * 3_600_000;
    this.watch = new StaleDataWatch({
      now: this.now,
      exit: parts.exit,
      logger: deps.logger,
      staleAfterMs: hours(parts.config.storeRefreshStaleShutdownHours),
      lastSuccess: () => this.lastSuccessTimes(),
    });
  }

  /** The attestation headers of a call to OptOut (the logout's opt-out write), attesting first when needed. */
  async optOutAttestationHeaders(): Promise<Record<string, string>> {
    return attestationHeaders(await this.attestation.ensureAttested(), 'optout');
  }

  /** Epoch ms of each store's last successful refresh, opt-out included. */
  lastSuccessTimes(): ReadonlyMap<string, number> {
    const times = new Map(this.lastSuccess);
    const optOutAt = this.optOut?.lastSuccessMs;
    if (optOutAt !== undefined) times.set('optout', optOutAt);
    return times;
  }

  /** Startup (§1.7): attest, load every store, first opt-out sync; any failure throws. */
  override async loadAll(): Promise<void> {
    await this.attestation.attest();
    await super.loadAll();
    if (this.optOut && (await this.optOut.syncOnce()) === 'failed') {
      throw new StoreLoadError('optout', 'initial opt-out sync failed');
    }
  }

  override async refresh(b: StoreBinding): Promise<RefreshOutcome> {
    const outcome = await super.refresh(b);
    if (outcome === 'loaded' || outcome === 'unchanged') {
      const at = this.now();
      this.lastSuccess.set(b.name, at);
      this.syncMetrics.lastRefreshSuccess.set({ store: STORE_LABELS[b.name] }, Math.floor(at / 1000));
    }
    return outcome;
  }

  override start(): void {
    super.start();
    this.attestation.startRenewal(this.parts.deps.renewalCheckMs);
    this.optOut?.start();
    this.watch.start(this.parts.deps.staleCheckMs);
  }

  override stop(): void {
    super.stop();
    this.attestation.stop();
    this.optOut?.stop();
    this.watch.stop();
  }

  /** One run of the hourly shutdown checks (exposed for tests). */
  checkStaleData(): string | undefined {
    return this.watch.check();
  }
}

/** Builds the attested-mode refresher from the config; throws when attested mode is misconfigured. */
export function createAttestedSync(config: OperatorConfig, deps: AttestedSyncDeps): AttestedSync {
  const attestUrl = config.coreAttestUrl;
  const operatorKey = config.coreApiToken;
  if (attestUrl === undefined) throw new AttestedSyncConfigError('"core_attest_url" is required in attested mode');
  if (operatorKey === undefined) throw new AttestedSyncConfigError('"core_api_token" (the operator key) is required in attested mode');
  const now = () => deps.clock.now();
  const exit = deps.exit ?? defaultExit(deps.logger);
  const identity = createOperatorIdentity(config.uidInstanceIdPrefix);
  const syncMetrics = new SyncMetrics(deps.metrics);
  const policy = new AttestationShutdownPolicy({ now, exit, logger: deps.logger });
  const attestation: AttestationClient = new AttestationClient({
    attestUrl,
    operatorKey,
    operatorType: config.operatorType,
    provider: deps.provider ?? attestationProviderFor(config.enclavePlatform, config.attestationEndpoints),
    identity,
    now,
    logger: deps.logger,
    onOutcome: (outcome: AttestOutcome) => {
      syncMetrics.recordAttestation(outcome, outcome === 'success' ? attestation.current()?.expiresAtMs : undefined);
      policy.handle(outcome);
    },
  });
  const fetcher = new AttestedFetcher({ attestation, operatorKey, identity, encryptedFiles: config.encryptedFiles });
  const optoutFallbackUrl = config.optoutApiUri;
  const source = new CoreStoreSource({ fetcher, paths: config.metadataPaths, coreAttestUrl: attestUrl, optoutFallbackUrl });
  const reader = config.encryptedFiles ? new EncryptedStoreSource(source, deps.stores.cloudKeys, () => syncMetrics.cloudDecryptions.inc()) : source;
  const optoutPath = config.metadataPaths.optout;
  const optOut =
    optoutPath === undefined
      ? undefined
      : new OptOutSync({
          fetcher,
          metadataUrl: (a) => optOutMetadataUrl(optoutPath, a, optoutFallbackUrl),
          ref: deps.stores.optout,
          intervalMs: config.refreshMs.optout,
          now,
          health: deps.health,
          metrics: deps.metrics,
          syncMetrics,
          logger: deps.logger,
        });
  // Opt-outs are synced incrementally by OptOutSync, not reloaded whole by the store refresher.
  const bindings = storeBindings(config, deps.stores).filter((b) => b.name !== 'optout');
  return new AttestedSync({ config, deps, identity, attestation, source, reader, bindings, optOut, syncMetrics, exit });
}

/** Creates the attested refresher and runs its startup load; the caller starts polling. */
export async function startAttestedSync(config: OperatorConfig, deps: AttestedSyncDeps): Promise<AttestedSync> {
  const sync = createAttestedSync(config, deps);
  await sync.loadAll();
  return sync;
}
