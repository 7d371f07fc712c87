import type { AmplifyBackend, CallOptions, OperationInput, OperationName, OperationOutput } from './aws/client.js';
import type { AmplifyConsole } from './aws/console.js';
import { UpstreamError } from './aws/errors.js';
import type { ReadCache } from './read-cache.js';

/**
 * One (account, region) the gateway reaches: its own SDK clients, queue, circuit breaker and read
 * cache, so one region's outage or throttling stays its own.
 */
export interface UpstreamSource {
  /** `account/region`. */
  key: string;
  account: string;
  region: string;
  aws: AmplifyBackend;
  console: AmplifyConsole;
  reads: ReadCache;
  /** 'ok', or why the source cannot be reached. */
  check: () => Promise<string>;
  destroy(): void;
}

/** App ids remembered with their source; an app id is at most 255 characters, so this bounds the memory. */
export const MAX_REMEMBERED_APPS = 50_000;

// GetBackend of the app alone is both how an app is found and the most common read of it.
const isAppLookup = (operation: OperationName, input: object) =>
  operation === 'GetBackend' && Object.keys(input).every((k) => k === 'appId' || (input as Record<string, unknown>)[k] === undefined);

type Found = { source: UpstreamSource; output?: OperationOutput<'GetBackend'>; notFound?: UpstreamError };

/**
 * Routes every call naming an app to the source that has it: remembered once found (by ListApps,
 * or by GetBackend asked of each source in turn, the default first), at most MAX_REMEMBERED_APPS,
 * the least recently used forgotten first. A call naming no app (ListS3Buckets) goes to the
 * default source, as does a write for an app no source knows (CreateBackend of a new app).
 */
export function createUpstreamRouter(
  sources: readonly UpstreamSource[],
  options: { maxRemembered?: number; onForgetApp?: (appId: string) => void } = {},
) {
  if (sources.length === 0) throw new Error('no upstream source');
  const home = sources[0];
  const { remember, known, forget, size } = recentlyUsed<UpstreamSource>(options.maxRemembered ?? MAX_REMEMBERED_APPS);
  const finding = new Map<string, Promise<Found>>();

  async function discover(appId: string, client: string | undefined): Promise<Found> {
    let failure: unknown;
    let notFound: UpstreamError | undefined;
    for (const source of sources) {
      try {
        const reads = client === undefined ? source.reads : source.reads.forClient(() => client);
        const output = await reads.call('GetBackend', { appId });
        remember(appId, source);
        return { source, output };
      } catch (error) {
        if (error instanceof UpstreamError && error.code === 'NOT_FOUND') notFound ??= error;
        // A refused id (not a path segment) is refused the same by every source.
        else if (error instanceof UpstreamError && error.code === 'BAD_USER_INPUT') throw error;
        else failure ??= error;
      }
    }
    // Where a source could not answer, the app may be there: no write may go elsewhere.
    if (failure !== undefined) throw failure;
    return { source: home, notFound };
  }

  function find(appId: string, client: string | undefined): Promise<Found> {
    let pending = finding.get(appId);
    if (!pending) {
      pending = discover(appId, client).finally(() => finding.delete(appId));
      finding.set(appId, pending);
    }
    return pending;
  }

  /** The source of `appId`, or the default for a call that names no app. */
  async function locate(appId: string | undefined, client?: string): Promise<UpstreamSource> {
    if (sources.length === 1 || appId === undefined) return home;
    return known(appId) ?? (await find(appId, client)).source;
  }

  /** Runs `call` on the app's source; an app found by the call itself answers a GetBackend of it. */
  async function routed<K extends OperationName>(
    operation: K,
    input: OperationInput<K>,
    client: string | undefined,
    call: (source: UpstreamSource) => Promise<OperationOutput<K>>,
  ): Promise<OperationOutput<K>> {
    const appId = (input as { appId?: unknown } | undefined)?.appId;
    if (sources.length === 1 || typeof appId !== 'string') return call(home);
    const fields: object = input ?? {};
    const hit = known(appId);
    if (hit) return settle(appId, hit, operation, fields, call(hit));
    const found = await find(appId, client);
    if (isAppLookup(operation, fields)) {
      if (found.output) return found.output as OperationOutput<K>;
      if (found.notFound) throw found.notFound;
    }
    return settle(appId, found.source, operation, fields, call(found.source));
  }

  // An app that is gone from where it was is looked for again next time.
  async function settle<T>(appId: string, source: UpstreamSource, operation: OperationName, input: object, result: Promise<T>) {
    try {
      const output = await result;
      remember(appId, source);
      return output;
    } catch (error) {
      if (isAppLookup(operation, input) && error instanceof UpstreamError && error.code === 'NOT_FOUND') forget(appId);
      throw error;
    }
  }

  const aws: AmplifyBackend = {
    call: <K extends OperationName>(operation: K, input: OperationInput<K>, callOptions?: CallOptions) =>
      routed(operation, input, callOptions?.client, (source) => source.aws.call(operation, input, callOptions)),
    // The default source's, as before there were regions; each source's is in `sources`.
    health: () => home.aws.health(),
    destroy() {
      for (const source of sources) source.destroy();
    },
  };

  return {
    sources,
    home,
    aws,
    reads: routedReads(sources, routed, options.onForgetApp),
    locate,
    /** Told by ListApps where an app is. */
    remember,
    /** How many app ids are remembered (bounded by MAX_REMEMBERED_APPS). */
    remembered: size,
  };
}

type Routed = <K extends OperationName>(
  operation: K,
  input: OperationInput<K>,
  client: string | undefined,
  call: (source: UpstreamSource) => Promise<OperationOutput<K>>,
) => Promise<OperationOutput<K>>;

/** The sources' read caches as one: a read goes to its app's source's cache; forgetting an app forgets it everywhere. */
function routedReads(
  sources: readonly UpstreamSource[],
  routed: Routed,
  onForgetApp: ((appId: string) => void) | undefined,
  client?: () => string,
): ReadCache {
  return {
    call: <K extends OperationName>(operation: K, input: OperationInput<K>) =>
      routed(operation, input, client?.(), (source) => (client ? source.reads.forClient(client) : source.reads).call(operation, input)),
    forgetApp(appId: string) {
      for (const source of sources) source.reads.forgetApp(appId);
      onForgetApp?.(appId);
    },
    get size() {
      return sources.reduce((n, s) => n + s.reads.size, 0);
    },
    forClient: (c: () => string) => routedReads(sources, routed, onForgetApp, c),
  };
}

/**
 * At most `max` keys, the least recently used forgotten first. Written here rather than taken
 * from lru-cache: a Map keeps insertion order, so re-inserting a key on use is the whole of it.
 */
function recentlyUsed<V>(max: number) {
  const entries = new Map<string, V>();
  const remember = (key: string, value: V) => {
    entries.delete(key);
    entries.set(key, value);
    if (entries.size > max) entries.delete(entries.keys().next().value as string);
  };
  return {
    remember,
    known(key: string): V | undefined {
      const value = entries.get(key);
      if (value !== undefined) remember(key, value);
      return value;
    },
    forget: (key: string) => void entries.delete(key),
    size: () => entries.size,
  };
}

export type UpstreamRouter = ReturnType<typeof createUpstreamRouter>;
