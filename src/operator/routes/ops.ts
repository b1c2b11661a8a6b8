/** `GET /ops/healthcheck` (spec §13.1): 200 `OK`, or 503 with one "<component>: <reason>" line per unhealthy component. */
import type { FastifyInstance } from 'fastify';
import type { OperatorDeps } from '../deps.ts';

export async function opsRoutes(app: FastifyInstance, deps: OperatorDeps): Promise<void> {
  app.get('/ops/healthcheck', async (_request, reply) => {
    if (deps.health.isHealthy()) return reply.type('text/plain').send('OK');
    return reply.code(503).type('text/plain').send(deps.health.unhealthyLines().join('\n'));
  });
}
