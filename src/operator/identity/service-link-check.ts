/**
 * Service links (spec §14, `OP:.../service/SecureLinkValidatorService.java`): an API key with a
 * `service_id` may map on behalf of a linked site only through an existing, enabled link that
 * grants the role. Keys without a service id are not affected.
 *
 * | key service_id | validate_service_links | link_id in request | result                          |
 * | 0              | any                    | any                | allowed                         |
 * | ≠ 0            | false                  | any                | rejected (misconfiguration)     |
 * | ≠ 0            | true                   | absent             | allowed                         |
 * | ≠ 0            | true                   | present            | link must exist, be enabled and |
 * |                |                        |                    | hold the role                   |
 */
import type { ClientRecord, Role } from '../../auth/index.ts';
import { Unauthorized } from '../errors.ts';
import type { ServiceLinkNames } from '../metrics/mapping-metrics.ts';
import type { StoreView } from '../stores/operator-stores.ts';
import { serviceLinkKey, type ServiceLinkSnapshot } from '../stores/service-store.ts';

export const INVALID_LINK_ID = 'Invalid link_id';

/** What the check reads: the `validate_service_links` switch and the request's service links. */
export interface ServiceLinkRules {
  readonly validate: boolean;
  readonly links: ServiceLinkSnapshot;
}

export function isServiceLinkAllowed(rules: ServiceLinkRules, client: ClientRecord, payload: Record<string, unknown>, role: Role): boolean {
  if (client.serviceId === 0) return true;
  if (!rules.validate) return false;
  if (!('link_id' in payload) || payload.link_id === null) return true;
  const linkId = payload.link_id;
  if (typeof linkId !== 'string') return false;
  const link = rules.links.byKey.get(serviceLinkKey(client.serviceId, linkId));
  return link !== undefined && !link.disabled && link.roles.has(role);
}

/** Throws the upstream 401 `{"status":"unauthorized","message":"Invalid link_id"}` when not allowed. */
export function checkServiceLink(rules: ServiceLinkRules, client: ClientRecord | undefined, payload: Record<string, unknown>, role: Role): void {
  if (client && !isServiceLinkAllowed(rules, client, payload, role)) throw new Unauthorized(INVALID_LINK_ID);
}

/** The service and link names of a request made through a service link (upstream metrics labels). */
export function serviceLinkNamesOf(view: StoreView, client: ClientRecord | undefined, payload: Record<string, unknown>): ServiceLinkNames | undefined {
  if (!client || client.serviceId === 0 || typeof payload.link_id !== 'string') return undefined;
  const link = view.serviceLinks.byKey.get(serviceLinkKey(client.serviceId, payload.link_id));
  if (link === undefined) return undefined;
  return { serviceName: view.services.byId.get(client.serviceId)?.name ?? '', linkName: link.name };
}
