/**
 * Strict readers for the upstream store JSON (spec §8.1, §9, §11). A store file that does not
 * match fails its load with a message naming the record and field, never a value (some are secrets).
 */
export class StoreFormatError extends Error {
  readonly code = 'ERR_STORE_FORMAT';

  constructor(message: string) {
    super(message);
    this.name = 'StoreFormatError';
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function parseJsonText(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new StoreFormatError(`${what} is not valid JSON`);
  }
}

export function asObject(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StoreFormatError(`${what}: expected an object`);
  return value as JsonObject;
}

export function asRecords(value: unknown, what: string): JsonObject[] {
  if (!Array.isArray(value)) throw new StoreFormatError(`${what}: expected an array`);
  return value.map((r, i) => asObject(r, `${what}[${i}]`));
}

/** Field readers bound to one record, so messages say `keysets[3].keyset_id`. */
export function fields(o: JsonObject, where: string) {
  const bad = (k: string, want: string): never => {
    throw new StoreFormatError(`${where}.${k}: expected ${want}`);
  };
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
  return {
    int(k: string): number {
      const v = o[k];
      return isInt(v) ? v : bad(k, 'an integer');
    },
    optInt(k: string, fallback?: number): number | undefined {
      const v = o[k];
      if (v === undefined || v === null) return fallback;
      return isInt(v) ? v : bad(k, 'an integer');
    },
    str(k: string): string {
      const v = o[k];
      return typeof v === 'string' ? v : bad(k, 'a string');
    },
    optStr(k: string): string | undefined {
      const v = o[k];
      if (v === undefined || v === null) return undefined;
      return typeof v === 'string' ? v : bad(k, 'a string');
    },
    bool(k: string, fallback: boolean): boolean {
      const v = o[k];
      if (v === undefined || v === null) return fallback;
      return typeof v === 'boolean' ? v : bad(k, 'a boolean');
    },
    optIntArray(k: string): readonly number[] | null {
      const v = o[k];
      if (v === undefined || v === null) return null;
      return Array.isArray(v) && v.every(isInt) ? Object.freeze([...v]) : bad(k, 'an array of integers');
    },
    strArray(k: string): readonly string[] {
      const v = o[k];
      if (v === undefined || v === null) return Object.freeze([]);
      return Array.isArray(v) && v.every((x) => typeof x === 'string') ? Object.freeze([...v]) : bad(k, 'an array of strings');
    },
  };
}

export type RecordFields = ReturnType<typeof fields>;

/**
 * The records of a store file (a JSON array of objects), each parsed by `parseOne` with field
 * readers whose messages name it `<what>[i]` (also passed as `where`), and frozen.
 */
export function parseRecords<T>(json: unknown, what: string, parseOne: (f: RecordFields, o: JsonObject, where: string) => T): readonly Readonly<T>[] {
  return asRecords(json, what).map((o, i) => {
    const where = `${what}[${i}]`;
    return Object.freeze(parseOne(fields(o, where), o, where));
  });
}

/** Records keyed by `keyOf`; a later record with the same key replaces an earlier one, as upstream's maps do. */
export function indexBy<K, T>(records: readonly T[], keyOf: (record: T) => K): Map<K, T> {
  return new Map(records.map((r) => [keyOf(r), r] as const));
}

/** `version` of a store metadata document (reloads happen only when it increases). */
export function metadataVersion(meta: unknown, store: string): number {
  return fields(asObject(meta, `${store} metadata`), `${store} metadata`).int('version');
}

/** `meta[key].location` of a single-file store (spec §11 "Local mode"). */
export function metadataLocation(meta: unknown, key: string, store: string): string {
  const m = asObject(meta, `${store} metadata`);
  return fields(asObject(m[key], `${store} metadata.${key}`), `${store} metadata.${key}`).str('location');
}
