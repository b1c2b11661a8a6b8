/**
 * Enclave identifier registration (spec attestation-azure.md §2.3, upstream
 * `EnclaveIdentifierProvider` + `AttestationService.handle`): the `enclaves` store is polled, the
 * new set is diffed against the previous one (two entries are equal when protocol and identifier
 * match) and each verifier is told which ids to register or unregister.
 */
import type { BlobStore } from '../storage/blob-store.ts';
import type { VerifierRegistry } from '../attestation/verifier-registry.ts';
import { readJsonStore } from './stores/store-reader.ts';

export interface EnclaveId {
  readonly protocol: string;
  readonly identifier: string;
}

export interface EnclaveDiff {
  readonly added: EnclaveId[];
  readonly removed: EnclaveId[];
}

function keyOf(e: EnclaveId): string {
  return JSON.stringify([e.protocol, e.identifier]);
}

/** Records `{name, protocol, identifier, created}`; malformed entries are skipped. */
export function parseEnclaveRecords(records: readonly unknown[]): EnclaveId[] {
  const out: EnclaveId[] = [];
  for (const r of records) {
    const o = r as { protocol?: unknown; identifier?: unknown } | null;
    if (o && typeof o.protocol === 'string' && typeof o.identifier === 'string' && o.identifier.length > 0) {
      out.push({ protocol: o.protocol, identifier: o.identifier });
    }
  }
  return out;
}

export function diffEnclaves(previous: readonly EnclaveId[], next: readonly EnclaveId[]): EnclaveDiff {
  const before = new Map(previous.map((e) => [keyOf(e), e]));
  const after = new Map(next.map((e) => [keyOf(e), e]));
  return {
    added: [...after].filter(([k]) => !before.has(k)).map(([, e]) => e),
    removed: [...before].filter(([k]) => !after.has(k)).map(([, e]) => e),
  };
}

export class EnclaveSync {
  private registered: EnclaveId[] = [];
  private version: number | undefined;

  constructor(
    private readonly blobs: BlobStore,
    private readonly verifiers: VerifierRegistry,
  ) {}

  get enclaves(): readonly EnclaveId[] {
    return this.registered;
  }

  /** Re-reads the store and applies the difference; returns it. */
  async refresh(): Promise<EnclaveDiff> {
    const snapshot = await readJsonStore(this.blobs, 'enclaves');
    if (snapshot.version !== undefined && snapshot.version === this.version) return { added: [], removed: [] };
    const next = parseEnclaveRecords(snapshot.records);
    const diff = diffEnclaves(this.registered, next);
    for (const e of diff.removed) this.verifiers.unregisterEnclave(e.protocol, e.identifier);
    for (const e of diff.added) {
      // A verifier may refuse a malformed id (e.g. an azure-sgx id that is not 64 hex): skip that
      // one entry, as upstream skips bad records, rather than blocking every later registration.
      try {
        this.verifiers.registerEnclave(e.protocol, e.identifier);
      } catch {
        continue;
      }
    }
    this.registered = next;
    this.version = snapshot.version;
    return diff;
  }
}
