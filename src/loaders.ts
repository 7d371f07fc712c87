import DataLoader from 'dataloader';
import type { OperationOutput } from './aws/client.js';
import { isNotFound } from './errors.js';
import { environmentWire, resourceWire, type EnvironmentKey, type JobKey, type ResourceKey } from './keys.js';
import { joinKey, lazily, perKey, type Reads } from './per-key-loader.js';

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

type JobLoader = DataLoader<JobKey, Job, string>;
type JobsPageLoader = DataLoader<JobsPageKey, JobsPage, string>;

const environmentKey = (k: EnvironmentKey) => joinKey(k.appId, k.environmentName);
const resourceKey = (k: ResourceKey) => joinKey(k.appId, k.environmentName, k.resourceName);
const jobKey = (k: JobKey) => joinKey(k.appId, k.environmentName, k.jobId);

/**
 * One loader per upstream read, created per request (and per subscription event), so identical
 * calls in one operation go upstream once; each is made on first use.
 */
export function createLoaders(reads: Reads) {
  const loaders = lazily({
    /** GetBackend without an environment: the app's name and environment list. */
    app: () => perKey(reads, 'GetBackend', (appId: string) => ({ appId }), (appId) => appId),
    /** GetBackend for one environment: also its amplify-meta and feature flags. */
    environment: () =>
      perKey(reads, 'GetBackend', environmentWire, environmentKey, (k, backend) => {
        // What GetBackend says of one environment also names its app: asking for both costs one call.
        const { appId, appName, backendEnvironmentList } = backend;
        if (appName !== undefined) loaders.app.prime(k.appId, { appId, appName, backendEnvironmentList });
      }),
    api: () => perKey(reads, 'GetBackendAPI', resourceWire, resourceKey),
    apiModels: () => perKey(reads, 'GetBackendAPIModels', resourceWire, resourceKey),
    auth: () => perKey(reads, 'GetBackendAuth', resourceWire, resourceKey),
    storage: () => perKey(reads, 'GetBackendStorage', resourceWire, resourceKey),
    job: (): JobLoader => jobLoader(reads, () => loaders.jobsPage),
    jobsPage: (): JobsPageLoader => jobsPageLoader(reads, (listed) => loaders.job.prime(listed, listed.job)),
    token: () =>
      perKey(reads, 'GetToken', (k: { appId: string; sessionId: string }) => k, (k) => joinKey(k.appId, k.sessionId)),
    s3Buckets: () => perKey(reads, 'ListS3Buckets', (nextToken: string) => ({ nextToken: nextToken || undefined }), (t) => t),
  });
  return loaders;
}

export type Loaders = ReturnType<typeof createLoaders>;

/** Pages of an environment's jobs; every job a page lists is handed to `onJob`. */
function jobsPageLoader(reads: Reads, onJob: (listed: JobKey & { job: Job }) => void): JobsPageLoader {
  return new DataLoader(
    (keys) =>
      Promise.all(
        keys.map(async (k) => {
          try {
            const { maxResults, nextToken, status, operation } = k;
            const page = await reads.call('ListBackendJobs', { ...environmentWire(k), maxResults, nextToken, status, operation });
            for (const job of page.jobs ?? []) {
              if (job.jobId) onJob({ appId: k.appId, environmentName: k.environmentName, jobId: job.jobId, job });
            }
            return page;
          } catch (error) {
            return error as Error;
          }
        }),
      ),
    { cacheKeyFn: (k) => joinKey(k.appId, k.environmentName, k.maxResults, k.nextToken, k.status, k.operation) },
  );
}

/**
 * Jobs by key. Several jobs of one environment: ListBackendJobs pages (25 jobs a call) instead of
 * one GetBackendJob each; what the walk does not reach is fetched one by one.
 */
function jobLoader(reads: Reads, jobsPage: () => JobsPageLoader): JobLoader {
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, JobKey[]>();
      for (const k of keys) groups.set(environmentKey(k), [...(groups.get(environmentKey(k)) ?? []), k]);
      const found = new Map<string, Job | Error>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          if (group.length > 1) await walkJobs(jobsPage(), group, found);
          const rest = group.filter((k) => !found.has(jobKey(k)));
          await Promise.all(
            rest.map(async (k) => {
              try {
                found.set(jobKey(k), await reads.call('GetBackendJob', { ...environmentWire(k), jobId: k.jobId }));
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
}

/** Finds the jobs of one environment's `group` in its newest pages of jobs, into `found`. */
async function walkJobs(jobsPage: JobsPageLoader, group: JobKey[], found: Map<string, Job | Error>) {
  const { appId, environmentName } = group[0];
  const wanted = new Set(group.map((k) => k.jobId));
  // Enough pages for every wanted job to be among the newest, and one more; past that, single
  // GetBackendJob calls are cheaper than walking an environment's whole history.
  let budget = Math.ceil(group.length / JOBS_PAGE_SIZE) + 1;
  let nextToken: string | undefined;
  do {
    let page: JobsPage;
    try {
      page = await jobsPage.load({ appId, environmentName, maxResults: JOBS_PAGE_SIZE, nextToken });
    } catch (error) {
      // An unknown environment fails every job of it with the same answer.
      if (isNotFound(error)) for (const k of group) found.set(jobKey(k), error as Error);
      return;
    }
    for (const j of page.jobs ?? []) {
      if (j.jobId && wanted.delete(j.jobId)) found.set(jobKey({ appId, environmentName, jobId: j.jobId }), j);
    }
    nextToken = page.nextToken;
  } while (nextToken && wanted.size > 0 && --budget > 0);
}
