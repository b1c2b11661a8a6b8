/** Stub: owned by the "routes B" engineer, who replaces it (spec §4). Registered inside the v2 envelope scope. */
import type { FastifyInstance } from 'fastify';
import type { OperatorDeps } from '../deps.ts';

export async function identityRoutes(_app: FastifyInstance, _deps: OperatorDeps): Promise<void> {}
