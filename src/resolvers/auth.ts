import type { OperationInput } from '../aws/client.js';
import { toAuthConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { environmentWire, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { readConfig, withConfig, writeResource } from './resource.js';

export type CreateAuthConfig = OperationInput<'CreateBackendAuth'>['resourceConfig'];
export type UpdateAuthConfig = OperationInput<'UpdateBackendAuth'>['resourceConfig'];

/** Without secrets: the model says only whether each is set. */
export const config = (auth: ResourceKey, ctx: Context) => readConfig(ctx.loaders.auth.load(auth), toAuthConfig);

export const createBackendAuth = (input: ResourceKey & { config: CreateAuthConfig }, ctx: Context) =>
  writeResource('CreateBackendAuth', input, withConfig(input), ctx);

export const updateBackendAuth = (input: ResourceKey & { config: UpdateAuthConfig }, ctx: Context) =>
  writeResource('UpdateBackendAuth', input, withConfig(input), ctx);

export const deleteBackendAuth = (input: ResourceKey, ctx: Context) =>
  writeResource('DeleteBackendAuth', input, resourceWire(input), ctx);

export const importBackendAuth = (
  input: EnvironmentKey & { userPoolId: string; webClientId: string; nativeClientId: string; identityPoolId?: string | null },
  ctx: Context,
) =>
  writeResource('ImportBackendAuth', input, {
    ...environmentWire(input),
    userPoolId: input.userPoolId,
    webClientId: input.webClientId,
    nativeClientId: input.nativeClientId,
    identityPoolId: input.identityPoolId ?? undefined,
  }, ctx);
