import type { AmplifyBackend } from '../aws/client.js';
import type { EnvironmentKey, JobKey } from '../keys.js';
import type { Job } from '../loaders.js';
import { createJobDurations } from './durations.js';
import type { EventBus } from './events.js';
import type { WatchEvent } from './fan-out.js';
import type { Leases } from './lease.js';
import type { PollingOptions } from './pacing.js';
import { EventQueue } from './queue.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import { createStartedJobs } from './started-jobs.js';
import type { JobTiming } from './stuck.js';
import { openWatch, type Watch, type WatchContext } from './watch.js';
import { environmentKey, watchKey, type WatchTarget } from './watch-key.js';

export type { PollingOptions } from './pacing.js';
export type { WatchEvent } from './fan-out.js';

/**
 * The pollers behind job subscriptions. One watch (watch.ts) per job or environment and instance,
 * however many subscribers; one poller per watch cluster-wide (the lease holder), which publishes
 * what it finds on the event bus for every instance's subscribers. This module keeps the watches:
 * opens one for its first subscriber, closes it after its last.
 */
export function createJobWatcher(options: {
  aws: AmplifyBackend;
  bus: EventBus;
  leases: Leases;
  polling: PollingOptions;
  /** Leases are renewed at least this often; Infinity when they never expire (no Redis). */
  renewEveryMs: number;
  /** @default real timers */
  scheduler?: Scheduler;
  /**
   * Told by the poller (one cluster-wide per watch) when it sees a job finish, before it publishes
   * the job's event: what was read of its app may have changed.
   */
  onJobFinished?: (appId: string) => void;
  /**
   * What makes a job stuck, and the service's clock (`timing.now`, createTime's): the pollers mark
   * stuck jobs, send each once more when it turns stuck, and read learned job ends on that clock.
   */
  timing?: JobTiming;
}) {
  const scheduler = options.scheduler ?? realScheduler;
  const started = createStartedJobs(scheduler);
  const watches = new Map<string, Watch>();
  let stopped = false;
  let polls = 0;
  const context: WatchContext = {
    ...options,
    scheduler,
    /** Typical job durations per operation, learned by every poller of this instance for all of them. */
    durations: createJobDurations(),
    recentlyStarted: started.isRecent,
    onPoll: () => polls++,
  };

  function subscribe(target: WatchTarget): EventQueue<WatchEvent> {
    if (stopped) throw new Error('the job watcher is stopped');
    const key = watchKey(target);
    let watch = watches.get(key);
    if (!watch) watches.set(key, (watch = openWatch(context, target)));
    const joined = watch;
    const queue: EventQueue<WatchEvent> = new EventQueue(() => {
      if (joined.fanOut.leave(queue)) void closeWatch(joined);
    });
    joined.fanOut.join(queue);
    return queue;
  }

  async function closeWatch(watch: Watch) {
    if (watches.get(watch.key) !== watch) return;
    watches.delete(watch.key);
    await watch.close();
  }

  return {
    /** Events of one job: a snapshot (or notFound) first, then its changes. End the queue to leave. */
    subscribeJob: (key: JobKey) => subscribe(key),
    /** Events of every job of an environment: a snapshot of its latest jobs first, then changes. */
    subscribeEnvironmentJobs: (key: EnvironmentKey) => subscribe({ appId: key.appId, environmentName: key.environmentName }),
    /** A mutation through this gateway started or changed a job: pollers of its environment speed up. */
    jobStarted(key: WatchTarget) {
      if (key.jobId) started.add(watchKey(key));
      if (!stopped) options.bus.publish(environmentKey(key), { kind: 'kick', jobId: key.jobId });
    },
    /** The jobs this instance's pollers last saw (done ones included), each once. */
    polledJobs: (): Job[] => {
      const byKey = new Map<string, Job>();
      for (const w of watches.values()) {
        if (!w.holdsLease) continue;
        for (const job of w.poller.polled()) byKey.set(JSON.stringify([w.target.appId, job.jobId]), job);
      }
      return [...byKey.values()];
    },
    stats: () => ({
      watches: watches.size,
      pollers: [...watches.values()].filter((w) => w.holdsLease).length,
      subscribers: [...watches.values()].reduce((n, w) => n + w.fanOut.size, 0),
      polls,
    }),
    /**
     * Completes every subscription and stops polling. `abandon` leaves leases to expire instead of
     * releasing them, as a crashed instance would.
     */
    async stop({ abandon = false }: { abandon?: boolean } = {}) {
      stopped = true;
      const all = [...watches.values()];
      watches.clear();
      for (const w of all) w.fanOut.endAll();
      await Promise.all(all.map((w) => w.close({ abandon })));
    },
  };
}

export type JobWatcher = ReturnType<typeof createJobWatcher>;
