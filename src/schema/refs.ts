import type { AppKey, EnvironmentKey, ResourceKey } from '../keys.js';
import type { JobRef } from '../resolvers/job.js';
import { builder } from './builder.js';

// The node types point at each other (an environment has jobs, a job its environment). Their refs
// live here, and each domain module implements its own: the modules import this one and never each
// other, so no import cycle depends on Pothos deferring field thunks (as complex-app's string refs).
export const App = builder.objectRef<AppKey>('App');
export const BackendEnvironment = builder.objectRef<EnvironmentKey>('BackendEnvironment');
export const BackendJob = builder.objectRef<JobRef>('BackendJob');
export const BackendApi = builder.objectRef<ResourceKey>('BackendApi');
export const BackendAuth = builder.objectRef<ResourceKey>('BackendAuth');
export const BackendStorage = builder.objectRef<ResourceKey>('BackendStorage');
