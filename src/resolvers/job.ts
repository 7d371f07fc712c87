import { createGraphQLError } from 'graphql-yoga';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import type { EventQueue } from '../jobs/queue.js';
import { isTerminalStatus, jobVersion, type WatchedJob } from '../jobs/lifecycle.js';
import { isStuck, runningForSeconds as secondsRunning } from '../jobs/stuck.js';
import type { WatchEvent } from '../jobs/watcher.js';
import type { Job } from '../loaders.js';
import { environmentOf, environmentWire, type JobKey } from '../keys.js';
import type { WriteOutput } from './app.js';

/** A job known by its key; `known` holds what a response already said of it. */
export interface JobRef extends JobKey {
  known?: Partial<WatchedJob>;
  /**
   * `known` is all the service said of the job (a listing, a GetBackendJob, a poll): a field it
   * leaves out is null, not one more call.
   */
  complete?: boolean;
}

/** The job a write operation started, from its response; `null` when it started none. Only maps. */
export function jobFromResponse(out: WriteOutput, fallbackEnvironment: string | undefined): JobRef | null {
  const environmentName = out.backendEnvironmentName ?? fallbackEnvironment;
  if (!out.jobId || !out.appId || !environmentName) return null;
  return {
    appId: out.appId,
    environmentName,
    jobId: out.jobId,
    known: { status: out.status, operation: out.operation, error: out.error },
  };
}

/**
 * Told by a mutation's resolver that it started or changed `job`: subscribers of its environment
 * should hear of it soon, not at the next backed-off poll.
 */
export function startedJob(job: JobRef | null, ctx: Context): JobRef | null {
  if (job) ctx.jobs.jobStarted({ appId: job.appId, environmentName: job.environmentName, jobId: job.jobId });
  return job;
}

/** A job as a listing or a watch saw it: all the service says of it. */
export const jobRef = (appId: string, environmentName: string, job: WatchedJob): JobRef => ({
  appId,
  environmentName,
  jobId: job.jobId ?? '',
  known: job,
  complete: true,
});

const load = (job: JobRef, ctx: Context) => ctx.loaders.job.load(job);

/** A field of the job: from what is already known, else from the loader. */
export async function jobField<K extends keyof Job>(job: JobRef, field: K, ctx: Context): Promise<Job[K] | null> {
  if (job.known && (job.complete || job.known[field] !== undefined)) return (job.known[field] as Job[K] | undefined) ?? null;
  return (await load(job, ctx))[field] ?? null;
}

async function timed(job: JobRef, ctx: Context) {
  const [status, createTime] = await Promise.all([jobField(job, 'status', ctx), jobField(job, 'createTime', ctx)]);
  return { status, createTime };
}

export const runningForSeconds = async (job: JobRef, ctx: Context) =>
  secondsRunning(await timed(job, ctx), ctx.jobTiming.now());

/** A job a poller published as stuck is stuck here too, whatever this instance's clock says. */
export const stuck = async (job: JobRef, ctx: Context) =>
  job.known?.stuck === true || isStuck(await timed(job, ctx), ctx.jobTiming);

/** `null` for a job the service does not know. */
export async function backendJob(key: JobKey, ctx: Context): Promise<JobRef | null> {
  const job = await nullIfAbsent(ctx.loaders.job.load(key));
  return job && jobRef(key.appId, key.environmentName, job);
}

export async function updateBackendJob(
  input: JobKey & { operation?: string | null; status?: string | null },
  ctx: Context,
) {
  const out = await ctx.aws.call('UpdateBackendJob', {
    ...environmentWire(input),
    jobId: input.jobId,
    operation: input.operation ?? undefined,
    status: input.status ?? undefined,
  });
  const key: JobKey = { ...environmentOf(input), jobId: input.jobId };
  ctx.loaders.job.clear(key).prime(key, out);
  ctx.loaders.jobsPage.clearAll();
  ctx.jobs.jobStarted(key);
  return {
    job: jobRef(input.appId, input.environmentName, { ...out, jobId: out.jobId ?? input.jobId }),
    environment: environmentOf(input),
  };
}

/** What a job subscription emits: a job, or an error to report without ending the stream. */
export type JobUpdate = JobRef | { error: Error };

function errorOf(event: Extract<WatchEvent, { kind: 'error' | 'notFound' }>) {
  return event.kind === 'notFound'
    ? createGraphQLError(event.message, { extensions: { code: 'NOT_FOUND', serviceName: 'AmplifyBackend' } })
    : createGraphQLError(event.message, { extensions: { code: event.code, serviceName: 'AmplifyBackend' } });
}

/**
 * One job: its state at once, then every change, until it is done. An unknown job yields a
 * NOT_FOUND error and ends. Errors travel as values so that they are masked and mapped like any
 * resolver error, and a passing outage does not end the stream.
 */
export function subscribeBackendJob(args: { appId: string; environmentName: string; jobId: string }, ctx: Context) {
  const events = ctx.jobs.subscribeJob(args);
  let last: string | undefined;
  return leavable(
    events,
    updates(events, (event) => {
      const job = event.kind === 'snapshot' ? event.jobs[0] : event.job;
      if (!job || jobVersion(job) === last) return { jobs: [] };
      last = jobVersion(job);
      return { jobs: [jobRef(args.appId, args.environmentName, job)], done: isTerminalStatus(job.status) };
    }),
  );
}

/**
 * Every job of an environment: those still running at once, then every new job and every change,
 * whoever started it, until the client leaves.
 */
export function subscribeBackendJobs(args: { appId: string; environmentName: string }, ctx: Context) {
  const events = ctx.jobs.subscribeEnvironmentJobs(args);
  const seen = new Map<string, string>();
  return leavable(
    events,
    updates(events, (event) => {
      // The snapshot lists newest first; running jobs are replayed oldest first.
      const jobs = event.kind === 'snapshot' ? [...event.jobs].reverse() : [event.job];
      const changed = jobs.filter((job) => {
        if (!job.jobId || seen.get(job.jobId) === jobVersion(job)) return false;
        seen.set(job.jobId, jobVersion(job));
        return !(event.kind === 'snapshot' && isTerminalStatus(job.status));
      });
      return { jobs: changed.map((job) => jobRef(args.appId, args.environmentName, job)) };
    }),
  );
}

/** Turns watch events into updates: errors as values, NOT_FOUND ending the stream, jobs by `pick`. */
async function* updates(
  events: EventQueue<WatchEvent>,
  pick: (event: Extract<WatchEvent, { kind: 'snapshot' | 'job' }>) => { jobs: JobRef[]; done?: boolean },
): AsyncGenerator<JobUpdate> {
  try {
    for await (const event of events) {
      if (event.kind === 'notFound' || event.kind === 'error') {
        yield { error: errorOf(event) };
        if (event.kind === 'notFound') return;
        continue;
      }
      const { jobs, done } = pick(event);
      yield* jobs;
      if (done) return;
    }
  } finally {
    events.end();
  }
}

/**
 * An async generator waiting for its next event cannot be returned from until that event comes;
 * ending the queue first lets a leaving client end the subscription (and its poller) at once.
 */
function leavable<T>(events: EventQueue<WatchEvent>, updates: AsyncGenerator<T>): AsyncIterableIterator<T> {
  return {
    next: () => updates.next(),
    return: (value?: unknown) => {
      events.end();
      return updates.return(value as T);
    },
    throw: (error?: unknown) => {
      events.end();
      return updates.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** Resolves one emitted update, with fresh loaders for the fields below it. */
export function resolveJobUpdate(update: JobUpdate, ctx: Context): JobRef {
  if ('error' in update) throw update.error;
  ctx.loaders = ctx.newLoaders();
  ctx.upstream.reset();
  return update;
}
