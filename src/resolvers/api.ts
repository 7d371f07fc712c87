import type { OperationInput, OperationOutput } from '../aws/client.js';
import type { Context } from '../context.js';
import { upstreamContractError } from '../errors.js';
import { resourcePayload, type ResourceRef } from './environment.js';

export type ApiConfigInput = OperationInput<'CreateBackendAPI'>['resourceConfig'];
export type ApiConfig = NonNullable<OperationOutput<'GetBackendAPI'>['resourceConfig']>;

export const apiConfig = async (api: ResourceRef, ctx: Context) =>
  (await ctx.loaders.api.load(api)).resourceConfig ?? null;

export const apiModels = (api: ResourceRef, ctx: Context) => ctx.loaders.apiModels.load(api);

export function parseModels(text: string | undefined) {
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw upstreamContractError('AmplifyBackend returned models that are not JSON');
  }
}

const target = (input: ResourceRef): ResourceRef => ({
  appId: input.appId,
  environmentName: input.environmentName,
  resourceName: input.resourceName,
});

export async function createBackendApi(input: ResourceRef & { config: ApiConfigInput }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendAPI', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendAPI', ...out }, target(input), ctx);
}

export async function updateBackendApi(input: ResourceRef & { config?: ApiConfigInput | null }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendAPI', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config ?? undefined,
  });
  return resourcePayload({ operation: 'UpdateBackendAPI', ...out }, target(input), ctx);
}

export async function deleteBackendApi(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendAPI', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
  });
  return resourcePayload({ operation: 'DeleteBackendAPI', ...out }, target(input), ctx);
}

export async function generateBackendApiModels(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('GenerateBackendAPIModels', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
  });
  return resourcePayload({ operation: 'GenerateBackendAPIModels', ...out }, target(input), ctx);
}
