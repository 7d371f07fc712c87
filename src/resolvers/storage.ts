import { toStorageConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { environmentWire, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { configWrite, readConfig, writeResource } from './resource.js';

export const config = (storage: ResourceKey, ctx: Context) => readConfig(ctx.loaders.storage.load(storage), toStorageConfig);

export const createBackendStorage = configWrite('CreateBackendStorage');

export const updateBackendStorage = configWrite('UpdateBackendStorage');

export const deleteBackendStorage = (input: ResourceKey & { serviceName: 'S3' }, ctx: Context) =>
  writeResource('DeleteBackendStorage', input, { ...resourceWire(input), serviceName: input.serviceName }, ctx);

export const importBackendStorage = (input: EnvironmentKey & { bucketName: string; serviceName: 'S3' }, ctx: Context) =>
  writeResource('ImportBackendStorage', input, {
    ...environmentWire(input),
    bucketName: input.bucketName,
    serviceName: input.serviceName,
  }, ctx);
