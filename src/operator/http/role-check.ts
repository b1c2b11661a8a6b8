/**
 * Bearer authentication and role check (spec §2.1), run by the pipeline on the request head, so
 * that an unauthorized request is answered 401 before its body is read or decrypted.
 */
import { parseBearer, type ClientRecord } from '../../auth/index.ts';
import type { ClientSnapshot } from '../stores/client-store.ts';
import type { AuthRule } from './route.ts';

/**
 * The caller's client: `undefined` without one (optional auth, or none), `false` when the request
 * must be answered 401 `{"status":"unauthorized"}` (no key, unknown, disabled, or none of the roles).
 */
export function authenticate(clients: ClientSnapshot, rule: AuthRule, authorization: string | undefined): ClientRecord | undefined | false {
  if (rule === 'none') return undefined;
  const key = parseBearer(authorization);
  if (rule === 'optional') {
    const client = key === undefined ? undefined : clients.index.lookup(key);
    return client && !client.disabled ? client : undefined;
  }
  return clients.index.authorize(key, rule) ?? false;
}
