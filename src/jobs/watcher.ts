import type { AmplifyBackend } from '../aws/client.js';
import type { Job } from '../loaders.js';
import { createJobDurations } from './durations.js';
import type { EventBus, JobEvent } from './events.js';
import { createFanOut, type FanOut, type WatchEvent } from './fan-out.js';
import type { Leases } from './lease.js';
import { createLeaseLoop, type LeaseLoop } from './lease-loop.js';
import { createPoller, type Poller, type PollingOptions } from './poll.js';
import { EventQueue } from './queue.js';
import { realScheduler, type Scheduler } from './scheduler.js';
import type { JobTiming } from './stuck.js';
import type { EnvironmentKey, JobKey } from '../keys.js';
import { environmentKey, watchKey, type WatchTarget } from './watch-key.js';

export type { PollingOptions } from './poll.js';
export type { WatchEvent } from './fan-out.js';

/** One job or environment watched by this instance: its subscribers, its poller, its lease. */
interface Watch {
  key: string;
  target: WatchTarget;
  fanOut: FanOut;
  poller: Poller;
  loop: LeaseLoop;
  unlisten: () => void;
}

// A job the gateway itself just started may not be readable yet on an eventually consistent
// service; for this long a NOT_FOUND of it means "not yet", not "never".
const STARTED_GRACE_MS = 30_000;

/**
 * The pollers behind job subscriptions. One watch per job or environment and instance, however
 * many subscribers; one poller per watch cluster-wide (the lease holder), which publishes what it
 * finds on the event bus for every instance's subscribers. The concerns live apart: the lease
 * loop (lease-loop.ts) decides who polls and when, the poller (poll.ts) polls and finds changes,
 * the fan-out (fan-out.ts) takes bus events to subscribers; this module puts them together.
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
  /** Told when a watched job is seen to finish: what was read of its app may have changed. */
  onJobFinished?: (appId: string) => void;
  /**
   * What makes a job stuck, and the service's clock (`timing.now`, createTime's): the pollers mark
   * stuck jobs, send each once more when it turns stuck, and read learned job ends on that clock.
   */
  timing?: JobTiming;
}) {
  const { bus } = options;
  const scheduler = options.scheduler ?? realScheduler;
  /** Typical job durations per operation, learned by every poller of this instance for all of them. */
  const durations = createJobDurations();
  const watches = new Map<string, Watch>();
  /** Watch keys of jobs this gateway started, and until when they are new. */
  const started = new Map<string, number>();
  let stopped = false;
  let polls = 0;

  function subscribe(target: WatchTarget): EventQueue<WatchEvent> {
    if (stopped) throw new Error('the job watcher is stopped');
    const key = watchKey(target);
    const watch = watches.get(key) ?? openWatch(key, target);
    const queue: EventQueue<WatchEvent> = new EventQueue(() => {
      if (watch.fanOut.leave(queue)) void dropWatch(watch);
    });
    watch.fanOut.join(queue);
    return queue;
  }

  function openWatch(key: string, target: WatchTarget): Watch {
    const envKey = environmentKey(target);
    const fanOut = createFanOut({ key, target, onJobFinished: options.onJobFinished });
    const poller = createPoller({
      aws: options.aws,
      bus,
      key,
      envKey,
      target,
      polling: options.polling,
      scheduler,
      known: () => fanOut.jobs,
      recentlyStarted: () => (started.get(key) ?? -Infinity) > scheduler.now(),
      onPoll: () => polls++,
      timing: options.timing,
      durations,
    });
    const loop = createLeaseLoop({
      key,
      leases: options.leases,
      scheduler,
      renewEveryMs: options.renewEveryMs,
      alive: () => !stopped && watches.get(key) === watch,
      hold: () => poller.turn(fanOut.notFound !== undefined),
      // Another instance polls: ask it for the state until it comes, and be ready to take over.
      follow: () => {
        if (!fanOut.jobs && fanOut.notFound === undefined) bus.publish(envKey, { kind: 'sync', watch: key });
      },
    });
    const watch: Watch = { key, target, fanOut, poller, loop, unlisten: () => undefined };
    watches.set(key, watch);
    watch.unlisten = bus.listen(envKey, (event) => onEvent(watch, event));
    loop.soon();
    return watch;
  }

  async function dropWatch(w: Watch) {
    if (watches.get(w.key) !== w) return;
    watches.delete(w.key);
    w.unlisten();
    await w.loop.stop();
  }

  function onEvent(w: Watch, event: JobEvent) {
    switch (event.kind) {
      case 'kick':
        if (event.jobId && w.target.jobId && event.jobId !== w.target.jobId) return;
        if (w.loop.holdsLease) pollSoon(w);
        return;
      case 'sync':
        if (event.watch !== w.key || !w.loop.holdsLease) return;
        w.poller.wantSnapshot();
        pollSoon(w);
        return;
      default:
        w.fanOut.receive(event);
    }
  }

  function pollSoon(w: Watch) {
    w.poller.hurry();
    w.loop.soon();
  }

  return {
    /** Events of one job: a snapshot (or notFound) first, then its changes. End the queue to leave. */
    watchJob: (key: JobKey) => subscribe(key),
    /** Events of every job of an environment: a snapshot of its latest jobs first, then changes. */
    watchEnvironment: (key: EnvironmentKey) => subscribe({ appId: key.appId, environmentName: key.environmentName }),
    /** A mutation through this gateway started or changed a job: pollers of its environment speed up. */
    jobStarted(key: EnvironmentKey & { jobId?: string }) {
      if (key.jobId) {
        started.set(watchKey(key), scheduler.now() + STARTED_GRACE_MS);
        for (const [k, until] of started) if (until <= scheduler.now()) started.delete(k);
      }
      if (!stopped) bus.publish(environmentKey(key), { kind: 'kick', jobId: key.jobId });
    },
    /** The jobs this instance's pollers last saw (done ones included), each once. */
    polledJobs: (): Job[] => {
      const byKey = new Map<string, Job>();
      for (const w of watches.values()) {
        if (!w.loop.holdsLease) continue;
        for (const job of w.poller.polled()) byKey.set(JSON.stringify([w.target.appId, job.jobId]), job);
      }
      return [...byKey.values()];
    },
    stats: () => ({
      watches: watches.size,
      pollers: [...watches.values()].filter((w) => w.loop.holdsLease).length,
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
      await Promise.all(
        all.map(async (w) => {
          w.unlisten();
          await w.loop.stop({ abandon });
        }),
      );
    },
  };
}

export type JobWatcher = ReturnType<typeof createJobWatcher>;
