import type { FastifyInstance } from 'fastify';
import type { OperatorDeps } from '../deps.ts';

export async function cstgRoutes(_app: FastifyInstance, _deps: OperatorDeps): Promise<void> {}
