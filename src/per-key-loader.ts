import DataLoader from 'dataloader';
import type { OperationInput, OperationName, OperationOutput } from './aws/client.js';
import type { ReadCache } from './read-cache.js';

/** What loaders read through: the gateway's shared read cache, or anything that calls like it. */
export type Reads = Pick<ReadCache, 'call'>;

// Keys are joined with a separator no AmplifyBackend name can contain.
export const joinKey = (...parts: (string | number | undefined)[]) => parts.map((p) => p ?? '').join('\u0000');

/**
 * A loader of one upstream read per key. AmplifyBackend has no batch read: a batch runs its calls in
 * parallel, and a failed key fails only its own slot. `onLoad` sees each answer, to prime other
 * loaders with what it also says.
 */
export function perKey<K, O extends OperationName>(
  reads: Reads,
  operation: O,
  input: (key: K) => OperationInput<O>,
  cacheKeyFn: (key: K) => string,
  onLoad?: (key: K, output: OperationOutput<O>) => void,
) {
  return new DataLoader<K, OperationOutput<O>, string>(
    (keys) =>
      Promise.all(
        keys.map((key) =>
          reads.call(operation, input(key)).then(
            (output) => {
              onLoad?.(key, output);
              return output;
            },
            (error: Error) => error,
          ),
        ),
      ),
    { cacheKeyFn },
  );
}

/**
 * An object whose members are made on first use: a request, or a subscription event, pays only for
 * the loaders it reads through. Its getters sit on a prototype shared by every object of the same
 * members, so that making one costs an allocation, not a property definition per member (one
 * object is made for every request).
 */
export function lazily<M extends Record<string, () => unknown>>(makers: M): { readonly [K in keyof M]: ReturnType<M[K]> } {
  const made = Object.create(prototypeFor(Object.keys(makers))) as Record<PropertyKey, unknown>;
  made[makersOf] = makers;
  return made as { readonly [K in keyof M]: ReturnType<M[K]> };
}

const makersOf = Symbol('makers');
const prototypes = new Map<string, object>();

function prototypeFor(names: string[]): object {
  const key = names.join('\u0000');
  let prototype = prototypes.get(key);
  if (prototype) return prototype;
  prototype = {};
  for (const name of names) {
    Object.defineProperty(prototype, name, {
      get(this: Record<PropertyKey, unknown>) {
        const value = (this[makersOf] as Record<string, () => unknown>)[name]();
        Object.defineProperty(this, name, { value, enumerable: true });
        return value;
      },
    });
  }
  prototypes.set(key, prototype);
  return prototype;
}
