/** API clients (`clients.json`, spec §2.2) indexed for the salted key lookup of spec §2.1. */
import { KeyIndex, parseClientRecords, AuthRecordError, type ClientRecord } from '../../auth/index.ts';
import { jsonFileStore, type Versioned } from './store-definition.ts';
import { StoreFormatError } from './store-json.ts';

export interface ClientSnapshot extends Versioned {
  readonly index: KeyIndex<ClientRecord>;
}

export function buildClientSnapshot(json: unknown, version: number): ClientSnapshot {
  let records: ClientRecord[];
  try {
    records = parseClientRecords(json);
  } catch (err) {
    if (err instanceof AuthRecordError) throw new StoreFormatError(`clients: ${err.message}`);
    throw err;
  }
  return Object.freeze({ version, entryCount: records.length, index: new KeyIndex(records) });
}

export const clientStore = jsonFileStore('clients', 'client_keys', buildClientSnapshot);
