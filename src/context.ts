import type { AmplifyBackend } from './aws/client.js';
import type { JobWatcher } from './jobs/watcher.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context {
  aws: AmplifyBackend;
  /** Per request; subscriptions replace them for every event they emit. */
  loaders: Loaders;
  jobs: JobWatcher;
}

/** A new context, with new loaders, for every HTTP request and every subscription. */
export const createContext = (aws: AmplifyBackend, jobs: JobWatcher): Context => ({
  aws,
  jobs,
  loaders: createLoaders(aws),
});
