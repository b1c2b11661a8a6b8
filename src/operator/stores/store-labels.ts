/**
 * The `store` label value of each store in the metrics: the name upstream gives its rotating
 * store verticle (`OP:Main.java` `createAndDeployRotatingStoreVerticle("auth", ...)` and the
 * `CloudSyncVerticle` named "optout"; `OP:` = IABTechLab/uid2-operator `src/main/java/com/uid2/operator`),
 * so dashboards written for the Java operator select the same series.
 */
import type { StoreName } from './store-source.ts';

export const STORE_LABELS: Readonly<Record<StoreName, string>> = {
  clients: 'auth',
  keysets: 'keyset',
  keyset_keys: 'keysetkey',
  salts: 'salt',
  sites: 'site',
  client_side_keypairs: 'client_side_keypairs',
  services: 'service',
  service_links: 'service_link',
  cloud_encryption_keys: 'cloud_encryption_keys',
  runtime_config: 'runtime_config',
  optout: 'optout',
};
