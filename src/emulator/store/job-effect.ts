import { badRequest } from '../errors.js';
import { generateModels } from '../model-generation.js';
import { addBucket, bucketNameFor } from './bucket.js';
import { newEnvironment } from './new-environment.js';
import type { Effect, StorageRecord } from './records.js';
import { findApp, findEnvironment, findResource, type StoreContext } from './state.js';

/** Applies what a completed job does; throws a ServiceError (and changes nothing) when it cannot. */
export function applyEffect(ctx: StoreContext, effect: Effect, at: number) {
  switch (effect.type) {
    case 'addEnvironment': {
      const target = findApp(ctx, effect.appId);
      if (target.environments.has(effect.environmentName)) {
        throw badRequest(`Environment ${effect.environmentName} already exists`);
      }
      target.environments.set(effect.environmentName, newEnvironment(ctx, effect.environmentName, at));
      return;
    }
    case 'cloneEnvironment': {
      const source = findEnvironment(ctx, effect.appId, effect.from);
      const target = findApp(ctx, effect.appId);
      if (target.environments.has(effect.to)) throw badRequest(`Environment ${effect.to} already exists`);
      const copy = structuredClone(source);
      copy.name = effect.to;
      copy.createTime = ctx.iso(at);
      for (const storage of copy.storage.values()) {
        if (storage.imported) continue;
        storage.bucketName = bucketNameFor(storage.resourceName, effect.appId, effect.to);
        addBucket(ctx, storage.bucketName, at);
      }
      target.environments.set(effect.to, copy);
      return;
    }
    case 'removeEnvironment':
      findEnvironment(ctx, effect.appId, effect.environmentName);
      findApp(ctx, effect.appId).environments.delete(effect.environmentName);
      return;
    case 'removeAllEnvironments':
      if (effect.cleanAmplifyApp) ctx.state.apps.delete(effect.appId);
      else findApp(ctx, effect.appId).environments = new Map();
      return;
    case 'putResource': {
      const env = findEnvironment(ctx, effect.appId, effect.environmentName);
      (env[effect.category] as Map<string, unknown>).set(effect.record.resourceName, effect.record);
      if (effect.category === 'storage') {
        const storage = effect.record as StorageRecord;
        if (!storage.imported) addBucket(ctx, storage.bucketName, at);
      }
      return;
    }
    case 'removeResource':
      findResource(ctx, effect.appId, effect.environmentName, effect.category, effect.resourceName);
      findEnvironment(ctx, effect.appId, effect.environmentName)[effect.category].delete(effect.resourceName);
      return;
    case 'generateModels': {
      const api = findResource(ctx, effect.appId, effect.environmentName, 'api', effect.resourceName);
      const transformSchema = String(api.resourceConfig.transformSchema ?? '');
      api.generated = { ...generateModels(transformSchema), transformSchema };
      return;
    }
    case 'createConfig': {
      const target = findApp(ctx, effect.appId);
      target.config = { ...target.config, backendManagerAppId: effect.backendManagerAppId };
      return;
    }
  }
}
