import type { ConsoleApp } from './aws/console.js';
import type { UpstreamCount } from './cost/counter.js';
import { UpstreamError } from './aws/errors.js';
import { allowsApp, appNotFound, type AppAccess } from './security/app-access.js';
import type { UpstreamRouter, UpstreamSource } from './upstream-router.js';

/** An app ListApps found, and where. */
export interface ListedApp extends ConsoleApp {
  account: string;
  region: string;
}

/** A source whose apps could not be listed: the list goes on without them, and says so. */
export interface UnavailableSource {
  account: string;
  region: string;
  code: string;
  message: string;
}

export interface AppListing {
  apps: ListedApp[];
  unavailable: UnavailableSource[];
}

/** ListApps pages read of one source at most: 100 apps a page. */
export const MAX_LIST_PAGES = 50;

/** Where an app is, as the graph says it. */
export interface AppLocation {
  account: string;
  region: string;
}

/**
 * Every app of every source, from the Amplify console API's ListApps: each source's apps in order
 * of id, the sources in configured order (the default first). What it finds, the router remembers.
 * With `ttlMs` a source's list is kept that long; otherwise only shared while in flight.
 */
export function createAppDirectory(router: UpstreamRouter, options: { ttlMs: number; maxPages?: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const kept = new Map<UpstreamSource, { at: number; promise: Promise<ListedApp[]> }>();
  const maxPages = options.maxPages ?? MAX_LIST_PAGES;

  async function listSource(source: UpstreamSource, client: string | undefined): Promise<ListedApp[]> {
    const apps: ListedApp[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await source.console.listApps({ maxResults: 100, nextToken }, { client });
      for (const app of page.apps) apps.push({ ...app, account: source.account, region: source.region });
      nextToken = page.nextToken;
    } while (nextToken && ++pages < maxPages);
    return apps.sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0));
  }

  function listed(source: UpstreamSource, client: string | undefined): Promise<ListedApp[]> {
    const hit = kept.get(source);
    // In flight (at: Infinity), or kept and still fresh.
    if (hit && (hit.at === Infinity || now() - hit.at < options.ttlMs)) return hit.promise;
    const entry = { at: Infinity, promise: listSource(source, client) };
    kept.set(source, entry);
    entry.promise.then(
      () => {
        if (options.ttlMs > 0) entry.at = now();
        else if (kept.get(source) === entry) kept.delete(source);
      },
      () => {
        if (kept.get(source) === entry) kept.delete(source);
      },
    );
    return entry.promise;
  }

  async function list(client: string | undefined): Promise<AppListing> {
    const settled = await Promise.allSettled(router.sources.map((s) => listed(s, client)));
    const listing: AppListing = { apps: [], unavailable: [] };
    // An app id is one app: were two sources to list it (emulators seeded alike), the first in
    // configured order has it, as the router would find it there first.
    const seen = new Set<string>();
    settled.forEach((result, i) => {
      const source = router.sources[i];
      const { account, region } = source;
      if (result.status === 'fulfilled') {
        for (const app of result.value) {
          if (seen.has(app.appId)) continue;
          seen.add(app.appId);
          listing.apps.push(app);
          router.remember(app.appId, source);
        }
      } else {
        const error = result.reason;
        const code = error instanceof UpstreamError ? error.code : 'UPSTREAM_ERROR';
        listing.unavailable.push({ account, region, code, message: error instanceof UpstreamError ? error.message : 'ListApps failed' });
      }
    });
    return listing;
  }

  return {
    list,
    /** The (account, region) pairs listed: one ListApps each, at least. */
    sources: router.sources.length,
    /** GetApp in the app's source. */
    async getApp(appId: string, client: string | undefined): Promise<ConsoleApp> {
      const source = await router.locate(appId, client);
      return source.console.getApp(appId, { client });
    },
    async locate(appId: string, client: string | undefined): Promise<AppLocation> {
      const { account, region } = await router.locate(appId, client);
      return { account, region };
    },
    /** A write may have added an app: lists are read afresh. */
    forget() {
      kept.clear();
    },
  };
}

export type AppDirectory = ReturnType<typeof createAppDirectory>;

/**
 * The directory as one request sees it: only the apps its credential may use, whichever call
 * names them (a listed app outside them is never seen, a located or described one is "not
 * found"), each app described at most once a request.
 */
export function appDirectoryFor(
  directory: AppDirectory,
  access: () => AppAccess,
  client: () => string,
  upstream: Pick<UpstreamCount, 'count'>,
) {
  let listing: Promise<AppListing> | undefined;
  const described = new Map<string, Promise<ConsoleApp>>();
  const allowed = (operation: string, appId: string) => {
    if (!allowsApp(access(), appId)) throw appNotFound(operation, appId);
  };
  return {
    /** Whether the request may see the app at all. */
    visible: (appId: string) => allowsApp(access(), appId),
    /** The visible apps of every source, and the sources that could not be listed. */
    list(): Promise<AppListing> {
      // Counted as the request's own calls, as `ctx.reads` counts them: a ListApps per source
      // however many pages a source has (the schema's `apps` weight, per source), kept lists too.
      if (!listing) for (let i = 0; i < directory.sources; i++) upstream.count();
      listing ??= directory.list(client()).then(({ apps, unavailable }) => {
        const visible = apps.filter((a) => allowsApp(access(), a.appId));
        for (const app of visible) described.set(app.appId, Promise.resolve(app));
        return { apps: visible, unavailable };
      });
      return listing;
    },
    async describe(appId: string): Promise<ConsoleApp> {
      allowed('GetApp', appId);
      let found = described.get(appId);
      if (!found) {
        upstream.count();
        found = directory.getApp(appId, client());
        described.set(appId, found);
      }
      return found;
    },
    async locate(appId: string): Promise<AppLocation> {
      allowed('GetBackend', appId);
      return directory.locate(appId, client());
    },
  };
}

export type RequestAppDirectory = ReturnType<typeof appDirectoryFor>;
