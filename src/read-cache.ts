import type { AmplifyBackend, OperationInput, OperationName, OperationOutput } from './aws/client.js';

// Reads whose answer changes by itself (jobs run, tokens expire) are only shared while in flight.
const neverKept: ReadonlySet<OperationName> = new Set(['GetBackendJob', 'ListBackendJobs', 'GetToken']);

interface Entry {
  promise: Promise<unknown>;
  appId: string | undefined;
  /** Infinity while in flight. */
  expires: number;
  /** While the call waits in the upstream queue: gives it another client's turn too. */
  alsoFor?: (client: string) => void;
}

export interface ReadCache {
  call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>>;
  forgetApp(appId: string): void;
  readonly size: number;
  /** The same cache, its calls made for `client` (asked when each call is made). */
  forClient(client: () => string): ReadCache;
}

/**
 * Upstream reads shared across requests of one gateway: identical reads in flight at the same
 * time go upstream once, and with `ttlMs` > 0 an answer is kept that long. Writes through the
 * gateway, and jobs its pollers see finish, forget what was kept of their app.
 *
 * A shared read takes the upstream queue turn of the client that asked first; a client that asks
 * for it while it still waits adds its own turn, so the read starts at whichever turn comes first
 * and no client waits behind another client's queue for an answer it asked for itself.
 */
export function createReadCache(aws: AmplifyBackend, options: { ttlMs: number; maxEntries?: number }): ReadCache {
  const entries = new Map<string, Entry>();
  const maxEntries = options.maxEntries ?? 10_000;

  function call<K extends OperationName>(operation: K, input: OperationInput<K>, client?: string): Promise<OperationOutput<K>> {
    const key = `${operation} ${JSON.stringify(input)}`;
    const now = Date.now();
    const hit = entries.get(key);
    if (hit && hit.expires > now) {
      if (client !== undefined) hit.alsoFor?.(client);
      return hit.promise as Promise<OperationOutput<K>>;
    }
    const ttl = neverKept.has(operation) ? 0 : options.ttlMs;
    const entry: Entry = { promise: Promise.resolve(), appId: (input as { appId?: string }).appId, expires: Infinity };
    const promise = aws.call(operation, input, { client, onWaiting: (alsoFor) => (entry.alsoFor = alsoFor) });
    entry.promise = promise;
    entries.set(key, entry);
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    promise.then(
      () => {
        entry.alsoFor = undefined;
        if (ttl > 0) entry.expires = Date.now() + ttl;
        else if (entries.get(key) === entry) entries.delete(key);
      },
      () => {
        entry.alsoFor = undefined;
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return promise;
  }

  function view(client?: () => string): ReadCache {
    return {
      call: <K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> =>
        call(operation, input, client?.()),
      forgetApp(appId: string) {
        for (const [key, entry] of entries) if (entry.appId === appId) entries.delete(key);
      },
      get size() {
        return entries.size;
      },
      forClient: (client: () => string) => view(client),
    };
  }

  return view();
}
