import type { OperationInput } from '../aws/client.js';
import { toBackendConfig } from '../aws/map.js';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import { environmentOf, environmentWire, type AppKey, type EnvironmentKey } from '../keys.js';
import { jobFromResponse, startedJob, type JobRef } from './job.js';

/** What an app-wide write answers: the app, and the job it started. */
export interface AppPayload {
  app: AppKey;
  job: JobRef | null;
}

/** What a write to an app's environments answers: the app, the environment, the job it started. */
export interface EnvironmentPayload extends AppPayload {
  environment: EnvironmentKey;
}

/** What a write answers of the job it started, if any. */
export interface WriteOutput {
  appId?: string;
  backendEnvironmentName?: string;
  jobId?: string;
  status?: string;
  operation?: string;
  error?: string;
}

/** `null` for an app the service does not know. */
export async function app(key: AppKey, ctx: Context): Promise<AppKey | null> {
  const found = await nullIfAbsent(ctx.loaders.app.load(key.appId));
  return found && { appId: key.appId };
}

export const appName = async (app: AppKey, ctx: Context) => (await ctx.loaders.app.load(app.appId)).appName ?? null;

export async function environments(app: AppKey, ctx: Context): Promise<EnvironmentKey[]> {
  const { backendEnvironmentList = [] } = await ctx.loaders.app.load(app.appId);
  return backendEnvironmentList.map((environmentName) => ({ appId: app.appId, environmentName }));
}

// The app's environment list answers this without asking for the environment itself.
export async function environment(app: AppKey, args: { name: string }, ctx: Context): Promise<EnvironmentKey | null> {
  const { backendEnvironmentList = [] } = await ctx.loaders.app.load(app.appId);
  return backendEnvironmentList.includes(args.name) ? { appId: app.appId, environmentName: args.name } : null;
}

/**
 * After a write, what this request read of the app and its environments is stale. (What the
 * gateway kept of the app was forgotten, on every instance, as the write succeeded: read-invalidation.ts.)
 */
export function forgetApp(ctx: Context, appId: string) {
  ctx.loaders.app.clear(appId);
  ctx.loaders.environment.clearAll();
}

/**
 * The payload of a write that changes the app's environments (creates, clones or deletes one):
 * the app, the environment, the job it started.
 */
export function environmentWritten(operation: string, env: EnvironmentKey, out: WriteOutput, ctx: Context): EnvironmentPayload {
  forgetApp(ctx, env.appId);
  return {
    app: { appId: env.appId },
    environment: environmentOf(env),
    job: startedJob(jobFromResponse({ operation, ...out }, env.environmentName), ctx),
  };
}

/** The payload of an app-wide write: the app, and the job it started. */
const appWritten = (appId: string, job: JobRef | null, ctx: Context): AppPayload => ({ app: { appId }, job: startedJob(job, ctx) });

export async function createBackend(input: EnvironmentKey & { appName: string; resourceName?: string | null }, ctx: Context) {
  const out = await ctx.aws.call('CreateBackend', {
    ...environmentWire(input),
    appName: input.appName,
    resourceName: input.resourceName ?? undefined,
  });
  return environmentWritten('CreateBackend', input, out, ctx);
}

export async function removeAllBackends(input: AppKey & { cleanAmplifyApp?: boolean | null }, ctx: Context) {
  // The response names no environment; the job is filed under each environment the app had.
  const before = await ctx.loaders.app.load(input.appId);
  const out = await ctx.aws.call('RemoveAllBackends', { appId: input.appId, cleanAmplifyApp: input.cleanAmplifyApp ?? undefined });
  forgetApp(ctx, input.appId);
  return appWritten(input.appId, jobFromResponse({ operation: 'RemoveAllBackends', ...out }, before.backendEnvironmentList?.[0]), ctx);
}

export async function createBackendConfig(input: AppKey & { backendManagerAppId?: string | null }, ctx: Context) {
  const before = await ctx.loaders.app.load(input.appId);
  const out = await ctx.aws.call('CreateBackendConfig', {
    appId: input.appId,
    backendManagerAppId: input.backendManagerAppId ?? undefined,
  });
  const environmentName = out.backendEnvironmentName ?? before.backendEnvironmentList?.[0];
  return appWritten(input.appId, jobFromResponse({ operation: 'CreateBackendConfig', ...out }, environmentName), ctx);
}

export async function updateBackendConfig(
  input: AppKey & { loginAuthConfig?: OperationInput<'UpdateBackendConfig'>['loginAuthConfig'] },
  ctx: Context,
) {
  const out = await ctx.aws.call('UpdateBackendConfig', {
    appId: input.appId,
    loginAuthConfig: input.loginAuthConfig ?? undefined,
  });
  return { app: { appId: input.appId }, config: toBackendConfig(out) };
}

export async function removeBackendConfig(input: AppKey, ctx: Context) {
  const out = await ctx.aws.call('RemoveBackendConfig', { appId: input.appId });
  return { app: { appId: input.appId }, error: out.error ?? null };
}
