import type { AmplifyBackend, CallOptions, OperationOutput } from './aws/client.js';
import { JobPendingError, UpstreamError, type BlockingJob } from './aws/errors.js';
import { JOBS_PAGE_SIZE, type Job } from './loaders.js';
import { jobState } from './jobs/lifecycle.js';

/**
 * An app-wide write (RemoveAllBackends, CreateBackendConfig) names no environment: the job that
 * blocks it may be filed under any of the app's. It is looked for in this many of them at most.
 */
export const MAX_ENVIRONMENTS_SEARCHED = 5;

/** The ListBackendJobs page that `BackendEnvironment.jobs` and `pendingJob` share: the newest jobs, unfiltered. */
export const newestJobsPage = (appId: string, environmentName: string) => ({
  appId,
  environmentName,
  maxResults: JOBS_PAGE_SIZE,
});

/**
 * The running job among a page of jobs, newest first. A job still running is the newest of its
 * environment (the service refuses any other while it runs), unless an app-wide job or an
 * `UpdateBackendJob` put one beside it: the newest running one is then the one to wait for.
 */
export const runningJob = (jobs: readonly Job[]): Job | undefined =>
  jobs.find((job) => job.jobId && jobState(job.status) === 'IN_PROGRESS');

/**
 * The write path of a request (`ctx.aws`): a write the service refuses because a job is pending
 * fails with a `JobPendingError` that names the job, found with one ListBackendJobs call of the
 * environment written to (an app-wide write: one per environment of the app, from the app the
 * request already read, at most MAX_ENVIRONMENTS_SEARCHED). If that lookup fails or finds no
 * running job (it finished meanwhile), the refusal is still answered, without the job.
 */
export function withBlockingJob(aws: AmplifyBackend, appEnvironments: (appId: string) => Promise<string[]>): AmplifyBackend {
  async function findBlockingJob(input: Record<string, unknown>, options: CallOptions | undefined): Promise<BlockingJob | undefined> {
    const appId = input.appId;
    if (typeof appId !== 'string') return undefined;
    const named = input.backendEnvironmentName;
    const environments =
      typeof named === 'string' ? [named] : (await appEnvironments(appId)).slice(0, MAX_ENVIRONMENTS_SEARCHED);
    const found = await Promise.all(
      environments.map(async (environmentName) => {
        const { maxResults } = newestJobsPage(appId, environmentName);
        // In the same client's turns as the write; a failed lookup only leaves the job unnamed.
        const page: OperationOutput<'ListBackendJobs'> = await aws
          .call('ListBackendJobs', { appId, backendEnvironmentName: environmentName, maxResults }, { client: options?.client })
          .catch(() => ({}));
        const job = runningJob(page.jobs ?? []);
        return job ? { job, environmentName } : undefined;
      }),
    );
    // An app-wide job is listed under every environment: the newest running job is the one to name.
    const newest = found
      .filter((f) => f !== undefined)
      .sort((a, b) => Date.parse(b.job.createTime ?? '') - Date.parse(a.job.createTime ?? ''))[0];
    if (!newest) return undefined;
    return {
      jobId: newest.job.jobId!,
      environmentName: newest.environmentName,
      operation: newest.job.operation ?? null,
      status: newest.job.status ?? null,
      createTime: newest.job.createTime ?? null,
    };
  }

  return {
    ...aws,
    async call(operation, input, options) {
      try {
        return await aws.call(operation, input, options);
      } catch (error) {
        if (!(error instanceof UpstreamError) || error.code !== 'JOB_PENDING' || error instanceof JobPendingError) throw error;
        const blocking = await findBlockingJob(input as Record<string, unknown>, options).catch(() => undefined);
        throw new JobPendingError(error, blocking);
      }
    },
  };
}
