/**
 * Writes an operator-key store into a data directory the way the data-set generator does
 * (docs/architecture.md "Data sets"): DIR/stores/operators/{metadata.json, operators.json},
 * keys stored only as salted SHA-512 hashes. Returns the plaintext keys for the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { formatClientKey, hashClientKey } from '../../src/protocol/client-key.ts';

export interface TestOperatorKeys {
  /** Roles OPTOUT (may replicate) and OPERATOR. */
  optout: string;
  /** Role OPERATOR only (may refresh, may not replicate). */
  operator: string;
  /** OPTOUT role but disabled. */
  disabled: string;
}

function record(key: string, keyId: string, name: string, roles: string[], disabled: boolean, siteId: number) {
  const salt = randomBytes(32).toString('base64');
  return {
    key_hash: hashClientKey(salt, key),
    key_salt: salt,
    name,
    contact: `${name}@example.com`,
    protocol: 'trusted',
    site_id: siteId,
    roles,
    operator_type: 'PRIVATE',
    disabled,
    key_id: keyId,
    created: 1700000000,
  };
}

export async function writeOperatorStore(dataDir: string, version = 1): Promise<TestOperatorKeys> {
  const dir = join(dataDir, 'stores', 'operators');
  await mkdir(dir, { recursive: true });
  const make = (site: number) => formatClientKey('UID2', 'O', 'L', site, randomBytes(32));
  const optout = make(999);
  const operator = make(999);
  const disabled = make(998);
  const records = [
    record(optout.key, optout.keyId, 'optout-writer', ['OPTOUT', 'OPERATOR'], false, 999),
    record(operator.key, operator.keyId, 'plain-operator', ['OPERATOR'], false, 999),
    record(disabled.key, disabled.keyId, 'disabled', ['OPTOUT'], true, 998),
  ];
  await writeFile(join(dir, 'operators.json'), JSON.stringify(records));
  await writeFile(
    join(dir, 'metadata.json'),
    JSON.stringify({ version, generated: 1700000000, operators: { location: '/stores/operators/operators.json' } }),
  );
  return { optout: optout.key, operator: operator.key, disabled: disabled.key };
}
