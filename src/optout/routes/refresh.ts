/**
 * `GET /optout/refresh` (role OPERATOR or OPTOUT): the opt-out files as upstream's metadata
 * (operator-spec.md §12.2) `{version, generated, optout_logs:[{type, from, to, location}]}`,
 * each location a time-limited download link from the `BlobStore`. The delta in progress is
 * published first, so every opt-out acknowledged before this request is in the listing.
 * The caller's key and attestation are checked before anything else (`operator-auth.ts`).
 */
import type { FastifyInstance, FastifyBaseLogger } from 'fastify';
import type { KeyIndex, OperatorRecord } from '../../auth/index.ts';
import type { BlobStore } from '../../storage/blob-store.ts';
import type { OptOutLog } from '../optout-log.ts';
import { attestedOperator, type OperatorAttestation } from '../operator-auth.ts';

export interface RefreshRouteDeps {
  readonly log: OptOutLog;
  readonly store: BlobStore;
  readonly keys: () => KeyIndex<OperatorRecord>;
  readonly signedUrlTtlS: number;
  readonly attestation: OperatorAttestation;
  readonly now?: () => number;
}

async function publishQuietly(log: OptOutLog, logger: FastifyBaseLogger): Promise<void> {
  try {
    await log.publish();
  } catch (err) {
    // Serve the last published listing; the background publisher retries.
    logger.warn({ err: (err as Error).message }, 'publishing the open delta failed');
  }
}

export async function refreshRoutes(app: FastifyInstance, deps: RefreshRouteDeps): Promise<void> {
  const now = deps.now ?? Date.now;
  app.get('/optout/refresh', { onRequest: attestedOperator(deps.keys, deps.attestation, ['OPERATOR', 'OPTOUT']) }, async (request, reply) => {
    await publishQuietly(deps.log, request.log);
    const { version, entries } = deps.log.entries();
    const optoutLogs = await Promise.all(
      entries.map(async (e) => ({
        type: e.type,
        from: e.from,
        to: e.to,
        location: await deps.store.signedUrl(e.path, deps.signedUrlTtlS),
      })),
    );
    return reply
      .type('application/json')
      .send({ version, generated: Math.floor(now() / 1000), optout_logs: optoutLogs });
  });
}
