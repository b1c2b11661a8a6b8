/**
 * Builds the SDK client for the API-calling CLI commands from the environment:
 * `UID2_BASE_URL` (e.g. http://127.0.0.1:8080), `UID2_API_KEY`, `UID2_SECRET_KEY` (base64).
 */
import { Uid2Client } from '../../client/uid2-client.ts';
import { CliUsageError } from './json-action.ts';

export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): Uid2Client {
  const baseUrl = env.UID2_BASE_URL;
  if (!baseUrl) throw new CliUsageError('UID2_BASE_URL is not set');
  return new Uid2Client({ baseUrl, apiKey: env.UID2_API_KEY ?? '', secretKey: env.UID2_SECRET_KEY ?? '' });
}
