import { appDirectoryFor, type AppDirectory, type RequestAppDirectory } from './app-directory.js';
import type { AmplifyBackend, OperationName } from './aws/client.js';
import { withBlockingJob } from './blocking-job.js';
import type { JobTiming } from './jobs/stuck.js';
import type { WatchEvent } from './jobs/fan-out.js';
import { EventQueue } from './jobs/queue.js';
import { watchKey, type WatchTarget } from './jobs/watch-key.js';
import type { JobWatcher } from './jobs/watcher.js';
import { createUpstreamCount, type UpstreamCount } from './cost/counter.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { ReadCache } from './read-cache.js';
import type { Principal } from './security/access.js';
import { allApps, appRefusal, checkAppAccess, noApps } from './security/app-access.js';
import { clientAddressOf } from './security/client-address.js';
import { rateLimitClient } from './security/rate-limit.js';

export interface Context {
  /** Its calls take this request's client's turns in the upstream queue. */
  aws: AmplifyBackend;
  /** Upstream reads shared with the gateway's other requests; writes use `aws` directly. */
  reads: ReadCache;
  /** Per request; subscriptions replace them (`newLoaders`) for every event they emit. */
  loaders: Loaders;
  /** Loaders with nothing cached, over the same reads. */
  newLoaders: () => Loaders;
  jobs: JobWatcher;
  /** The gateway's now and the stuck-job threshold. */
  jobTiming: JobTiming;
  /** Apps by the Amplify console API (ListApps, GetApp) and where each is, within the request's apps. */
  appDirectory: RequestAppDirectory;
  /** The same with nothing read yet: a live query's every run lists the apps afresh. */
  newAppDirectory: () => RequestAppDirectory;
  /** The upstream calls this request asked for (src/cost/counter.ts). */
  upstream: UpstreamCount;
  /** Whose upstream queue turns and budget the request takes: its principal, or its address when open. */
  client: () => string;
}

/**
 * What the context is built on: yoga's own context object, which the access plugin later extends
 * with `principal` (graphql-ws connections bring it along), and node's request.
 */
export interface RequestContext {
  principal?: Principal;
  req?: { socket?: { remoteAddress?: string } };
}

/** The apps a request may use: no principal yet means nobody was let in, so no app. */
export const appsOf = (request: RequestContext) => (request.principal ? (request.principal.apps ?? allApps) : noApps);

/** What every request's context is built from: the gateway's parts and its limit. */
export interface ContextParts {
  aws: AmplifyBackend;
  reads: ReadCache;
  jobs: JobWatcher;
  jobTiming: JobTiming;
  directory: AppDirectory;
  maxUpstreamCalls: number;
}

/**
 * A new context, with new loaders, for every HTTP request and every subscription. Upstream calls
 * are made for the request's client, the same one its rate limit counts (its principal, or its
 * address on an open gateway): asked at each call, as the principal is set after the context is
 * built.
 */
export function createContext(
  { aws, reads, jobs, jobTiming, directory, maxUpstreamCalls }: ContextParts,
  request: RequestContext,
): Context {
  const upstream = createUpstreamCount(maxUpstreamCalls);
  const client = () => rateLimitClient(request.principal?.id, clientAddressOf(request.req));
  // Asked at each call, like the client.
  const apps = () => appsOf(request);
  // A refused watch ends as a watch of an app the service does not know does: one `notFound`.
  const checked =
    <K extends WatchTarget>(operation: OperationName, watch: (key: K) => EventQueue<WatchEvent>) =>
    (key: K): EventQueue<WatchEvent> => {
      const refusal = appRefusal(apps(), operation, key);
      if (!refusal) return watch(key);
      const refused = new EventQueue<WatchEvent>();
      refused.push({ kind: 'notFound', watch: watchKey(key), message: refusal.message });
      refused.finish();
      return refused;
    };
  const sharedReads = reads.forClient(client);
  const clientReads: ReadCache = {
    ...sharedReads,
    call: async (operation, input) => {
      checkAppAccess(apps(), operation, input);
      upstream.count();
      return sharedReads.call(operation, input);
    },
  };
  const forClient: AmplifyBackend = {
    ...aws,
    call: async (operation, input, options) => {
      checkAppAccess(apps(), operation, input);
      upstream.count();
      return aws.call(operation, input, { client: client(), ...options });
    },
  };
  const context: Context = {
    // Every mutation writes through here: a refusal for a pending job names the job that blocks it.
    aws: withBlockingJob(forClient, async (appId) => (await context.loaders.app.load(appId)).backendEnvironmentList ?? []),
    reads: clientReads,
    // A watch polls with the gateway's identity, not through `aws`: it is checked here, before it starts.
    jobs: {
      ...jobs,
      subscribeJob: checked('GetBackendJob', jobs.subscribeJob),
      subscribeEnvironmentJobs: checked('ListBackendJobs', jobs.subscribeEnvironmentJobs),
    },
    jobTiming,
    appDirectory: appDirectoryFor(directory, apps, client, upstream),
    newAppDirectory: () => appDirectoryFor(directory, apps, client, upstream),
    upstream,
    client,
    loaders: createLoaders(clientReads),
    newLoaders: () => createLoaders(clientReads),
  };
  return context;
}
