import type { AmplifyBackend, OperationInput, OperationName, OperationOutput } from './aws/client.js';

// Reads whose answer changes by itself (jobs run, tokens expire) are only shared while in flight.
const neverKept: ReadonlySet<OperationName> = new Set(['GetBackendJob', 'ListBackendJobs', 'GetToken']);

/**
 * A read whose key is longer than this goes upstream alone, neither shared nor kept: the inputs of
 * real reads are a few ids (well under 1 KB), so only an input nobody else asks for is this long.
 * What is kept is bounded by entries (`maxEntries`) and by characters (`maxChars`), the oldest
 * going first.
 */
export const maxKeyLength = 4096;

/** What kept answers may take together, counted as the characters of their keys and JSON. */
export const defaultMaxChars = 32 * 1024 * 1024;

interface Entry {
  promise: Promise<unknown>;
  /** Its key's and answer's characters, once answered and kept. */
  chars: number;
  appId: string | undefined;
  /** Infinity while in flight. */
  expires: number;
  /** While the call waits in the upstream queue: gives it another client's turn too. */
  alsoFor?: (client: string) => void;
}

export interface ReadCache {
  call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>>;
  /** Forgets on this instance only: read-invalidation.ts tells every instance. */
  forgetApp(appId: string): void;
  readonly size: number;
  /** The same cache, its calls made for `client` (asked when each call is made). */
  forClient(client: () => string): ReadCache;
}

/**
 * Upstream reads shared across requests of one gateway: identical reads in flight at the same
 * time go upstream once, and with `ttlMs` > 0 an answer is kept that long. Only answers are kept: a
 * call that fails is forgotten as it fails. What was kept of an app is forgotten when the app is
 * written to or one of its jobs is seen to finish (read-invalidation.ts, on every instance).
 *
 * A shared read takes the upstream queue turn of the client that asked first; a client that asks
 * for it while it still waits adds its own turn, so the read starts at whichever turn comes first
 * and no client waits behind another client's queue for an answer it asked for itself.
 *
 * Who may read what is checked before a call gets here (src/context.ts): the cache is shared by
 * every client, so an answer kept for one is served to another only through that check.
 */
export function createReadCache(
  aws: AmplifyBackend,
  options: {
    ttlMs: number;
    maxEntries?: number;
    /** @default defaultMaxChars (about 64 MB of strings) */
    maxChars?: number;
    /** What kept answers expire by. @default Date.now */
    now?: () => number;
  },
): ReadCache {
  // A Map, not an object: a key such as `__proto__` is a key like any other.
  const entries = new Map<string, Entry>();
  const maxEntries = options.maxEntries ?? 10_000;
  const maxChars = options.maxChars ?? defaultMaxChars;
  const now = options.now ?? Date.now;
  let chars = 0;

  function remove(key: string) {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    chars -= entry.chars;
  }

  /** Oldest first, until both bounds hold. */
  function evict() {
    while (entries.size > maxEntries || chars > maxChars) remove(entries.keys().next().value as string);
  }

  function call<K extends OperationName>(operation: K, input: OperationInput<K>, client?: string): Promise<OperationOutput<K>> {
    const key = `${operation} ${JSON.stringify(input)}`;
    if (key.length > maxKeyLength) return aws.call(operation, input, { client });
    const hit = entries.get(key);
    if (hit && hit.expires > now()) {
      if (client !== undefined) hit.alsoFor?.(client);
      return hit.promise as Promise<OperationOutput<K>>;
    }
    const ttl = neverKept.has(operation) ? 0 : options.ttlMs;
    const appId = (input as { appId?: unknown }).appId;
    const entry: Entry = { promise: Promise.resolve(), chars: 0, appId: typeof appId === 'string' ? appId : undefined, expires: Infinity };
    const promise = aws.call(operation, input, { client, onWaiting: (alsoFor) => (entry.alsoFor = alsoFor) });
    entry.promise = promise;
    remove(key);
    entries.set(key, entry);
    evict();
    promise.then(
      (output) => {
        entry.alsoFor = undefined;
        if (entries.get(key) !== entry) return;
        if (ttl <= 0) return remove(key);
        entry.expires = now() + ttl;
        entry.chars = key.length + (JSON.stringify(output)?.length ?? 0);
        chars += entry.chars;
        evict();
      },
      () => {
        entry.alsoFor = undefined;
        if (entries.get(key) === entry) remove(key);
      },
    );
    return promise;
  }

  function view(client?: () => string): ReadCache {
    return {
      call: <K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> =>
        call(operation, input, client?.()),
      forgetApp(appId: string) {
        for (const [key, entry] of entries) if (entry.appId === appId) remove(key);
      },
      get size() {
        return entries.size;
      },
      forClient: (client: () => string) => view(client),
    };
  }

  return view();
}
