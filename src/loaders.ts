import DataLoader from 'dataloader';
import type { OperationInput, OperationName, OperationOutput } from './aws/client.js';
import { UpstreamError } from './aws/errors.js';
import type { EnvironmentKey, JobKey, ResourceKey } from './keys.js';
import type { ReadCache } from './read-cache.js';

export type Backend = OperationOutput<'GetBackend'>;
export type Job = OperationOutput<'GetBackendJob'>;
export type JobsPage = OperationOutput<'ListBackendJobs'>;

export interface JobsPageKey extends EnvironmentKey {
  maxResults: number;
  nextToken?: string;
  status?: string;
  operation?: string;
}

/** ListBackendJobs answers at most this many jobs a page. */
export const JOBS_PAGE_SIZE = 25;

// Keys are joined with a separator no AmplifyBackend name can contain.
const joinKey = (...parts: (string | number | undefined)[]) => parts.map((p) => p ?? '').join('\u0000');

/**
 * One loader per upstream read, created per request (and per subscription event), so identical
 * calls in one operation go upstream once. AmplifyBackend has no batch read: batches run in
 * parallel, and a failed key fails only its own slot.
 */
export function createLoaders(aws: Pick<ReadCache, 'call'>) {
  function perKey<K, O extends OperationName>(
    operation: O,
    input: (key: K) => OperationInput<O>,
    cacheKeyFn: (key: K) => string,
    onLoad?: (key: K, output: OperationOutput<O>) => void,
  ) {
    return new DataLoader<K, OperationOutput<O>, string>(
      (keys) =>
        Promise.all(
          keys.map((key) =>
            aws.call(operation, input(key)).then(
              (output) => {
                onLoad?.(key, output);
                return output;
              },
              (error: Error) => error,
            ),
          ),
        ),
      { cacheKeyFn },
    );
  }

  const app = () => perKey('GetBackend', (appId: string) => ({ appId }), (appId) => appId);

  const environment = () => perKey(
    'GetBackend',
    (k: EnvironmentKey) => ({ appId: k.appId, backendEnvironmentName: k.environmentName }),
    (k) => joinKey(k.appId, k.environmentName),
    // What GetBackend says of one environment also names its app: asking for both costs one call.
    (k, backend) => {
      const { appId, appName, backendEnvironmentList } = backend;
      if (appName !== undefined) loaders.app.prime(k.appId, { appId, appName, backendEnvironmentList });
    },
  );

  const resourceKey = (k: ResourceKey) => joinKey(k.appId, k.environmentName, k.resourceName);
  const resourceInput = (k: ResourceKey) => ({
    appId: k.appId,
    backendEnvironmentName: k.environmentName,
    resourceName: k.resourceName,
  });

  const jobsPage = () => new DataLoader<JobsPageKey, JobsPage, string>(
    (keys) =>
      Promise.all(
        keys.map(async (k) => {
          try {
            const page = await aws.call('ListBackendJobs', {
              appId: k.appId,
              backendEnvironmentName: k.environmentName,
              maxResults: k.maxResults,
              nextToken: k.nextToken,
              status: k.status,
              operation: k.operation,
            });
            for (const job of page.jobs ?? []) primeJob(k, job);
            return page;
          } catch (error) {
            return error as Error;
          }
        }),
      ),
    { cacheKeyFn: (k) => joinKey(k.appId, k.environmentName, k.maxResults, k.nextToken, k.status, k.operation) },
  );

  const jobKey = (k: JobKey) => joinKey(k.appId, k.environmentName, k.jobId);
  const job = (): DataLoader<JobKey, Job, string> => new DataLoader(
    async (keys) => {
      const groups = new Map<string, JobKey[]>();
      for (const k of keys) {
        const env = joinKey(k.appId, k.environmentName);
        groups.set(env, [...(groups.get(env) ?? []), k]);
      }
      const found = new Map<string, Job | Error>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          // Several jobs of one environment: walk ListBackendJobs pages (25 jobs a call) instead
          // of one GetBackendJob each; what the walk does not reach is fetched one by one.
          if (group.length > 1) await walkJobs(group, found);
          await Promise.all(
            group
              .filter((k) => !found.has(jobKey(k)))
              .map(async (k) => {
                try {
                  found.set(jobKey(k), await aws.call('GetBackendJob', {
                    appId: k.appId,
                    backendEnvironmentName: k.environmentName,
                    jobId: k.jobId,
                  }));
                } catch (error) {
                  found.set(jobKey(k), error as Error);
                }
              }),
          );
        }),
      );
      return keys.map((k) => found.get(jobKey(k)) as Job | Error);
    },
    { cacheKeyFn: jobKey },
  );

  async function walkJobs(group: JobKey[], found: Map<string, Job | Error>) {
    const { appId, environmentName } = group[0];
    const wanted = new Set(group.map((k) => k.jobId));
    // Enough pages for every wanted job to be among the newest, and one more; past that, single
    // GetBackendJob calls are cheaper than walking an environment's whole history.
    let budget = Math.ceil(group.length / JOBS_PAGE_SIZE) + 1;
    let nextToken: string | undefined;
    do {
      let page: JobsPage;
      try {
        page = await loaders.jobsPage.load({ appId, environmentName, maxResults: JOBS_PAGE_SIZE, nextToken });
      } catch (error) {
        // An unknown environment fails every job of it with the same answer.
        if (error instanceof UpstreamError && error.code === 'NOT_FOUND') {
          for (const k of group) found.set(jobKey(k), error);
        }
        return;
      }
      for (const j of page.jobs ?? []) {
        if (j.jobId && wanted.delete(j.jobId)) found.set(jobKey({ appId, environmentName, jobId: j.jobId }), j);
      }
      nextToken = page.nextToken;
    } while (nextToken && wanted.size > 0 && --budget > 0);
  }

  function primeJob(env: EnvironmentKey, listed: Job) {
    if (!listed.jobId) return;
    loaders.job.prime({ appId: env.appId, environmentName: env.environmentName, jobId: listed.jobId }, listed);
  }

  // Built on first use: a request, or a subscription event, pays only for the loaders it needs.
  const made = new Map<string, unknown>();
  const lazy = <T>(name: string, make: () => T): T => {
    if (!made.has(name)) made.set(name, make());
    return made.get(name) as T;
  };

  const loaders = {
    /** GetBackend without an environment: the app's name and environment list. */
    get app() {
      return lazy('app', app);
    },
    /** GetBackend for one environment: also its amplify-meta and feature flags. */
    get environment() {
      return lazy('environment', environment);
    },
    get api() {
      return lazy('api', () => perKey('GetBackendAPI', resourceInput, resourceKey));
    },
    get apiModels() {
      return lazy('apiModels', () => perKey('GetBackendAPIModels', resourceInput, resourceKey));
    },
    get auth() {
      return lazy('auth', () => perKey('GetBackendAuth', resourceInput, resourceKey));
    },
    get storage() {
      return lazy('storage', () => perKey('GetBackendStorage', resourceInput, resourceKey));
    },
    get job() {
      return lazy('job', job);
    },
    get jobsPage() {
      return lazy('jobsPage', jobsPage);
    },
    get token() {
      return lazy('token', () =>
        perKey('GetToken', (k: { appId: string; sessionId: string }) => k, (k) => joinKey(k.appId, k.sessionId)),
      );
    },
    get s3Buckets() {
      return lazy('s3Buckets', () =>
        perKey('ListS3Buckets', (nextToken: string) => ({ nextToken: nextToken || undefined }), (t) => t),
      );
    },
  };

  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;
