import { badRequest } from '../errors.js';
import { parseTransformSchema } from '../model-generation.js';
import type { Jobs } from './job.js';
import type { ApiRecord, AuthRecord, Category, JobFailureHook, StorageRecord } from './records.js';
import { findEnvironment, findResource, type StoreContext } from './state.js';

/** An environment's API, auth and storage resources; every change is a job. */
export function createResources(ctx: StoreContext, { startJob }: Jobs) {
  return {
    getResource<C extends Category>(appId: string, environmentName: string, category: C, resourceName: string) {
      return findResource(ctx, appId, environmentName, category, resourceName);
    },

    putResource(
      operation: string,
      appId: string,
      environmentName: string,
      category: Category,
      record: ApiRecord | AuthRecord | StorageRecord,
      mode: 'create' | 'update',
      fail?: JobFailureHook,
    ) {
      const env = findEnvironment(ctx, appId, environmentName);
      const exists = env[category].has(record.resourceName);
      if (mode === 'create' && exists) {
        throw badRequest(`${category} resource ${record.resourceName} already exists in environment ${environmentName}`);
      }
      if (mode === 'update' && !exists) findResource(ctx, appId, environmentName, category, record.resourceName);
      if (mode === 'create' && category === 'auth' && env.auth.size > 0) {
        throw badRequest(`Environment ${environmentName} already has an auth resource: ${[...env.auth.keys()][0]}`);
      }
      if (category === 'api' && typeof (record as ApiRecord).resourceConfig.transformSchema === 'string') {
        parseTransformSchema(String((record as ApiRecord).resourceConfig.transformSchema));
      }
      return startJob(appId, [environmentName], operation, { type: 'putResource', appId, environmentName, category, record }, fail);
    },

    removeResource(operation: string, appId: string, environmentName: string, category: Category, resourceName: string, fail?: JobFailureHook) {
      findResource(ctx, appId, environmentName, category, resourceName);
      return startJob(appId, [environmentName], operation, { type: 'removeResource', appId, environmentName, category, resourceName }, fail);
    },

    generateModels(appId: string, environmentName: string, resourceName: string, fail?: JobFailureHook) {
      const api = findResource(ctx, appId, environmentName, 'api', resourceName);
      if (typeof api.resourceConfig.transformSchema !== 'string') {
        throw badRequest(`API ${resourceName} has no transformSchema to generate models from`);
      }
      return startJob(appId, [environmentName], 'GenerateBackendAPIModels', { type: 'generateModels', appId, environmentName, resourceName }, fail);
    },
  };
}
