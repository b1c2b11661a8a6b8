/**
 * Identity map and opt-out status series under upstream's names and labels
 * (`OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`, `vertx/UIDOperatorVerticle.java`
 * `recordIdentityMapStats`, `recordIdentityMapStatsForServiceLinks`, `recordOptOutStatusEndpointStats`):
 *
 * | name                                                   | type    | labels |
 * | uid2_operator_identity_map_inputs                      | summary | api_contact |
 * | uid2_operator_identity_map_unmapped_total              | counter | api_contact, reason (invalid, optout) |
 * | uid2_operator_identity_map_unmapped_requests_total     | counter | api_contact |
 * | uid2_operator_identity_map_services_inputs             | summary | api_contact, service_name, service_link_name |
 * | uid2_operator_identity_map_services_unmapped_total     | counter | api_contact, reason, service_name, service_link_name |
 * | uid2_operator_optout_status_input_size                 | summary | api_contact |
 * | uid2_operator_optout_status_optout_size                | summary | api_contact |
 *
 * Upstream keys both opt-out status summaries by the API contact in one map, so its second
 * summary is never registered and the opted-out counts land in `input_size`; here each count goes
 * to its own summary (docs/operations.md).
 */
import type { Registry } from 'prom-client';
import type { BoundLabels } from './bound-labels.ts';
import { boundCounter, boundSummary } from './bound-series.ts';
import type { CounterSeries } from './buffered-counter.ts';
import type { SummarySeries } from './buffered-summary.ts';

/** The identifiers of one map request by outcome, and the raw UIDs it returned. */
export interface MapTally {
  inputs: number;
  invalid: number;
  optout: number;
  /** Salt-based v2 raw UIDs from the batch stages (current and previous). */
  v2RawUids: number;
  /** Items mapped one by one: key-based (v4) buckets, or v3 raw UIDs with `identity_v3`. */
  perItemMapped: number;
}

export function emptyTally(): MapTally {
  return { inputs: 0, invalid: 0, optout: 0, v2RawUids: 0, perItemMapped: 0 };
}

/** The service link a service key's request came through (`validate_service_links`). */
export interface ServiceLinkNames {
  readonly serviceName: string;
  readonly linkName: string;
}

export class MappingMetrics {
  private readonly inputs: BoundLabels<SummarySeries>;
  private readonly unmapped: BoundLabels<CounterSeries>;
  private readonly unmappedRequests: BoundLabels<CounterSeries>;
  private readonly serviceInputs: BoundLabels<SummarySeries>;
  private readonly serviceUnmapped: BoundLabels<CounterSeries>;
  private readonly statusInputs: BoundLabels<SummarySeries>;
  private readonly statusOptOuts: BoundLabels<SummarySeries>;

  constructor(registry: Registry) {
    this.inputs = boundSummary(registry, 'uid2_operator_identity_map_inputs', 'number of emails or email hashes passed to identity map batch endpoint', ['api_contact']);
    this.unmapped = boundCounter(registry, 'uid2_operator_identity_map_unmapped_total', 'invalid or opted-out identifiers', ['api_contact', 'reason']);
    this.unmappedRequests = boundCounter(registry, 'uid2_operator_identity_map_unmapped_requests_total', 'number of requests with unmapped identifiers', ['api_contact']);
    this.serviceInputs = boundSummary(
      registry,
      'uid2_operator_identity_map_services_inputs',
      'number of emails or phone numbers passed to identity map batch endpoint by services',
      ['api_contact', 'service_name', 'service_link_name'],
    );
    this.serviceUnmapped = boundCounter(
      registry,
      'uid2_operator_identity_map_services_unmapped_total',
      'number of invalid or opted-out identifiers passed to identity map batch endpoint by services',
      ['api_contact', 'reason', 'service_name', 'service_link_name'],
    );
    this.statusInputs = boundSummary(registry, 'uid2_operator_optout_status_input_size', 'number of UIDs received in request', ['api_contact']);
    this.statusOptOuts = boundSummary(registry, 'uid2_operator_optout_status_optout_size', 'number of UIDs that have opted out', ['api_contact']);
  }

  /** One answered map request (v2 or v3). */
  identityMap(apiContact: string, t: MapTally, link: ServiceLinkNames | undefined): void {
    this.inputs.get(apiContact).observe(t.inputs);
    // Upstream registers both reasons up front, so each reads 0 until counted.
    this.unmapped.get(apiContact, 'invalid').inc(t.invalid);
    this.unmapped.get(apiContact, 'optout').inc(t.optout);
    const requests = this.unmappedRequests.get(apiContact);
    requests.inc(t.invalid > 0 || t.optout > 0 ? 1 : 0);
    if (link === undefined) return;
    this.serviceInputs.get(apiContact, link.serviceName, link.linkName).observe(t.inputs);
    this.serviceUnmapped.get(apiContact, 'invalid', link.serviceName, link.linkName).inc(t.invalid);
    this.serviceUnmapped.get(apiContact, 'optout', link.serviceName, link.linkName).inc(t.optout);
  }

  optoutStatus(apiContact: string, inputs: number, optedOut: number): void {
    this.statusInputs.get(apiContact).observe(inputs);
    this.statusOptOuts.get(apiContact).observe(optedOut);
  }
}
