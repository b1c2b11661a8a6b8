/**
 * PCK certificate chain checks for certification data type 5 (spec §2.5): a concatenation of
 * PEM certificates, leaf first — PCK cert, then the PCK Platform/Processor CA, then (usually) the
 * Intel SGX Root CA. The chain must end at one of the configured trusted roots.
 *
 * Out of scope, as spec §6.2 says: Intel PCS collateral (TCB info, QE identity, PCK CRLs). A
 * revoked PCK therefore still passes here; production deployments that need revocation must
 * add that collateral (documented in docs/deployment-guide.md).
 */
import { X509Certificate } from 'node:crypto';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** Real chains hold 3 certificates; a few more is tolerated, a flood is not. */
const MAX_CHAIN_LENGTH = 5;

export type PckChainResult = { ok: true; leaf: X509Certificate } | { ok: false; detail: string };

/** Parses every PEM certificate in `text`; throws on a block that is not a certificate. */
export function parsePemCertificates(text: string): X509Certificate[] {
  return (text.match(PEM_BLOCK) ?? []).map((pem) => new X509Certificate(pem));
}

function isValidAt(cert: X509Certificate, nowMs: number): boolean {
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return Number.isFinite(from) && Number.isFinite(to) && from <= nowMs && nowMs <= to;
}

function isIssuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}

function isP256(cert: X509Certificate): boolean {
  const key = cert.publicKey;
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/**
 * Verifies `chainPem` up to one of `trustedRoots` at time `nowMs`: each certificate is issued and
 * signed by the next, every certificate above the leaf is a CA, every certificate (and the root
 * used) is within its validity dates, and the leaf carries a P-256 key.
 */
export function verifyPckChain(chainPem: Buffer, trustedRoots: readonly X509Certificate[], nowMs: number): PckChainResult {
  // Issue 7 (fuzzing): X509Certificate parses lazily, so a corrupted SPKI or signature throws from
  // `publicKey`/`verify` later; a verifier returns failures, it never throws.
  try {
    return checkPckChain(chainPem, trustedRoots, nowMs);
  } catch {
    return { ok: false, detail: 'malformed certificate in PCK chain' };
  }
}

function checkPckChain(chainPem: Buffer, trustedRoots: readonly X509Certificate[], nowMs: number): PckChainResult {
  let chain: X509Certificate[];
  try {
    chain = parsePemCertificates(chainPem.toString('latin1'));
  } catch {
    return { ok: false, detail: 'unparseable certificate in PCK chain' };
  }
  if (chain.length === 0) return { ok: false, detail: 'no certificate in PCK chain' };
  if (chain.length > MAX_CHAIN_LENGTH) return { ok: false, detail: 'PCK chain too long' };

  const leaf = chain[0];
  if (!isP256(leaf)) return { ok: false, detail: 'PCK certificate key is not P-256' };
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i + 1].ca) return { ok: false, detail: `PCK chain certificate ${i + 1} is not a CA` };
    if (!isIssuedBy(chain[i], chain[i + 1])) return { ok: false, detail: `PCK chain signature ${i} does not verify` };
  }

  const top = chain[chain.length - 1];
  const root = trustedRoots.find((r) => r.fingerprint256 === top.fingerprint256) ?? trustedRoots.find((r) => isIssuedBy(top, r));
  if (!root) return { ok: false, detail: 'PCK chain does not end at a trusted root' };

  const all = root.fingerprint256 === top.fingerprint256 ? chain : [...chain, root];
  if (!all.every((c) => isValidAt(c, nowMs))) return { ok: false, detail: 'PCK chain certificate outside its validity period' };
  return { ok: true, leaf };
}
