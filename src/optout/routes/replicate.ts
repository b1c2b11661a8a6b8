/**
 * `POST /optout/replicate` (role OPTOUT): appends one opt-out record and answers 200 with its
 * timestamp (epoch seconds, as upstream) only once the record is fsynced (`delta-log.ts`).
 */
import type { FastifyInstance } from 'fastify';
import type { KeyIndex, OperatorRecord } from '../../auth/index.ts';
import type { OptOutLog } from '../optout-log.ts';
import { requireOperatorRole } from '../operator-auth.ts';
import { isValidReplicateBody, parseReplicateQuery } from '../replicate-request.ts';

export interface ReplicateRouteDeps {
  readonly log: OptOutLog;
  readonly keys: () => KeyIndex<OperatorRecord>;
}

export async function replicateRoutes(app: FastifyInstance, deps: ReplicateRouteDeps): Promise<void> {
  app.post('/optout/replicate', { preHandler: requireOperatorRole(deps.keys, ['OPTOUT']) }, async (request, reply) => {
    const input = parseReplicateQuery(request.query);
    if (!input || !isValidReplicateBody(request.body)) {
      return reply.code(400).type('application/json').send({ status: 'client_error' });
    }
    const timestampS = await deps.log.add(input.identityHash, input.advertisingId);
    return reply.code(200).type('text/plain').send(String(timestampS));
  });
}
