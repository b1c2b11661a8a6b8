/** `GET /ops/healthcheck`: 200 `OK`, or 503 with the reasons (operator-spec.md §13.1 format). */
import type { FastifyInstance } from 'fastify';

export interface OpsRouteDeps {
  /** Unhealthy components as `"<component>: <reason>"`; empty when healthy. */
  readonly problems: () => string[];
}

export async function opsRoutes(app: FastifyInstance, deps: OpsRouteDeps): Promise<void> {
  app.get('/ops/healthcheck', async (_request, reply) => {
    const problems = deps.problems();
    if (problems.length === 0) return reply.type('text/plain').send('OK');
    return reply.code(503).type('text/plain').send(problems.join('\n'));
  });
}
