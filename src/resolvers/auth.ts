import type { OperationInput, OperationOutput } from '../aws/client.js';
import type { Context } from '../context.js';
import { resourcePayload, type ResourceRef } from './environment.js';

export type CreateAuthConfig = OperationInput<'CreateBackendAuth'>['resourceConfig'];
/** The auth config as GetBackendAuth answers it, secrets included: never expose it whole. */
export type AuthConfig = NonNullable<OperationOutput<'GetBackendAuth'>['resourceConfig']>;
export type UpdateAuthConfig = OperationInput<'UpdateBackendAuth'>['resourceConfig'];

export const authConfig = async (auth: ResourceRef, ctx: Context) =>
  (await ctx.loaders.auth.load(auth)).resourceConfig ?? null;

const target = (input: ResourceRef): ResourceRef => ({
  appId: input.appId,
  environmentName: input.environmentName,
  resourceName: input.resourceName,
});

export async function createBackendAuth(input: ResourceRef & { config: CreateAuthConfig }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendAuth', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendAuth', ...out }, target(input), ctx);
}

export async function updateBackendAuth(input: ResourceRef & { config: UpdateAuthConfig }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendAuth', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'UpdateBackendAuth', ...out }, target(input), ctx);
}

export async function deleteBackendAuth(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendAuth', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName,
  });
  return resourcePayload({ operation: 'DeleteBackendAuth', ...out }, target(input), ctx);
}

export async function importBackendAuth(
  input: {
    appId: string;
    environmentName: string;
    userPoolId: string;
    webClientId: string;
    nativeClientId: string;
    identityPoolId?: string | null;
  },
  ctx: Context,
) {
  const out = await ctx.aws.call('ImportBackendAuth', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    userPoolId: input.userPoolId,
    webClientId: input.webClientId,
    nativeClientId: input.nativeClientId,
    identityPoolId: input.identityPoolId ?? undefined,
  });
  const { resource: _, ...payload } = resourcePayload({ operation: 'ImportBackendAuth', ...out }, { appId: input.appId, environmentName: input.environmentName, resourceName: '' }, ctx);
  return payload;
}
