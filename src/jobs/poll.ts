import type { AmplifyBackend } from '../aws/client.js';
import { JOBS_PAGE_SIZE, type Job } from '../loaders.js';
import type { JobDurations } from './durations.js';
import type { EventBus, JobEvent } from './events.js';
import { isTerminalStatus, jobVersion, type WatchedJob } from './lifecycle.js';
import { createPacing, type PollingOptions } from './pacing.js';
import { createPollFailures } from './poll-failures.js';
import type { Scheduler } from './scheduler.js';
import { markStuck, type JobTiming } from './stuck.js';
import type { WatchTarget } from './watch-key.js';

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
  /** A job changed to done since the last poll: told before its event is published. */
  onJobFinished?: (appId: string) => void;
}) {
  const { bus, key, envKey, target } = options;
  const publish = (event: JobEvent) => bus.publish(envKey, event);
  const pacing = createPacing({
    polling: options.polling,
    scheduler: options.scheduler,
    serviceNow: options.timing?.now ?? Date.now,
    durations: options.durations,
  });
  const failures = createPollFailures({
    watch: key,
    outageAfter: options.polling.outageAfter,
    recentlyStarted: options.recentlyStarted,
    publish,
  });
  /** The last poll, what changes are found against. */
  let polled: Map<string, WatchedJob> | undefined;
  let snapshotWanted = true;

  function publishSnapshot() {
    snapshotWanted = false;
    publish({ kind: 'snapshot', watch: key, jobs: [...(polled?.values() ?? [])] });
  }

  async function poll() {
    // Taking over from another instance: changes since its last poll are changes to publish.
    if (!polled) {
      const known = options.known();
      if (known) polled = new Map(known);
    }
    options.onPoll?.();
    let wait = pacing.pollStarted();
    try {
      const jobs = await readJobs(options.aws, target);
      failures.succeeded();
      const before = polled;
      const { known, changed, newlyStuck } = diffJobs(polled, jobs, options.timing);
      polled = known;
      if (before && changed.some((job) => isTerminalStatus(job.status))) options.onJobFinished?.(target.appId);
      if (before) for (const job of [...changed, ...newlyStuck]) publish({ kind: 'job', job });
      if (!before || snapshotWanted) publishSnapshot();
      wait = pacing.polled(before, changed, known);
    } catch (error) {
      wait = pacing.failed(failures.failed(error));
    } finally {
      pacing.pollEnded(wait);
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
      if (!finished && pacing.isDue()) await poll();
      if (finished && snapshotWanted && polled) publishSnapshot();
      return finished ? Infinity : pacing.untilDue();
    },
    /** Something changed (a mutation, a kick): poll at the next turn, at the shortest interval. */
    hurry: pacing.hurry,
    /** Another instance needs the current state: publish a snapshot at the next turn. */
    wantSnapshot() {
      snapshotWanted = true;
    },
    /** The jobs the last poll saw (none before the first). */
    polled: (): Iterable<WatchedJob> => polled?.values() ?? [],
  };
}

export type Poller = ReturnType<typeof createPoller>;
