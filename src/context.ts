import type { AmplifyBackend } from './aws/client.js';
import { withBlockingJob } from './blocking-job.js';
import type { JobTiming } from './jobs/stuck.js';
import type { JobWatcher } from './jobs/watcher.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { ReadCache } from './read-cache.js';
import type { Principal } from './security/access.js';
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
}

/**
 * What the context is built on: yoga's own context object, which the access plugin later extends
 * with `principal` (graphql-ws connections bring it along), and node's request.
 */
export interface RequestContext {
  principal?: Principal;
  req?: { socket?: { remoteAddress?: string } };
}

/**
 * A new context, with new loaders, for every HTTP request and every subscription. Upstream calls
 * are made for the request's client, the same one its rate limit counts (its principal, or its
 * address on an open gateway): asked at each call, as the principal is set after the context is
 * built.
 */
export function createContext(
  aws: AmplifyBackend,
  reads: ReadCache,
  jobs: JobWatcher,
  request: RequestContext,
  jobTiming: JobTiming,
): Context {
  const client = () => rateLimitClient(request.principal?.id, clientAddressOf(request.req));
  const clientReads = reads.forClient(client);
  const forClient: AmplifyBackend = { ...aws, call: (operation, input, options) => aws.call(operation, input, { client: client(), ...options }) };
  const context: Context = {
    // Every mutation writes through here: a refusal for a pending job names the job that blocks it.
    aws: withBlockingJob(forClient, async (appId) => (await context.loaders.app.load(appId)).backendEnvironmentList ?? []),
    reads: clientReads,
    jobs,
    jobTiming,
    loaders: createLoaders(clientReads),
    newLoaders: () => createLoaders(clientReads),
  };
  return context;
}
