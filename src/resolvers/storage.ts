import type { OperationInput } from '../aws/client.js';
import type { Context } from '../context.js';
import { resourcePayload, type ResourceRef } from './environment.js';

export type CreateStorageConfig = OperationInput<'CreateBackendStorage'>['resourceConfig'];
export type UpdateStorageConfig = OperationInput<'UpdateBackendStorage'>['resourceConfig'];

export const storageConfig = async (storage: ResourceRef, ctx: Context) =>
  (await ctx.loaders.storage.load(storage)).resourceConfig ?? null;

const target = (input: ResourceRef): ResourceRef => ({
  appId: input.appId,
  environmentName: input.environmentName,
  resourceName: input.resourceName,
});

export async function createBackendStorage(input: ResourceRef & { config: CreateStorageConfig }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendStorage', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendStorage', ...out }, target(input), ctx);
}

export async function updateBackendStorage(input: ResourceRef & { config: UpdateStorageConfig }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendStorage', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'UpdateBackendStorage', ...out }, target(input), ctx);
}

export async function deleteBackendStorage(input: ResourceRef & { serviceName: 'S3' }, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendStorage', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    serviceName: input.serviceName,
  });
  return resourcePayload({ operation: 'DeleteBackendStorage', ...out }, target(input), ctx);
}

export async function importBackendStorage(
  input: { appId: string; environmentName: string; bucketName: string; serviceName: 'S3' },
  ctx: Context,
) {
  const out = await ctx.aws.call('ImportBackendStorage', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    bucketName: input.bucketName,
    serviceName: input.serviceName,
  });
  const { resource: _, ...payload } = resourcePayload({ operation: 'ImportBackendStorage', ...out }, { appId: input.appId, environmentName: input.environmentName, resourceName: '' }, ctx);
  return payload;
}
