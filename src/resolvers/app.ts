import type { OperationInput, OperationOutput } from '../aws/client.js';
import type { Context } from '../context.js';
import { isNotFound } from '../errors.js';
import type { EnvironmentRef } from './environment.js';
import { jobFromResponse, startedJob, type JobRef } from './job.js';

export interface AppRef {
  appId: string;
}

export interface AppPayload {
  app: AppRef;
  job?: JobRef | null;
}

/** `null` for an app the service does not know. */
export async function app(args: { appId: string }, ctx: Context): Promise<AppRef | null> {
  try {
    await ctx.loaders.app.load(args.appId);
    return { appId: args.appId };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export const appName = async (app: AppRef, ctx: Context) => (await ctx.loaders.app.load(app.appId)).appName ?? null;

export async function environments(app: AppRef, ctx: Context): Promise<EnvironmentRef[]> {
  const { backendEnvironmentList = [] } = await ctx.loaders.app.load(app.appId);
  return backendEnvironmentList.map((name) => ({ appId: app.appId, name }));
}

// The app's environment list answers this without asking for the environment itself.
export async function environment(app: AppRef, args: { name: string }, ctx: Context): Promise<EnvironmentRef | null> {
  const { backendEnvironmentList = [] } = await ctx.loaders.app.load(app.appId);
  return backendEnvironmentList.includes(args.name) ? { appId: app.appId, name: args.name } : null;
}

/** After a write, what this request read of the app and its environments is stale. */
export function forgetApp(ctx: Context, appId: string) {
  ctx.reads.forgetApp(appId);
  ctx.loaders.app.clear(appId);
  ctx.loaders.environment.clearAll();
}

export async function createBackend(
  input: { appId: string; appName: string; environmentName: string; resourceName?: string | null },
  ctx: Context,
) {
  const out = await ctx.aws.call('CreateBackend', {
    appId: input.appId,
    appName: input.appName,
    backendEnvironmentName: input.environmentName,
    resourceName: input.resourceName ?? undefined,
  });
  forgetApp(ctx, input.appId);
  return {
    app: { appId: input.appId },
    environment: { appId: input.appId, name: input.environmentName },
    job: startedJob(jobFromResponse({ operation: 'CreateBackend', ...out }, input.environmentName), ctx),
  };
}

export async function removeAllBackends(input: { appId: string; cleanAmplifyApp?: boolean | null }, ctx: Context): Promise<AppPayload> {
  // The response names no environment; the job is filed under each environment the app had.
  const before = await ctx.loaders.app.load(input.appId);
  const out = await ctx.aws.call('RemoveAllBackends', { appId: input.appId, cleanAmplifyApp: input.cleanAmplifyApp ?? undefined });
  forgetApp(ctx, input.appId);
  return { app: { appId: input.appId }, job: startedJob(jobFromResponse({ operation: 'RemoveAllBackends', ...out }, before.backendEnvironmentList?.[0]), ctx) };
}

export async function createBackendConfig(input: { appId: string; backendManagerAppId?: string | null }, ctx: Context): Promise<AppPayload> {
  const before = await ctx.loaders.app.load(input.appId);
  const out = await ctx.aws.call('CreateBackendConfig', {
    appId: input.appId,
    backendManagerAppId: input.backendManagerAppId ?? undefined,
  });
  return { app: { appId: input.appId }, job: startedJob(jobFromResponse({ operation: 'CreateBackendConfig', ...out }, out.backendEnvironmentName ?? before.backendEnvironmentList?.[0]), ctx) };
}

export type BackendConfig = OperationOutput<'UpdateBackendConfig'>;

export async function updateBackendConfig(
  input: { appId: string; loginAuthConfig?: OperationInput<'UpdateBackendConfig'>['loginAuthConfig'] },
  ctx: Context,
) {
  const out = await ctx.aws.call('UpdateBackendConfig', {
    appId: input.appId,
    loginAuthConfig: input.loginAuthConfig ?? undefined,
  });
  return { app: { appId: input.appId }, config: out };
}

export async function removeBackendConfig(input: { appId: string }, ctx: Context) {
  const out = await ctx.aws.call('RemoveBackendConfig', { appId: input.appId });
  return { app: { appId: input.appId }, error: out.error ?? null };
}
