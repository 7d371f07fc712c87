import type { AmplifyBackend } from '../aws/client.js';
import { UpstreamError } from '../aws/errors.js';
import { JOBS_PAGE_SIZE, type Job } from '../loaders.js';
import type { JobDurations } from './durations.js';
import type { EventBus } from './events.js';
import { isTerminalStatus, jobState, jobVersion, type WatchedJob } from './lifecycle.js';
import type { Scheduler } from './scheduler.js';
import { markStuck, parseTime, type JobTiming } from './stuck.js';
import type { WatchTarget } from './watch-key.js';

export interface PollingOptions {
  /** Poll interval right after a change or a mutation. @default 1000 */
  minIntervalMs: number;
  /** Poll interval reached by backing off while nothing changes or polls fail. @default 15000 */
  maxIntervalMs: number;
  /** Consecutive failed polls before subscribers get an error event. @default 5 */
  outageAfter: number;
}

/** One upstream read of what a watch follows: its job, or its environment's latest jobs. */
export async function readJobs(aws: AmplifyBackend, target: WatchTarget): Promise<Job[]> {
  const { appId, environmentName, jobId } = target;
  if (jobId) return [await aws.call('GetBackendJob', { appId, backendEnvironmentName: environmentName, jobId })];
  const page = await aws.call('ListBackendJobs', { appId, backendEnvironmentName: environmentName, maxResults: JOBS_PAGE_SIZE });
  return page.jobs ?? [];
}

/**
 * A poll against the last: the jobs now known (the last ones updated, in their first-seen order)
 * and those to publish, in the order read: `changed`, new or changed by the service, and
 * `newlyStuck`, changed only by having run past the stuck threshold since the last poll (with
 * `timing`, each job read is marked by markStuck; jobVersion compares the mark). Only `changed`
 * paces polling: a job turning stuck is news for subscribers, not a reason to poll sooner. Jobs
 * without an id are not jobs to follow.
 */
export function diffJobs(last: ReadonlyMap<string, WatchedJob> | undefined, jobs: readonly Job[], timing?: JobTiming) {
  const known = new Map(last);
  const changed: WatchedJob[] = [];
  const newlyStuck: WatchedJob[] = [];
  for (const read of jobs) {
    if (!read.jobId) continue;
    const before = known.get(read.jobId);
    const job: WatchedJob = timing ? markStuck(read, timing, before) : read;
    if (before && jobVersion(before) === jobVersion(job)) continue;
    known.set(read.jobId, job);
    const onlyStuck = before !== undefined && job.stuck === true && jobVersion({ ...before, stuck: true }) === jobVersion(job);
    (onlyStuck ? newlyStuck : changed).push(job);
  }
  return { known, changed, newlyStuck };
}

// Polled this long after a job's expected end: the service's clock and this gateway's need not
// agree to the millisecond, and a poll a moment early costs a whole backoff interval.
export const END_MARGIN_MS = 100;

/**
 * When to poll next, in ms from now. With jobs running whose expected end (from a learned duration)
 * is still ahead, right after the first of those ends: never sooner than the minimum interval,
 * never later than the maximum (a job may end early), nor later than the backoff while another
 * running job has no expected end to wait for. Without one (nothing learned, or every expected end
 * passed with the job still running), the backoff.
 */
export function pacedDelay(options: {
  backoffMs: number;
  polling: Pick<PollingOptions, 'minIntervalMs' | 'maxIntervalMs'>;
  now: number;
  /** Expected ends (service clock, ms) of the jobs still running; undefined for one with none known. */
  ends: readonly (number | undefined)[];
}): number {
  const { backoffMs, polling, now, ends } = options;
  const ahead = ends.filter((end): end is number => end !== undefined && end > now);
  if (ahead.length === 0) return backoffMs;
  const planned = Math.max(polling.minIntervalMs, Math.min(...ahead) - now) + END_MARGIN_MS;
  const unplanned = ends.some((end) => end === undefined);
  return Math.min(planned, polling.maxIntervalMs, unplanned ? backoffMs : Infinity);
}

/**
 * The holder's side of one watch: polls when due, publishes on the bus what changed since its last
 * poll (its first poll as a snapshot), and paces itself, polling sooner after a change and backing
 * off while nothing changes or polls fail. A job watch has nothing more to do once its job is done.
 */
export function createPoller(options: {
  aws: AmplifyBackend;
  bus: EventBus;
  key: string;
  envKey: string;
  target: WatchTarget;
  polling: PollingOptions;
  scheduler: Scheduler;
  /** What subscribers were last sent (another instance's polls): the baseline when taking over. */
  known: () => ReadonlyMap<string, WatchedJob> | undefined;
  /** A NOT_FOUND now means "not readable yet" (a job just started by this gateway), not "never". */
  recentlyStarted: () => boolean;
  onPoll?: () => void;
  /** Marks the jobs read that are stuck (markStuck; none are without it), and is the service's clock. */
  timing?: JobTiming;
  /** What jobs seen to finish taught, shared by every poller: lets a poll come right after a job's expected end. */
  durations?: JobDurations;
}) {
  const { bus, key, envKey, target, polling, scheduler } = options;
  /** The last poll, what changes are found against. */
  let polled: Map<string, WatchedJob> | undefined;
  let interval = polling.minIntervalMs;
  let dueAt = 0;
  const serviceNow = options.timing?.now ?? Date.now;
  let failures = 0;
  let outageReported = false;
  let snapshotWanted = true;
  let inFlight = false;
  /** Hurried while a poll was in flight: what it read may be older than the change. */
  let hurriedInFlight = false;

  function publishSnapshot() {
    snapshotWanted = false;
    bus.publish(envKey, { kind: 'snapshot', watch: key, jobs: [...(polled?.values() ?? [])] });
  }

  async function poll() {
    // Taking over from another instance: changes since its last poll are changes to publish.
    if (!polled) {
      const known = options.known();
      if (known) polled = new Map(known);
    }
    options.onPoll?.();
    inFlight = true;
    /** Until the next poll: the backoff `interval`, or less to meet a job's expected end. */
    let wait = interval;
    try {
      const jobs = await readJobs(options.aws, target);
      failures = 0;
      outageReported = false;
      const first = !polled;
      const before = polled;
      const { known, changed, newlyStuck } = diffJobs(polled, jobs, options.timing);
      polled = known;
      if (!first) for (const job of [...changed, ...newlyStuck]) bus.publish(envKey, { kind: 'job', job });
      if (first || snapshotWanted) publishSnapshot();
      interval = changed.length > 0 || first ? polling.minIntervalMs : Math.min(interval * 1.5, polling.maxIntervalMs);
      learn(before, changed);
      wait = pace();
    } catch (error) {
      failed(error);
      wait = interval;
    } finally {
      inFlight = false;
      dueAt = scheduler.now() + wait;
      if (hurriedInFlight) {
        hurriedInFlight = false;
        interval = polling.minIntervalMs;
        dueAt = 0;
      }
    }
  }

  /**
   * Jobs this poller saw running and now sees finished teach their operation's duration: createTime
   * to updateTime when the service gives it, else to this poll. Jobs first seen finished (a
   * snapshot of old jobs) teach nothing: when they ended is not known.
   */
  function learn(before: ReadonlyMap<string, Job> | undefined, changed: readonly Job[]) {
    if (!options.durations || !before) return;
    const now = serviceNow();
    for (const job of changed) {
      const previous = before.get(job.jobId!);
      if (!previous || isTerminalStatus(previous.status) || jobState(job.status) !== 'COMPLETED') continue;
      const created = job.createTime ? parseTime(job.createTime) : NaN;
      const updated = job.updateTime ? parseTime(job.updateTime) : NaN;
      const ended = updated >= created && updated <= now ? updated : now;
      if (!Number.isNaN(created)) options.durations.record(job.operation, job.jobId, ended - created);
    }
  }

  /** The wait after a good poll: the backoff, or until just after the first expected end of a running job. */
  function pace(): number {
    const durations = options.durations;
    if (!durations || !polled) return interval;
    const ends: (number | undefined)[] = [];
    for (const job of polled.values()) {
      if (isTerminalStatus(job.status)) continue;
      const expected = durations.expected(job.operation);
      const created = job.createTime ? parseTime(job.createTime) : NaN;
      ends.push(expected === undefined || Number.isNaN(created) ? undefined : created + expected);
    }
    return pacedDelay({ backoffMs: interval, polling, now: serviceNow(), ends });
  }

  function failed(error: unknown) {
    const upstream = error instanceof UpstreamError ? error : undefined;
    if (upstream?.code === 'NOT_FOUND' && !options.recentlyStarted()) {
      bus.publish(envKey, { kind: 'notFound', watch: key, message: upstream.message });
      return;
    }
    if (upstream?.code !== 'NOT_FOUND') failures++;
    interval = Math.min(interval * 2, polling.maxIntervalMs);
    if (failures >= polling.outageAfter && !outageReported) {
      outageReported = true;
      bus.publish(envKey, {
        kind: 'error',
        watch: key,
        code: upstream?.code ?? 'UPSTREAM_ERROR',
        message: `Job status is unavailable: ${upstream?.message ?? String(error)}; still retrying`,
      });
    }
  }

  /** The job a job watch follows has finished: nothing of it will change. */
  const jobDone = () => Boolean(target.jobId && polled && isTerminalStatus([...polled.values()][0]?.status));

  return {
    /**
     * A turn of the lease holder: polls if due, and answers the milliseconds until the next poll
     * is due (Infinity once there is nothing more to poll: `ended`, or the job is done). A done
     * watch still answers a late instance's request for a snapshot.
     */
    async turn(ended: boolean): Promise<number> {
      const finished = ended || jobDone();
      if (!finished && scheduler.now() >= dueAt) await poll();
      if (finished && snapshotWanted && polled) publishSnapshot();
      return finished ? Infinity : dueAt - scheduler.now();
    },
    /** Something changed (a mutation, a kick): poll at the next turn, at the shortest interval. */
    hurry() {
      interval = polling.minIntervalMs;
      if (inFlight) hurriedInFlight = true;
      else dueAt = 0;
    },
    /** Another instance needs the current state: publish a snapshot at the next turn. */
    wantSnapshot() {
      snapshotWanted = true;
    },
    /** The jobs the last poll saw (none before the first). */
    polled: (): Iterable<WatchedJob> => polled?.values() ?? [],
  };
}

export type Poller = ReturnType<typeof createPoller>;
