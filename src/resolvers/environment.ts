import { newestJobsPage, runningJob } from '../blocking-job.js';
import type { Context } from '../context.js';
import { nullIfAbsent, upstreamContractError } from '../errors.js';
import { environmentOf, environmentWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { JOBS_PAGE_SIZE } from '../loaders.js';
import { environmentWritten } from './app.js';
import { forwardConnection, type ConnectionArgs } from './connection.js';
import { backendJob, jobRef, type JobRef } from './job.js';

export type Category = 'api' | 'auth' | 'storage';

/** `null` for an app or environment the service does not know. */
export async function backendEnvironment(key: EnvironmentKey, ctx: Context): Promise<EnvironmentKey | null> {
  const found = await nullIfAbsent(load(key, ctx));
  return found && environmentOf(key);
}

/** An environment key as GraphQL spells it: `BackendEnvironment` calls its name `name`. */
export const environmentKey = (args: { appId: string; name: string }): EnvironmentKey => ({
  appId: args.appId,
  environmentName: args.name,
});

const load = (env: EnvironmentKey, ctx: Context) => ctx.loaders.environment.load(env);

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

export const amplifyMetaConfigRaw = async (env: EnvironmentKey, ctx: Context) =>
  (await load(env, ctx)).amplifyMetaConfig ?? null;

export const amplifyMetaConfig = async (env: EnvironmentKey, ctx: Context) =>
  parseJson((await load(env, ctx)).amplifyMetaConfig, 'an amplifyMetaConfig');

export const featureFlags = async (env: EnvironmentKey, ctx: Context) =>
  parseJson((await load(env, ctx)).amplifyFeatureFlags, 'amplifyFeatureFlags');

// --- resources: named in the environment's amplify-meta, read by their own loaders --------------

async function resources(env: EnvironmentKey, category: Category, ctx: Context): Promise<ResourceKey[]> {
  const meta = await amplifyMetaConfig(env, ctx);
  const ofCategory = meta?.[category];
  const names = ofCategory && typeof ofCategory === 'object' ? Object.keys(ofCategory) : [];
  return names.map((resourceName) => ({ ...environmentOf(env), resourceName }));
}

/** One resource of the environment by name; `null` when its amplify-meta names no such resource. */
export async function resource(key: ResourceKey, category: Category, ctx: Context): Promise<ResourceKey | null> {
  const named = await resources(key, category, ctx);
  return named.find((r) => r.resourceName === key.resourceName) ?? null;
}

const resourceOf = (env: EnvironmentKey, resourceName: string): ResourceKey => ({ ...environmentOf(env), resourceName });

export const apis = (env: EnvironmentKey, ctx: Context) => resources(env, 'api', ctx);
export const api = (env: EnvironmentKey, args: { resourceName: string }, ctx: Context) =>
  resource(resourceOf(env, args.resourceName), 'api', ctx);
/** Amplify allows one auth resource an environment. */
export const auth = async (env: EnvironmentKey, ctx: Context) => (await resources(env, 'auth', ctx))[0] ?? null;
export const storages = (env: EnvironmentKey, ctx: Context) => resources(env, 'storage', ctx);
export const storage = (env: EnvironmentKey, args: { resourceName: string }, ctx: Context) =>
  resource(resourceOf(env, args.resourceName), 'storage', ctx);

// --- jobs ---------------------------------------------------------------------------------------

/** The job running in the environment, from the page of its newest jobs that `jobs` reads too; null when none runs. */
export async function pendingJob(env: EnvironmentKey, ctx: Context): Promise<JobRef | null> {
  const page = await ctx.loaders.jobsPage.load(newestJobsPage(env.appId, env.environmentName));
  const running = runningJob(page.jobs ?? []);
  return running ? { ...environmentOf(env), jobId: running.jobId!, known: running, complete: true } : null;
}

export const job = (env: EnvironmentKey, args: { jobId: string }, ctx: Context) =>
  backendJob({ ...environmentOf(env), jobId: args.jobId }, ctx);

export function jobs(env: EnvironmentKey, args: ConnectionArgs & { status?: string | null; operation?: string | null }, ctx: Context) {
  return forwardConnection(
    args,
    async (nextToken) => {
      const page = await ctx.loaders.jobsPage.load({
        ...environmentOf(env),
        // Always a whole page, whatever `first` asks: `pendingJob` and other selections of the
        // environment's jobs read the same page, so a query asking for them costs one call.
        maxResults: JOBS_PAGE_SIZE,
        nextToken,
        status: args.status ?? undefined,
        operation: args.operation ?? undefined,
      });
      return { items: page.jobs ?? [], nextToken: page.nextToken };
    },
    (listed) => jobRef(env.appId, env.environmentName, listed),
    (listed) => listed.jobId,
  );
}

// --- writes -------------------------------------------------------------------------------------

export async function cloneBackend(input: EnvironmentKey & { targetEnvironmentName: string }, ctx: Context) {
  const out = await ctx.aws.call('CloneBackend', {
    ...environmentWire(input),
    targetEnvironmentName: input.targetEnvironmentName,
  });
  return {
    ...environmentWritten('CloneBackend', input, out, ctx),
    targetEnvironment: { appId: input.appId, environmentName: input.targetEnvironmentName },
  };
}

export async function deleteBackend(input: EnvironmentKey, ctx: Context) {
  const out = await ctx.aws.call('DeleteBackend', environmentWire(input));
  return environmentWritten('DeleteBackend', input, out, ctx);
}

/**
 * After a write to an environment, what this request read of it is stale. (What the gateway kept of
 * the app was forgotten, on every instance, as the write succeeded: read-invalidation.ts.)
 */
export function forgetEnvironment(ctx: Context, env: EnvironmentKey) {
  ctx.loaders.environment.clear(environmentOf(env));
  ctx.loaders.jobsPage.clearAll();
  for (const loader of [ctx.loaders.api, ctx.loaders.apiModels, ctx.loaders.auth, ctx.loaders.storage]) loader.clearAll();
}
