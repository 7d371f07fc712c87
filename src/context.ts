import type { AmplifyBackend } from './aws/client.js';
import type { JobWatcher } from './jobs/watcher.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { ReadCache } from './read-cache.js';

export interface Context {
  aws: AmplifyBackend;
  /** Upstream reads shared with the gateway's other requests; writes use `aws` directly. */
  reads: ReadCache;
  /** Per request; subscriptions replace them for every event they emit. */
  loaders: Loaders;
  jobs: JobWatcher;
}

/** A new context, with new loaders, for every HTTP request and every subscription. */
export const createContext = (aws: AmplifyBackend, reads: ReadCache, jobs: JobWatcher): Context => ({
  aws,
  reads,
  jobs,
  loaders: createLoaders(reads),
});
