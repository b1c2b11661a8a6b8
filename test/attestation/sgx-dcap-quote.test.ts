/** DCAP v3 quote layout: named offsets match spec §2.5 and encode/decode round-trip. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CERT_TYPE_PCK_CHAIN_PEM,
  INTEL_QE_VENDOR_ID,
  SIGNATURE_DATA_OFFSET,
  decodeDcapQuote,
  encodeDcapQuote,
  encodeQuoteSignedPart,
} from '../../src/attestation/sgx/dcap-quote.ts';
import { REPORT_BODY_LAYOUT, decodeReportBody, encodeReportBody, isDebugEnclave } from '../../src/attestation/sgx/sgx-report-body.ts';

const mrEnclave = Buffer.alloc(32, 0xa1);
const mrSigner = Buffer.alloc(32, 0xb2);
const reportData = Buffer.alloc(64, 0xc3);

function sample(authData = Buffer.from('auth'), certificationData = Buffer.from('-----BEGIN CERTIFICATE-----')): Buffer {
  const body = encodeReportBody({ mrEnclave, mrSigner, isvProdId: 770, isvSvn: 2, reportData });
  return encodeDcapQuote(encodeQuoteSignedPart({ qeSvn: 5, pceSvn: 11 }, body), {
    quoteSignature: Buffer.alloc(64, 1),
    attestationKey: Buffer.alloc(64, 2),
    qeReportBody: encodeReportBody({ isvProdId: 1 }),
    qeReportSignature: Buffer.alloc(64, 3),
    authData,
    certificationDataType: CERT_TYPE_PCK_CHAIN_PEM,
    certificationData,
  });
}

test('ISV report fields sit at the absolute offsets of spec §2.5', () => {
  const quote = sample();
  assert.equal(quote.readUInt16LE(0), 3);
  assert.equal(quote.readUInt16LE(2), 2);
  assert.deepEqual(quote.subarray(12, 28), INTEL_QE_VENDOR_ID);
  assert.deepEqual(quote.subarray(112, 144), mrEnclave);
  assert.deepEqual(quote.subarray(176, 208), mrSigner);
  assert.equal(quote.readUInt16LE(304), 770);
  assert.equal(quote.readUInt16LE(306), 2);
  assert.deepEqual(quote.subarray(368, 432), reportData);
  assert.equal(quote.readUInt32LE(432), quote.length - 436);
  assert.equal(SIGNATURE_DATA_OFFSET, 436);
  assert.equal(REPORT_BODY_LAYOUT.attributesFlags[0] + 48, 96);
});

test('decode returns what encode wrote', () => {
  const q = decodeDcapQuote(sample());
  assert.equal(q.qeSvn, 5);
  assert.equal(q.pceSvn, 11);
  assert.deepEqual(q.reportBody.mrEnclave, mrEnclave);
  assert.deepEqual(q.reportBody.reportData, reportData);
  assert.equal(q.reportBody.isvProdId, 770);
  assert.deepEqual(q.quoteSignature, Buffer.alloc(64, 1));
  assert.deepEqual(q.attestationKey, Buffer.alloc(64, 2));
  assert.equal(q.qeReport.isvProdId, 1);
  assert.deepEqual(q.qeReportSignature, Buffer.alloc(64, 3));
  assert.deepEqual(q.authData, Buffer.from('auth'));
  assert.equal(q.certificationDataType, 5);
  assert.deepEqual(q.certificationData, Buffer.from('-----BEGIN CERTIFICATE-----'));
  assert.equal(q.signedPart.length, 432);
});

test('the DEBUG attribute is flags bit 1', () => {
  assert.equal(isDebugEnclave(decodeReportBody(encodeReportBody({ attributesFlags: 0x7n }))), true);
  assert.equal(isDebugEnclave(decodeReportBody(encodeReportBody({ attributesFlags: 0x5n }))), false);
});

test('inconsistent lengths are rejected', () => {
  const quote = sample();
  const wrongLen = Buffer.from(quote);
  wrongLen.writeUInt32LE(quote.length, 432);
  assert.throws(() => decodeDcapQuote(wrongLen), /signature_data_len/);
  const authOverrun = Buffer.from(quote);
  authOverrun.writeUInt16LE(0xffff, 436 + 576);
  assert.throws(() => decodeDcapQuote(authOverrun), /auth data/);
  assert.throws(() => decodeDcapQuote(quote.subarray(0, 500)), /too short/);
  const keyType = Buffer.from(quote);
  keyType.writeUInt16LE(3, 2);
  assert.throws(() => decodeDcapQuote(keyType), /key type/);
});
