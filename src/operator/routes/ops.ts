/** `GET /ops/healthcheck` (spec §13.1): 200 `OK`, or 503 with one "<component>: <reason>" line per unhealthy component. */
import type { Answer } from '../http/answer.ts';
import { defineRoute, noBody, type RouteInput, type RouteSpec } from '../http/route.ts';

function healthcheck({ deps }: RouteInput<undefined>): Answer {
  if (deps.health.isHealthy()) return { statusCode: 200, contentType: 'text/plain', body: 'OK' };
  return { statusCode: 503, contentType: 'text/plain', body: deps.health.unhealthyLines().join('\n') };
}

export function opsRoutes(): RouteSpec[] {
  return [defineRoute({ method: 'GET', path: '/ops/healthcheck', auth: 'none', body: noBody, handle: healthcheck })];
}
