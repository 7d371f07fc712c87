// The SDK speaks PascalCase (`AppId`, `MFAMode`); the rest of the gateway speaks camelCase.
// Every member maps by lower-casing its first letter, except MFAMode, which would read `mFAMode`.

type CamelKey<K> = K extends 'MFAMode' ? 'mfaMode' : K extends string ? Uncapitalize<K> : K;

export type Camel<T> = T extends readonly (infer U)[]
  ? Camel<U>[]
  : T extends object
    ? { [K in keyof T as CamelKey<K>]: Camel<T[K]> }
    : T;

/** Camel, where an optional member may also be `null`, as GraphQL hands over absent inputs. */
export type CamelInput<T> = T extends readonly (infer U)[]
  ? CamelInput<U>[]
  : T extends object
    ? { [K in keyof T as CamelKey<K>]: CamelInput<T[K]> | (undefined extends T[K] ? null : never) }
    : T;

const camelKey = (key: string) => (key === 'MFAMode' ? 'mfaMode' : key[0].toLowerCase() + key.slice(1));
const pascalKey = (key: string) => (key === 'mfaMode' ? 'MFAMode' : key[0].toUpperCase() + key.slice(1));

function convert(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  // Object.keys, not entries: every upstream answer passes through here, and entries allocates
  // a pair per member.
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    // GraphQL hands over `null` for an omitted optional input; the SDK wants it absent.
    if (item === undefined || item === null || key === '$metadata') continue;
    out[rename(key)] = convert(item, rename);
  }
  return out;
}

export const fromSdk = <T>(value: T): Camel<T> => convert(value, camelKey) as Camel<T>;
export const toSdk = <T>(value: CamelInput<T>): T => convert(value, pascalKey) as T;
