import { newestJobsPage, runningJob } from '../blocking-job.js';
import type { Context } from '../context.js';
import { isNotFound, upstreamContractError } from '../errors.js';
import { forgetApp } from './app.js';
import { jobFromResponse, startedJob, type JobRef } from './job.js';

export interface EnvironmentRef {
  appId: string;
  name: string;
}

export type Category = 'api' | 'auth' | 'storage';

/** `null` for an app or environment the service does not know. */
export async function backendEnvironment(args: { appId: string; name: string }, ctx: Context): Promise<EnvironmentRef | null> {
  try {
    await load(args, ctx);
    return { appId: args.appId, name: args.name };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

const load = (env: EnvironmentRef, ctx: Context) =>
  ctx.loaders.environment.load({ appId: env.appId, environmentName: env.name });

function parseJson(text: string | undefined, what: string): Record<string, unknown> | null {
  if (text === undefined || text === '') return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw upstreamContractError(`AmplifyBackend returned ${what} that is not a JSON object`);
}

export const amplifyMetaConfigRaw = async (env: EnvironmentRef, ctx: Context) =>
  (await load(env, ctx)).amplifyMetaConfig ?? null;

export const amplifyMetaConfig = async (env: EnvironmentRef, ctx: Context) =>
  parseJson((await load(env, ctx)).amplifyMetaConfig, 'an amplifyMetaConfig');

export const featureFlags = async (env: EnvironmentRef, ctx: Context) =>
  parseJson((await load(env, ctx)).amplifyFeatureFlags, 'amplifyFeatureFlags');

/** Resource names of one category, from the environment's amplify-meta. */
export async function resourceNames(env: EnvironmentRef, category: Category, ctx: Context): Promise<string[]> {
  const meta = await amplifyMetaConfig(env, ctx);
  const resources = meta?.[category];
  return resources && typeof resources === 'object' ? Object.keys(resources) : [];
}

/** The job running in the environment, from the page of its newest jobs that `jobs` reads too; null when none runs. */
export async function pendingJob(env: EnvironmentRef, ctx: Context): Promise<JobRef | null> {
  const page = await ctx.loaders.jobsPage.load(newestJobsPage(env.appId, env.name));
  const job = runningJob(page.jobs ?? []);
  return job ? { appId: env.appId, environmentName: env.name, jobId: job.jobId!, known: job } : null;
}

export async function cloneBackend(input: { appId: string; environmentName: string; targetEnvironmentName: string }, ctx: Context) {
  const out = await ctx.aws.call('CloneBackend', {
    appId: input.appId,
    backendEnvironmentName: input.environmentName,
    targetEnvironmentName: input.targetEnvironmentName,
  });
  forgetApp(ctx, input.appId);
  return {
    app: { appId: input.appId },
    environment: { appId: input.appId, name: input.environmentName },
    targetEnvironment: { appId: input.appId, name: input.targetEnvironmentName },
    job: startedJob(jobFromResponse({ operation: 'CloneBackend', ...out }, input.environmentName), ctx),
  };
}

export async function deleteBackend(input: { appId: string; environmentName: string }, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackend', { appId: input.appId, backendEnvironmentName: input.environmentName });
  forgetApp(ctx, input.appId);
  return {
    app: { appId: input.appId },
    environment: { appId: input.appId, name: input.environmentName },
    job: startedJob(jobFromResponse({ operation: 'DeleteBackend', ...out }, input.environmentName), ctx),
  };
}

export interface ResourceRef {
  appId: string;
  environmentName: string;
  resourceName: string;
}

export async function resources(env: EnvironmentRef, category: Category, ctx: Context): Promise<ResourceRef[]> {
  const names = await resourceNames(env, category, ctx);
  return names.map((resourceName) => ({ appId: env.appId, environmentName: env.name, resourceName }));
}

export async function resource(env: EnvironmentRef, category: Category, resourceName: string, ctx: Context) {
  const names = await resourceNames(env, category, ctx);
  return names.includes(resourceName) ? { appId: env.appId, environmentName: env.name, resourceName } : null;
}

/** After a write to an environment, what this request read of it is stale. */
export function forgetEnvironment(ctx: Context, appId: string, environmentName: string) {
  ctx.reads.forgetApp(appId);
  const key = { appId, environmentName };
  ctx.loaders.environment.clear(key);
  ctx.loaders.jobsPage.clearAll();
  for (const loader of [ctx.loaders.api, ctx.loaders.apiModels, ctx.loaders.auth, ctx.loaders.storage]) loader.clearAll();
}

/** The key members every resource operation sends upstream. */
export const resourceKeyInput = (r: ResourceRef) => ({
  appId: r.appId,
  backendEnvironmentName: r.environmentName,
  resourceName: r.resourceName,
});

/**
 * The payload of a write to a resource of an environment. Imports name no resource (the service
 * names it), so theirs has none.
 */
export function resourcePayload(
  out: { appId?: string; backendEnvironmentName?: string; jobId?: string; status?: string; operation?: string; error?: string },
  key: { appId: string; environmentName: string; resourceName?: string },
  ctx: Context,
) {
  const { appId, environmentName, resourceName } = key;
  forgetEnvironment(ctx, appId, environmentName);
  return {
    environment: { appId, name: environmentName },
    resource: resourceName === undefined ? undefined : { appId, environmentName, resourceName },
    job: startedJob(jobFromResponse(out, environmentName), ctx),
  };
}
