import type { OperationInput } from '../aws/client.js';
import { toStorageConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { environmentWire, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { readConfig, withConfig, writeResource } from './resource.js';

export type CreateStorageConfig = OperationInput<'CreateBackendStorage'>['resourceConfig'];
export type UpdateStorageConfig = OperationInput<'UpdateBackendStorage'>['resourceConfig'];

export const config = (storage: ResourceKey, ctx: Context) => readConfig(ctx.loaders.storage.load(storage), toStorageConfig);

export const createBackendStorage = (input: ResourceKey & { config: CreateStorageConfig }, ctx: Context) =>
  writeResource('CreateBackendStorage', input, withConfig(input), ctx);

export const updateBackendStorage = (input: ResourceKey & { config: UpdateStorageConfig }, ctx: Context) =>
  writeResource('UpdateBackendStorage', input, withConfig(input), ctx);

export const deleteBackendStorage = (input: ResourceKey & { serviceName: 'S3' }, ctx: Context) =>
  writeResource('DeleteBackendStorage', input, { ...resourceWire(input), serviceName: input.serviceName }, ctx);

export const importBackendStorage = (input: EnvironmentKey & { bucketName: string; serviceName: 'S3' }, ctx: Context) =>
  writeResource('ImportBackendStorage', input, {
    ...environmentWire(input),
    bucketName: input.bucketName,
    serviceName: input.serviceName,
  }, ctx);
