/**
 * Self-signed RSA-2048 certificates for the simulators: the MAA simulator publishes one in
 * `/certs` as `x5c` (spec attestation-azure.md §6.2) and the Key Vault simulator serves HTTPS with
 * one (the Azure SDK speaks TLS to Key Vault). The key pair comes from node:crypto (fast); the
 * certificate is built and signed with node-forge (@peculiar/x509 needs a reflect polyfill that is
 * not installed).
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

export interface SelfSignedCertificate {
  /** PEM of the certificate (trust anchor for clients). */
  readonly certPem: string;
  /** DER of the certificate, the `x5c` entry. */
  readonly certDer: Buffer;
  /** PKCS#8 PEM of the private key (for `https.createServer`). */
  readonly keyPem: string;
  readonly privateKey: KeyObject;
}

export interface CertificateOptions {
  commonName: string;
  /** IP addresses for the subjectAltName (TLS hostname checks). */
  ips?: string[];
  dnsNames?: string[];
  validDays?: number;
}

/** IP = 7, DNS = 2 in forge's GeneralName encoding (RFC 5280 §4.2.1.6). */
function altNames(options: CertificateOptions): Array<{ type: number; ip?: string; value?: string }> {
  return [
    ...(options.ips ?? []).map((ip) => ({ type: 7, ip })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 2, value })),
  ];
}

export function createSelfSignedCertificate(options: CertificateOptions): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // A positive serial: clear the top bit of the first byte.
  cert.serialNumber = (randomBytes(8)[0] & 0x7f).toString(16).padStart(2, '0') + randomBytes(7).toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + (options.validDays ?? 30) * 86_400_000);
  const subject = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const names = altNames(options);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    ...(names.length > 0 ? [{ name: 'subjectAltName', altNames: names }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  const certDer = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  return { certPem: forge.pki.certificateToPem(cert), certDer, keyPem, privateKey };
}
