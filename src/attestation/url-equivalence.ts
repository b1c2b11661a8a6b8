/**
 * Same scheme, host (case-insensitive) and port, ignoring path and query
 * (uid2-shared `UrlEquivalenceValidator`, spec attestation-azure.md §2.2 step 4). An unparsable URL
 * is never equivalent. WHATWG URL drops a default port (`https://a:443` == `https://a`), where
 * Java's `URL.getPort()` would see 443 vs -1; treating them as equal is deliberate.
 */
export function areUrlsEquivalent(first: string, second: string): boolean {
  let a: URL;
  let b: URL;
  try {
    a = new URL(first);
    b = new URL(second);
  } catch {
    return false;
  }
  return a.protocol === b.protocol && a.hostname.toLowerCase() === b.hostname.toLowerCase() && a.port === b.port;
}
