import type { AmplifyBackend } from './aws/client.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface Context {
  aws: AmplifyBackend;
  loaders: Loaders;
}

/** A new context, with new loaders, for every HTTP request and every subscription event. */
export const createContext = (aws: AmplifyBackend): Context => ({ aws, loaders: createLoaders(aws) });
