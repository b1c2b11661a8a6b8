/**
 * Builds the operator's HTTP app (fastify): wiring only. Order: raw bodies, CORS, errors,
 * metrics/logging, then route plugins. v2-envelope routes are registered inside one
 * encapsulated scope; config switches decide whether a plugin is registered at all (style.md §5).
 * The hot routes (generate, refresh, the key routes) are registered on fastify too and, on the
 * app's own server, answered by the fast front first (http/fast-front.ts, issue 6).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { OperatorDeps, RoutePlugin } from './deps.ts';
import { ClientVersionMetrics, installClientVersionMetrics } from './http/client-version.ts';
import { createReplayChecker, type ReplayChecker } from './http/cluster-replay-guard.ts';
import { installCors } from './http/cors.ts';
import { installErrorHandling } from './http/error-handler.ts';
import { createFastFront, fastFrontServerFactory } from './http/fast-front.ts';
import { registerHotRoute, type HotRoute } from './http/hot-route.ts';
import { MAX_REQUEST_BODY_SIZE, installRawBodyParser } from './http/raw-body.ts';
import { installResponseObserver } from './http/response-observer.ts';
import { installV2Envelope } from './http/v2-envelope.ts';
import './http/request-context.ts';
import { cstgRoutes } from './routes/cstg.ts';
import { identityRoutes } from './routes/identity.ts';
import { keyRoutes } from './routes/keys.ts';
import { opsRoutes } from './routes/ops.ts';
import { optoutStatusRoutes } from './routes/optout-status.ts';
import { refreshRoute } from './routes/token-refresh.ts';
import { generateRoute, tokenRoutes } from './routes/token.ts';

/** Route plugins behind the v2 envelope (spec §4 route table). */
export function v2RoutePlugins(deps: OperatorDeps): RoutePlugin[] {
  const plugins: RoutePlugin[] = [tokenRoutes, identityRoutes];
  if (deps.config.optoutStatusApiEnabled) plugins.push(optoutStatusRoutes);
  return plugins;
}

/** Route plugins with their own request/response format. */
export function plainRoutePlugins(deps: OperatorDeps): RoutePlugin[] {
  const plugins: RoutePlugin[] = [opsRoutes];
  if (deps.config.clientSideTokenGenerate) plugins.push(cstgRoutes);
  return plugins;
}

/** The routes served by one transport-free function each (http/hot-route.ts). */
export function hotRoutes(deps: OperatorDeps, replayGuard: ReplayChecker): HotRoute[] {
  return [generateRoute(deps, replayGuard), refreshRoute(deps), ...keyRoutes(deps, replayGuard)];
}

export async function buildOperatorApp(deps: OperatorDeps): Promise<FastifyInstance> {
  // One replay guard for every v2 route, whichever transport carries it (issue 7).
  const replayGuard = createReplayChecker(() => deps.clock.now());
  const clientVersions = new ClientVersionMetrics(deps.metrics.registry);
  const hot = hotRoutes(deps, replayGuard);
  let closing = false;
  const front = createFastFront({ deps, routes: hot, clientVersions, closing: () => closing });
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_REQUEST_BODY_SIZE,
    trustProxy: true, // upstream honours X-Forwarded-* (spec §1)
    return503OnClosing: true,
    forceCloseConnections: true,
    serverFactory: fastFrontServerFactory(front),
  });
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.decorateRequest('client', undefined);
  app.decorateRequest('v2', undefined);
  app.decorateRequest('errorInfo', undefined);
  app.decorateRequest('siteId', undefined);
  installRawBodyParser(app);
  installCors(app);
  installErrorHandling(app, deps.logger);
  installResponseObserver(app, deps.metrics, deps.logger);
  installClientVersionMetrics(app, clientVersions);
  for (const route of hot) registerHotRoute(app, deps, route);
  for (const plugin of plainRoutePlugins(deps)) await app.register(plugin, deps);
  await app.register(async (v2) => {
    installV2Envelope(v2, deps, replayGuard);
    for (const plugin of v2RoutePlugins(deps)) await v2.register(plugin, deps);
  });
  return app;
}
