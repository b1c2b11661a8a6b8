/**
 * How a service describes its config keys, once, as data (style.md §5: each value described
 * once, as jose does with its algorithm tables): the key's type and built-in default. Each
 * service has its own table (operator `src/operator/config/config-keys.ts`, Core, OptOut); the
 * layered loader (`config-layers.ts`) reads any of them.
 */
export type ConfigKind = 'string' | 'int' | 'bool';

export type ConfigValue = string | number | boolean | null;

export interface ConfigKeyDescriptor {
  readonly kind: ConfigKind;
  /** Built-in default; `null` = unset. */
  readonly default: ConfigValue;
}

export type ConfigKeyTable = Readonly<Record<string, ConfigKeyDescriptor>>;

/** The layered values of a table's keys (unset keys are `null`). */
export type RawConfigOf<T extends ConfigKeyTable> = Partial<Record<keyof T & string, ConfigValue>>;

export const stringKey = (d: string | null = null): ConfigKeyDescriptor => ({ kind: 'string', default: d });
export const intKey = (d: number | null = null): ConfigKeyDescriptor => ({ kind: 'int', default: d });
export const boolKey = (d: boolean | null): ConfigKeyDescriptor => ({ kind: 'bool', default: d });
