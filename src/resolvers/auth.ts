import { toAuthConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { environmentWire, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { configWrite, readConfig, writeResource } from './resource.js';

/** Without secrets: the model says only whether each is set. */
export const config = (auth: ResourceKey, ctx: Context) => readConfig(ctx.loaders.auth.load(auth), toAuthConfig);

export const createBackendAuth = configWrite('CreateBackendAuth');

export const updateBackendAuth = configWrite('UpdateBackendAuth');

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
