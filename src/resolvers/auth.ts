import type { OperationInput, OperationOutput } from '../aws/client.js';
import type { Context } from '../context.js';
import { resourceKeyInput, resourcePayload, type ResourceRef } from './environment.js';

export type CreateAuthConfig = OperationInput<'CreateBackendAuth'>['resourceConfig'];
/** The auth config as GetBackendAuth answers it, secrets included: never expose it whole. */
export type AuthConfig = NonNullable<OperationOutput<'GetBackendAuth'>['resourceConfig']>;
export type UpdateAuthConfig = OperationInput<'UpdateBackendAuth'>['resourceConfig'];

export const authConfig = async (auth: ResourceRef, ctx: Context) =>
  (await ctx.loaders.auth.load(auth)).resourceConfig ?? null;

export async function createBackendAuth(input: ResourceRef & { config: CreateAuthConfig }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackendAuth', {
    ...resourceKeyInput(input),
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'CreateBackendAuth', ...out }, input, ctx);
}

export async function updateBackendAuth(input: ResourceRef & { config: UpdateAuthConfig }, ctx: Context) {
  const out = await ctx.aws.call('UpdateBackendAuth', {
    ...resourceKeyInput(input),
    resourceConfig: input.config,
  });
  return resourcePayload({ operation: 'UpdateBackendAuth', ...out }, input, ctx);
}

export async function deleteBackendAuth(input: ResourceRef, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackendAuth', {
    ...resourceKeyInput(input),
  });
  return resourcePayload({ operation: 'DeleteBackendAuth', ...out }, input, ctx);
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
  return resourcePayload({ operation: 'ImportBackendAuth', ...out }, input, ctx);
}
