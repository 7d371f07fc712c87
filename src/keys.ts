/**
 * How every layer names an entity: resolvers, loaders, the job watcher and the bus all use these
 * shapes, so a key read in one place means the same thing in the next. Only `src/aws` and the
 * emulator speak the wire's names (`backendEnvironmentName`); `environmentWire` is the one crossing.
 */

/** An Amplify app, by the id Amplify gave it. */
export interface AppKey {
  appId: string;
}

/** A backend environment of an app. */
export interface EnvironmentKey extends AppKey {
  environmentName: string;
}

/** A named API, auth or storage resource of an environment. */
export interface ResourceKey extends EnvironmentKey {
  resourceName: string;
}

/** A job AmplifyBackend runs for an environment. */
export interface JobKey extends EnvironmentKey {
  jobId: string;
}

/** Only the environment key of a larger value (an input, a resource key). */
export const environmentOf = (k: EnvironmentKey): EnvironmentKey => ({ appId: k.appId, environmentName: k.environmentName });

/** The wire's names for an environment key, as every AmplifyBackend input spells them. */
export const environmentWire = (k: EnvironmentKey) => ({ appId: k.appId, backendEnvironmentName: k.environmentName });

/** The wire's names for a resource key: the environment's, and the resource's own. */
export const resourceWire = (k: ResourceKey) => ({ ...environmentWire(k), resourceName: k.resourceName });
