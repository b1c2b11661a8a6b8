/**
 * A P-256 test certificate authority for the SGX simulator: root CA -> intermediate CA -> PCK leaf,
 * shaped like Intel's PCK chain (spec §2.5, certification data type 5).
 *
 * Why not @peculiar/x509: it pulls in tsyringe, which demands a global reflect-metadata polyfill
 * that is not installed; node-forge's certificate API is RSA-only. So the X.509 structure
 * (RFC 5280 §4.1) is assembled with node-forge's generic ASN.1/DER encoder and signed with
 * node:crypto ECDSA, which keeps the simulator free of global side effects.
 */
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import forge from 'node-forge';

const { asn1 } = forge;
const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
};
/** keyUsage bits (RFC 5280 §4.2.1.3), first byte: digitalSignature = 0x80, keyCertSign = 0x04, cRLSign = 0x02. */
const KEY_USAGE_CA = 0x06;
const KEY_USAGE_LEAF = 0x80;

export interface TestCertificate {
  readonly pem: string;
  readonly der: Buffer;
  readonly privateKey: KeyObject;
  readonly subject: string;
}

export interface CertificateSpec {
  commonName: string;
  isCa: boolean;
  notBefore: Date;
  notAfter: Date;
  /** Issuer; absent = self-signed. */
  issuer?: TestCertificate;
}

const seq = (items: forge.asn1.Asn1[]) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
const oid = (id: string) => asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
const bytes = (b: Buffer) => b.toString('binary');

function integer(b: Buffer): forge.asn1.Asn1 {
  // DER INTEGERs are signed: keep serials positive by clearing the top bit.
  const positive = Buffer.from(b);
  positive[0] &= 0x7f;
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bytes(positive));
}

function bitString(b: Buffer): forge.asn1.Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, '\x00' + bytes(b));
}

function name(commonName: string): forge.asn1.Asn1 {
  const rdn = (type: string, value: string) =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, [
      seq([oid(type), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, forge.util.encodeUtf8(value))]),
    ]);
  return seq([rdn(OID.commonName, commonName), rdn(OID.organization, 'UID2 SGX Simulator')]);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): forge.asn1.Asn1 {
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

function extension(id: string, value: forge.asn1.Asn1): forge.asn1.Asn1 {
  const critical = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff');
  const octets = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes());
  return seq([oid(id), critical, octets]);
}

function extensions(isCa: boolean): forge.asn1.Asn1 {
  const basic = isCa ? seq([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BOOLEAN, false, '\xff')]) : seq([]);
  const usage = bitString(Buffer.from([isCa ? KEY_USAGE_CA : KEY_USAGE_LEAF]));
  return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [
    seq([extension(OID.basicConstraints, basic), extension(OID.keyUsage, usage)]),
  ]);
}

function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

export function generateP256KeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** Issues one certificate (self-signed when `spec.issuer` is absent) for a fresh P-256 key. */
export function issueCertificate(spec: CertificateSpec): TestCertificate {
  const { privateKey, publicKey } = generateP256KeyPair();
  const signer = spec.issuer?.privateKey ?? privateKey;
  const algorithm = seq([oid(OID.ecdsaWithSha256)]);
  const spki = asn1.fromDer(bytes(publicKey.export({ type: 'spki', format: 'der' })));
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [integer(Buffer.from([2]))]),
    integer(randomBytes(16)),
    algorithm,
    name(spec.issuer?.subject ?? spec.commonName),
    seq([time(spec.notBefore), time(spec.notAfter)]),
    name(spec.commonName),
    spki,
    extensions(spec.isCa),
  ]);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, signer);
  const cert = seq([tbs, seq([oid(OID.ecdsaWithSha256)]), bitString(signature)]);
  const der = Buffer.from(asn1.toDer(cert).getBytes(), 'binary');
  return { pem: toPem(der), der, privateKey, subject: spec.commonName };
}
