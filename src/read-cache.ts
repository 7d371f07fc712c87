import type { AmplifyBackend, OperationInput, OperationName, OperationOutput } from './aws/client.js';

// Reads whose answer changes by itself (jobs run, tokens expire) are only shared while in flight.
const neverKept: ReadonlySet<OperationName> = new Set(['GetBackendJob', 'ListBackendJobs', 'GetToken']);

interface Entry {
  promise: Promise<unknown>;
  appId: string | undefined;
  /** Infinity while in flight. */
  expires: number;
}

/**
 * Upstream reads shared across requests of one gateway: identical reads in flight at the same
 * time go upstream once, and with `ttlMs` > 0 an answer is kept that long. Writes through the
 * gateway, and jobs its pollers see finish, forget what was kept of their app.
 */
export function createReadCache(aws: AmplifyBackend, options: { ttlMs: number; maxEntries?: number }) {
  const entries = new Map<string, Entry>();
  const maxEntries = options.maxEntries ?? 10_000;

  return {
    call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> {
      const key = `${operation} ${JSON.stringify(input)}`;
      const now = Date.now();
      const hit = entries.get(key);
      if (hit && hit.expires > now) return hit.promise as Promise<OperationOutput<K>>;
      const ttl = neverKept.has(operation) ? 0 : options.ttlMs;
      const promise = aws.call(operation, input);
      const entry: Entry = { promise, appId: (input as { appId?: string }).appId, expires: Infinity };
      entries.set(key, entry);
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      promise.then(
        () => {
          if (ttl > 0) entry.expires = Date.now() + ttl;
          else if (entries.get(key) === entry) entries.delete(key);
        },
        () => {
          if (entries.get(key) === entry) entries.delete(key);
        },
      );
      return promise;
    },
    forgetApp(appId: string) {
      for (const [key, entry] of entries) if (entry.appId === appId) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

export type ReadCache = ReturnType<typeof createReadCache>;
