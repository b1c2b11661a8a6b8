/**
 * Can this container reach Core and OptOut? (spec attestation-azure.md §1.1 step 4: DNS-resolve
 * the host, then `GET` the base URL with a 5 s timeout; any HTTP answer counts.) Failure is E06,
 * whose usual cause is an egress firewall.
 */
import { lookup } from 'node:dns/promises';
import { BootstrapError } from './bootstrap-error.ts';

export interface ConnectivityOptions {
  timeoutMs?: number;
  /** Extra trust for test Core servers is not needed: only reachability is checked. */
  resolve?: (host: string) => Promise<unknown>;
}

export async function checkConnectivity(urls: string[], options: ConnectivityOptions = {}): Promise<void> {
  const resolve = options.resolve ?? ((host: string) => lookup(host));
  for (const url of urls) {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      throw new BootstrapError('E06', `cannot parse ${url}`);
    }
    try {
      await resolve(host.replace(/^\[|\]$/g, ''));
    } catch {
      throw new BootstrapError('E06', `cannot resolve ${host}; check DNS and the egress firewall`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      await response.arrayBuffer().catch(() => undefined);
    } catch {
      throw new BootstrapError('E06', `cannot reach ${url}; consider allowing it in the egress firewall`);
    }
  }
}
