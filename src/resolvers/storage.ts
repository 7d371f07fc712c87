import type { OperationInput } from '../aws/client.js';
import { toStorageConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { environmentWire, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { writeResource } from './resource.js';

export type CreateStorageConfig = OperationInput<'CreateBackendStorage'>['resourceConfig'];
export type UpdateStorageConfig = OperationInput<'UpdateBackendStorage'>['resourceConfig'];

export async function config(storage: ResourceKey, ctx: Context) {
  const { resourceConfig } = await ctx.loaders.storage.load(storage);
  return resourceConfig ? toStorageConfig(resourceConfig) : null;
}

export const createBackendStorage = (input: ResourceKey & { config: CreateStorageConfig }, ctx: Context) =>
  writeResource('CreateBackendStorage', input, { ...resourceWire(input), resourceConfig: input.config }, ctx);

export const updateBackendStorage = (input: ResourceKey & { config: UpdateStorageConfig }, ctx: Context) =>
  writeResource('UpdateBackendStorage', input, { ...resourceWire(input), resourceConfig: input.config }, ctx);

export const deleteBackendStorage = (input: ResourceKey & { serviceName: 'S3' }, ctx: Context) =>
  writeResource('DeleteBackendStorage', input, { ...resourceWire(input), serviceName: input.serviceName }, ctx);

export const importBackendStorage = (input: EnvironmentKey & { bucketName: string; serviceName: 'S3' }, ctx: Context) =>
  writeResource('ImportBackendStorage', input, {
    ...environmentWire(input),
    bucketName: input.bucketName,
    serviceName: input.serviceName,
  }, ctx);
