import type { Context } from '../context.js';
import { exportGen2 } from '../gen2/backend.js';
import { importedAuth, storageRegion } from '../gen2/meta.js';
import type { Gen2Export } from '../gen2/model.js';
import type { EnvironmentKey } from '../keys.js';
import { config as apiConfig } from './api.js';
import { config as authConfig } from './auth.js';
import { amplifyMetaConfig, apis, auth, storages } from './environment.js';
import { config as storageConfig } from './storage.js';

/**
 * The environment as Amplify Gen 2 resource files: read through the request's loaders (so app
 * access and the read cache hold, and a query asking for `auth { config }` too costs nothing more),
 * then mapped by the pure functions of src/gen2.
 */
export async function gen2(env: EnvironmentKey, ctx: Context): Promise<Gen2Export> {
  const [meta, authKey, apiKeys, storageKeys] = await Promise.all([amplifyMetaConfig(env, ctx), auth(env, ctx), apis(env, ctx), storages(env, ctx)]);
  const imported = authKey ? importedAuth(meta, authKey.resourceName) : undefined;
  const [authSource, apiSources, storageSources] = await Promise.all([
    // An imported pool's settings live outside Amplify: Gen 2 references it by its ids alone.
    authKey && (imported ? { resourceName: authKey.resourceName, config: null, imported } : authConfig(authKey, ctx).then((config) => ({ resourceName: authKey.resourceName, config }))),
    Promise.all(apiKeys.map(async (key) => ({ resourceName: key.resourceName, config: await apiConfig(key, ctx) }))),
    Promise.all(
      storageKeys.map(async (key) => ({
        resourceName: key.resourceName,
        config: await storageConfig(key, ctx),
        region: storageRegion(meta, key.resourceName),
      })),
    ),
  ]);
  return exportGen2({ auth: authSource, apis: apiSources, storages: storageSources });
}
