import type { OperationInput } from '../aws/client.js';
import type { Context } from '../context.js';
import { resourceKeyInput, resourcePayload, type ResourceRef } from './environment.js';

export type CreateStorageConfig = OperationInput<'CreateBackendStorage'>['resourceConfig'];
export type UpdateStorageConfig = OperationInput<'UpdateBackendStorage'>['resourceConfig'];

export const storageConfig = async (storage: ResourceRef, ctx: Context) =>
  (await ctx.loaders.storage.load(storage)).resourceConfig ?? null;

export async function createBackendStorage(input: ResourceRef & { config: CreateStorageConfig }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendStorage', {
    ...resourceKeyInput(input),
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendStorage', ...out }, input, ctx);
}

export async function updateBackendStorage(input: ResourceRef & { config: UpdateStorageConfig }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendStorage', {
    ...resourceKeyInput(input),
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'UpdateBackendStorage', ...out }, input, ctx);
}

export async function deleteBackendStorage(input: ResourceRef & { serviceName: 'S3' }, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendStorage', {
    ...resourceKeyInput(input),
    serviceName: input.serviceName,
  });
  return resourcePayload({ operation: 'DeleteBackendStorage', ...out }, input, ctx);
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
  return resourcePayload({ operation: 'ImportBackendStorage', ...out }, input, ctx);
}
