/**
 * `POST /attest` (spec attestation-azure.md §2.1, upstream `CoreVerticle.handleAttestAsync`):
 * bearer operator key → JSON body with `attestation_request` → the verifier of the key's
 * protocol → operator type → token (RSA PKCS#1 v1.5 to the operator's key), expiry and JWTs.
 */
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { attestationExpiryMs, type AttestationTokenCodec } from '../../attestation/attestation-token.ts';
import { signOperatorJwt } from '../../attestation/operator-jwt.ts';
import type { VerifierRegistry } from '../../attestation/verifier-registry.ts';
import { decodeBase64 } from '../../protocol/base64.ts';
import { operatorVersionOf } from '../app-version.ts';
import {
  AttestationRejected,
  AttestBadEncoding,
  AttestBodyNotJson,
  AttestInternalError,
  AttestRequestMissing,
  InvalidOperatorType,
  ProtocolNotFound,
  VerifierCrashed,
} from '../core-errors.ts';
import type { CoreConfig } from '../core-config.ts';
import type { OperatorDirectory } from '../operator-directory.ts';
import type { CoreSigningKey } from '../signing-key.ts';
import { callerOf, requireOperator } from './operator-auth.ts';

export interface AttestRouteDeps {
  readonly config: CoreConfig;
  readonly operators: OperatorDirectory;
  readonly verifiers: VerifierRegistry;
  readonly tokens: AttestationTokenCodec;
  readonly signingKey: CoreSigningKey;
  readonly now: () => number;
}

type Body = Record<string, unknown>;

function parseBody(raw: unknown): Body | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const json: unknown = JSON.parse(raw);
    return typeof json === 'object' && !Array.isArray(json) ? (json as Body | null) ?? {} : undefined;
  } catch {
    return undefined;
  }
}

export async function attestRoutes(app: FastifyInstance, deps: AttestRouteDeps): Promise<void> {
  // The body is parsed here, not by fastify, so a non-JSON body gets upstream's answer.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/attest', { onRequest: requireOperator(deps.operators, ['OPERATOR', 'OPTOUT_SERVICE']) }, async (request, reply) => {
    const { key, record } = callerOf(request);
    const body = parseBody(request.body);
    if (body === undefined) throw new AttestBodyNotJson();
    const attestationRequest = body.attestation_request;
    if (typeof attestationRequest !== 'string' || attestationRequest === '') throw new AttestRequestMissing();

    const verifier = deps.verifiers.get(record.protocol);
    if (!verifier) throw new ProtocolNotFound();

    let evidence: Buffer;
    let publicKey: Buffer;
    try {
      evidence = decodeBase64(attestationRequest);
      publicKey = decodeBase64(typeof body.public_key === 'string' ? body.public_key : '');
    } catch {
      throw new AttestBadEncoding();
    }

    let result;
    try {
      result = await verifier.verify(evidence, publicKey);
    } catch (err) {
      request.log.warn({ protocol: record.protocol, err: (err as Error)?.message }, 'attestation verifier failed');
      throw new VerifierCrashed();
    }
    if (!result.ok) {
      request.log.info({ protocol: record.protocol, failure: result.failure, site: record.siteId }, 'attestation rejected');
      throw new AttestationRejected(result.failure, result.detail);
    }

    if ('operator_type' in body) {
      const type = body.operator_type;
      if (typeof type !== 'string' || type.toUpperCase() !== record.operatorType) throw new InvalidOperatorType();
    }

    const nowMs = deps.now();
    const expiresAtMs = attestationExpiryMs(nowMs, deps.config.attTokenLifetimeSeconds);
    try {
      const token = deps.tokens.mint(key, expiresAtMs);
      const wrapped = publicEncrypt(
        { key: createPublicKey({ key: result.publicKey, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_PADDING },
        Buffer.from(token, 'utf8'),
      );
      const jwtInput = {
        keyHash: record.keyHash,
        name: record.name,
        roles: record.roles,
        siteId: record.siteId,
        enclaveId: result.enclaveId,
        enclaveType: record.protocol,
        operatorVersion: operatorVersionOf(request.headers['x-uid2-appversion'], record.contact),
        expiresAtMs,
        issuer: deps.config.corePublicUrl,
      };
      const [optoutJwt, coreJwt] = await Promise.all([
        signOperatorJwt(deps.signingKey, { ...jwtInput, audience: deps.config.optoutUrl }, nowMs),
        signOperatorJwt(deps.signingKey, { ...jwtInput, audience: deps.config.corePublicUrl }, nowMs),
      ]);
      request.log.info({ protocol: record.protocol, site: record.siteId, enclaveId: result.enclaveId }, 'attestation successful');
      return reply.send({
        status: 'success',
        body: {
          attestation_token: wrapped.toString('base64'),
          expiresAt: new Date(expiresAtMs).toISOString(),
          optout_url: deps.config.optoutUrl,
          attestation_jwt_optout: optoutJwt,
          attestation_jwt_core: coreJwt,
        },
      });
    } catch {
      // Typically a public key that is not an RSA SPKI: upstream answers the same 500.
      throw new AttestInternalError();
    }
  });
}
