/**
 * Seed inputs taken from the shared test vectors (never copied into the repo): real tokens,
 * refresh envelopes, v2 envelopes and CSTG requests with the keys that open them, so mutations
 * start from inputs that pass every check and reach deep into each decoder.
 */
import { loadVectors } from '../../test/support/shared.ts';
import type { Key, KeyLookup } from '../../src/protocol/token-fields.ts';

export interface TokenSeed {
  readonly text: string;
  readonly lookup: KeyLookup;
}

export interface EnvelopeSeed {
  readonly bytes: Buffer;
  readonly secret: Buffer;
  readonly nowMs: number;
}

export interface CstgSeed {
  readonly serverPrivateKey: string;
  readonly clientPublicKeyB64: string;
  readonly sharedSecret: Buffer;
  readonly payloadB64: string;
  readonly ivB64: string;
  readonly timestampMs: number;
  readonly appName: string | undefined;
}

export interface VectorCorpus {
  readonly advertisingTokens: readonly TokenSeed[];
  readonly refreshEnvelopes: readonly TokenSeed[];
  readonly envelopes: readonly EnvelopeSeed[];
  readonly cstg: readonly CstgSeed[];
  readonly optOutRecords: readonly Buffer[];
}

function lookupOf(keys: Record<string, { secret_b64: string }>): KeyLookup {
  const map = new Map<number, Key>();
  for (const [id, k] of Object.entries(keys)) map.set(Number(id), { id: Number(id), secret: Buffer.from(k.secret_b64, 'base64') });
  return (id) => map.get(id);
}

export function loadVectorCorpus(): VectorCorpus {
  const v = loadVectors();
  return {
    advertisingTokens: v.advertising_tokens.map((t: any) => ({ text: t.token, lookup: lookupOf(t.keys) })),
    refreshEnvelopes: v.refresh_tokens.map((t: any) => ({ text: t.refresh_token, lookup: lookupOf(t.keys) })),
    envelopes: v.v2_request_envelopes.map((e: any) => ({
      bytes: Buffer.from(e.envelope_b64, 'base64'),
      secret: Buffer.from(e.client_secret, 'base64'),
      nowMs: e.now_ms_for_freshness ?? e.timestamp_ms,
    })),
    cstg: v.cstg.filter((c: any) => c.server_private_key && c.payload_b64).map((c: any) => ({
      serverPrivateKey: c.server_private_key,
      clientPublicKeyB64: c.client_public_key_spki_b64,
      sharedSecret: Buffer.from(c.shared_secret_b64, 'base64'),
      payloadB64: c.payload_b64,
      ivB64: c.iv_b64,
      timestampMs: c.timestamp_ms,
      appName: c.app_name ?? undefined,
    })),
    optOutRecords: v.optout_entries.map((o: any) => Buffer.from(o.record_hex, 'hex')),
  };
}
