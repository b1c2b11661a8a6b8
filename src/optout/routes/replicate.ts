/**
 * `POST /optout/replicate` (role OPTOUT, attested like every operator call): appends one opt-out
 * record and answers 200 with its timestamp (epoch seconds, as upstream) only once the record is
 * fsynced (`delta-log.ts`).
 */
import type { FastifyInstance } from 'fastify';
import type { KeyIndex, OperatorRecord } from '../../auth/index.ts';
import type { OptOutLog } from '../optout-log.ts';
import { attestedOperator, type OperatorAttestation } from '../operator-auth.ts';
import { ClientError } from '../optout-errors.ts';
import { isValidReplicateBody, parseReplicateQuery } from '../replicate-request.ts';

export interface ReplicateRouteDeps {
  readonly log: OptOutLog;
  readonly keys: () => KeyIndex<OperatorRecord>;
  readonly attestation: OperatorAttestation;
}

export async function replicateRoutes(app: FastifyInstance, deps: ReplicateRouteDeps): Promise<void> {
  app.post('/optout/replicate', { onRequest: attestedOperator(deps.keys, deps.attestation, ['OPTOUT']) }, async (request, reply) => {
    const input = parseReplicateQuery(request.query);
    if (!input || !isValidReplicateBody(request.body)) throw new ClientError();
    const timestampS = await deps.log.add(input.identityHash, input.advertisingId);
    return reply.code(200).type('text/plain').send(String(timestampS));
  });
}
