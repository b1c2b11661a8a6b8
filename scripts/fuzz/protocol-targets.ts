/**
 * Fuzz targets that call the byte-format decoders of `src/protocol` directly. Contract
 * (docs/architecture.md): every decoder either returns or throws a `ProtocolError`.
 */
import { decodeAdvertisingToken } from '../../src/protocol/advertising-token.ts';
import { decodeBase64, decodeBase64Url, isBase64 } from '../../src/protocol/base64.ts';
import { parseClientKey } from '../../src/protocol/client-key.ts';
import { cstgSharedSecret, decryptCstgPayload, parseCstgPrivateKey, parseP256PublicKey } from '../../src/protocol/cstg.ts';
import { decodeRequestBody, encodeRequestEnvelope } from '../../src/protocol/envelope-v2.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { IdentityScope } from '../../src/protocol/identity-kinds.ts';
import { decodeOptOutRecord } from '../../src/protocol/optout-record.ts';
import { decodeRefreshEnvelope } from '../../src/protocol/refresh-envelope.ts';
import { decodeRefreshToken } from '../../src/protocol/refresh-token.ts';
import { parseSaltFile } from '../../src/protocol/salt-file.ts';
import { decodeTcfConsent } from '../../src/protocol/tcf-string.ts';
import { mutateBytes } from './byte-mutator.ts';
import { expectTyped, type FuzzTarget } from './fuzz-target.ts';
import { mutateJsonText } from './json-mutator.ts';
import type { Prng } from './prng.ts';
import { mutateText } from './text-mutator.ts';
import type { VectorCorpus } from './vector-corpus.ts';

const typed = [ProtocolError];

/** The official SDKs' TCF examples (CMP id 1), and one with a second segment. */
const TCF_SEEDS = ['CPhJRpMPhJRpMABAMBFRACBoALAAAEJAAIYgAKwAQAKgArABAAqAAA', 'CPehXK9PehXK9ABAMBFRACBoADAAAEJAAIYgAKwAQAKgArABAAqAAA', 'CPhJRpMPhJRpMABAMBFRACBoALAAAEJAAIYgAKwAQAKgArABAAqAAA.YAAAAAAAAAAA'];

/** A mutated base64 text of a seed: text-level edits, or byte edits re-encoded. */
function mutatedTokenText(prng: Prng, seed: string, other: string): string {
  if (prng.chance(0.5)) return mutateText(prng, seed, other);
  const bytes = mutateBytes(prng, Buffer.from(seed, seed.includes('-') || seed.includes('_') ? 'base64url' : 'base64'));
  return prng.chance(0.5) ? bytes.toString('base64') : bytes.toString('base64url');
}

export function protocolTargets(corpus: VectorCorpus, saltFileText: string): FuzzTarget[] {
  const envelopeSeeds = corpus.envelopes;
  const cstgKeys = corpus.cstg.map((c) => ({ seed: c, privateKey: parseCstgPrivateKey(c.serverPrivateKey) }));
  return [
    {
      name: 'envelope-v2/bytes',
      weight: 8,
      run(prng) {
        const seed = prng.pick(envelopeSeeds);
        const mutated = mutateBytes(prng, seed.bytes, prng.pick(envelopeSeeds).bytes);
        const binary = prng.chance(0.5);
        const body = binary ? mutated : Buffer.from(prng.chance(0.8) ? mutated.toString('base64') : mutateText(prng, mutated.toString('base64')), 'latin1');
        return expectTyped(() => decodeRequestBody(body, { binary, secret: seed.secret, nowMs: seed.nowMs, scope: IdentityScope.UID2 }), typed);
      },
    },
    {
      name: 'envelope-v2/payload',
      weight: 4,
      run(prng) {
        // A well-formed envelope around a mutated payload and a skewed timestamp.
        const seed = prng.pick(envelopeSeeds);
        const skew = prng.pick([0, 1, -1, 119_999, 120_000, -120_000, 2 ** 40, -(2 ** 52)]);
        const payload = mutateJsonText(prng, { email: 'user@example.com', optout_check: 1 });
        const env = encodeRequestEnvelope(seed.secret, { nowMs: seed.nowMs + skew, payload });
        return expectTyped(() => decodeRequestBody(env, { binary: true, secret: seed.secret, nowMs: seed.nowMs, scope: IdentityScope.EUID }), typed);
      },
    },
    {
      name: 'advertising-token',
      weight: 8,
      run(prng) {
        const seed = prng.pick(corpus.advertisingTokens);
        const text = mutatedTokenText(prng, seed.text, prng.pick(corpus.advertisingTokens).text);
        return expectTyped(() => decodeAdvertisingToken(text, seed.lookup), typed);
      },
    },
    {
      name: 'refresh-envelope',
      weight: 8,
      run(prng) {
        const seed = prng.pick(corpus.refreshEnvelopes);
        const text = mutatedTokenText(prng, seed.text, prng.pick(corpus.refreshEnvelopes).text);
        return expectTyped(() => {
          const env = decodeRefreshEnvelope(text, seed.lookup);
          decodeRefreshToken(env.refreshToken, seed.lookup);
        }, typed);
      },
    },
    {
      name: 'refresh-token',
      weight: 4,
      run(prng) {
        const seed = prng.pick(corpus.refreshEnvelopes);
        let inner: string;
        try {
          inner = decodeRefreshEnvelope(seed.text, seed.lookup).refreshToken;
        } catch {
          return 'seed refresh envelope does not decode';
        }
        return expectTyped(() => decodeRefreshToken(mutatedTokenText(prng, inner, inner), seed.lookup), typed);
      },
    },
    {
      name: 'cstg/payload',
      weight: 6,
      run(prng) {
        const { seed, privateKey } = prng.pick(cstgKeys);
        const field = prng.int(5);
        const payload = field === 0 ? mutatedTokenText(prng, seed.payloadB64, seed.payloadB64) : seed.payloadB64;
        const iv = field === 1 ? mutatedTokenText(prng, seed.ivB64, seed.ivB64) : seed.ivB64;
        const publicKey = field === 2 ? mutatedTokenText(prng, seed.clientPublicKeyB64, seed.clientPublicKeyB64) : seed.clientPublicKeyB64;
        const timestampMs = field === 3 ? prng.pick([0, -1, 2 ** 53, seed.timestampMs + 1, Number.NaN]) : seed.timestampMs;
        const appName = field === 4 ? mutateText(prng, seed.appName ?? 'com.uid2.devapp') : seed.appName;
        return expectTyped(() => {
          const secret = cstgSharedSecret(privateKey, publicKey);
          decryptCstgPayload(secret, { payload, iv, timestampMs, appName });
        }, typed);
      },
    },
    {
      name: 'cstg/public-key',
      weight: 2,
      run(prng) {
        const { seed } = prng.pick(cstgKeys);
        const text = prng.chance(0.5) ? mutatedTokenText(prng, seed.clientPublicKeyB64, seed.clientPublicKeyB64) : mutateBytes(prng, decodeBase64(seed.clientPublicKeyB64));
        return expectTyped(() => parseP256PublicKey(text), typed);
      },
    },
    {
      name: 'base64',
      weight: 2,
      run(prng) {
        const text = mutateText(prng, prng.pick(corpus.refreshEnvelopes).text.slice(0, 40));
        return expectTyped(() => {
          if (typeof isBase64(text) !== 'boolean') throw new TypeError('isBase64 returned a non-boolean');
          decodeBase64(text);
          decodeBase64Url(text);
        }, typed);
      },
    },
    {
      name: 'client-key',
      weight: 2,
      run(prng) {
        const text = mutateText(prng, 'UID2-C-L-999-fCXrMM.fsR3mDqAXELtWWMS+xG1s7RdgRTMqdOH2qaAo=');
        return expectTyped(() => parseClientKey(text), typed);
      },
    },
    {
      name: 'optout-record',
      weight: 2,
      run(prng) {
        const bytes = mutateBytes(prng, prng.pick(corpus.optOutRecords));
        const offset = prng.pick([0, 0, 0, 1, -1, 72, 0.5]);
        return expectTyped(() => decodeOptOutRecord(bytes, offset), typed);
      },
    },
    {
      name: 'tcf-string',
      weight: 2,
      run(prng) {
        const seed = prng.pick(TCF_SEEDS);
        const text = prng.chance(0.6) ? mutateText(prng, seed, prng.pick(TCF_SEEDS)) : mutateBytes(prng, Buffer.from(seed.split('.')[0], 'base64url')).toString('base64url');
        return expectTyped(() => decodeTcfConsent(text, prng.pick([21, 0, 1, 65535, 300])), typed);
      },
    },
    {
      name: 'salt-file',
      weight: 4,
      run(prng) {
        const lines = saltFileText.split('\n');
        const start = prng.int(lines.length);
        const excerpt = lines.slice(start, start + 1 + prng.int(4)).join('\n');
        const text = prng.chance(0.7) ? mutateText(prng, excerpt, saltFileText.slice(0, 200)) : mutateBytes(prng, Buffer.from(excerpt)).toString('latin1');
        return expectTyped(() => parseSaltFile(text, prng.chance(0.5) ? undefined : prng.int(6)), typed);
      },
    },
  ];
}
