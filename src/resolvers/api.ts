import type { OperationInput, OperationOutput } from '../aws/client.js';
import type { Context } from '../context.js';
import { upstreamContractError } from '../errors.js';
import { resourceKeyInput, resourcePayload, type ResourceRef } from './environment.js';

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

export async function createBackendApi(input: ResourceRef & { config: ApiConfigInput }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendAPI', {
    ...resourceKeyInput(input),
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendAPI', ...out }, input, ctx);
}

export async function updateBackendApi(input: ResourceRef & { config?: ApiConfigInput | null }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendAPI', {
    ...resourceKeyInput(input),
    resourceConfig: input.config ?? undefined,
  });
  return resourcePayload({ operation: 'UpdateBackendAPI', ...out }, input, ctx);
}

export async function deleteBackendApi(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendAPI', {
    ...resourceKeyInput(input),
  });
  return resourcePayload({ operation: 'DeleteBackendAPI', ...out }, input, ctx);
}

export async function generateBackendApiModels(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('GenerateBackendAPIModels', {
    ...resourceKeyInput(input),
  });
  return resourcePayload({ operation: 'GenerateBackendAPIModels', ...out }, input, ctx);
}
