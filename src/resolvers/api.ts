import type { OperationInput } from '../aws/client.js';
import { toApiConfig, toApiModels } from '../aws/map.js';
import type { Context } from '../context.js';
import { upstreamContractError } from '../errors.js';
import { resourceWire, type ResourceKey } from '../keys.js';
import { configWrite, readConfig, writeResource } from './resource.js';

export type ApiConfigInput = OperationInput<'CreateBackendAPI'>['resourceConfig'];

export const config = (api: ResourceKey, ctx: Context) => readConfig(ctx.loaders.api.load(api), toApiConfig);

export const models = async (api: ResourceKey, ctx: Context) => toApiModels(await ctx.loaders.apiModels.load(api));

export function parseModels(text: string | undefined) {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw upstreamContractError('AmplifyBackend returned models that are not JSON');
  }
}

export const createBackendApi = configWrite('CreateBackendAPI');

export const updateBackendApi = configWrite('UpdateBackendAPI');

export const deleteBackendApi = (input: ResourceKey, ctx: Context) =>
  writeResource('DeleteBackendAPI', input, resourceWire(input), ctx);

export const generateBackendApiModels = (input: ResourceKey, ctx: Context) =>
  writeResource('GenerateBackendAPIModels', input, resourceWire(input), ctx);
