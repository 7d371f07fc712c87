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
 * the loaders it reads through.
 */
export function lazily<M extends Record<string, () => unknown>>(makers: M): { readonly [K in keyof M]: ReturnType<M[K]> } {
  const made = {} as { [K in keyof M]: ReturnType<M[K]> };
  for (const name of Object.keys(makers) as (keyof M)[]) {
    Object.defineProperty(made, name, {
      enumerable: true,
      get() {
        const value = makers[name]() as ReturnType<M[typeof name]>;
        Object.defineProperty(made, name, { value, enumerable: true });
        return value;
      },
      configurable: true,
    });
  }
  return made;
}
