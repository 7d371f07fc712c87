import type { AmplifyBackend } from '../aws/client.js';
import { UpstreamError } from '../aws/errors.js';
import { JOBS_PAGE_SIZE, type Job } from '../loaders.js';
import type { EventBus, JobEvent } from './events.js';
import type { Leases } from './lease.js';
import { isTerminalStatus, jobVersion } from './lifecycle.js';
import { EventQueue } from './queue.js';
import { realScheduler, type Scheduler } from './scheduler.js';

export interface PollingOptions {
  /** Poll interval right after a change or a mutation. @default 1000 */
  minIntervalMs: number;
  /** Poll interval reached by backing off while nothing changes or polls fail. @default 15000 */
  maxIntervalMs: number;
  /** Consecutive failed polls before subscribers get an error event. @default 5 */
  outageAfter: number;
}

export interface EnvironmentKey {
  appId: string;
  environmentName: string;
}

export interface JobKey extends EnvironmentKey {
  jobId: string;
}

/** What a subscriber receives: first a `snapshot` (or `notFound`), then job changes and errors. */
export type WatchEvent = Extract<JobEvent, { kind: 'snapshot' | 'job' | 'notFound' | 'error' }>;

interface Watch {
  key: string;
  envKey: string;
  target: EnvironmentKey & { jobId?: string };
  subscribers: Set<EventQueue<WatchEvent>>;
  /** The state subscribers see, built from bus events; undefined until the first snapshot. */
  jobs: Map<string, Job> | undefined;
  notFound?: string;
  /** The holder's last poll, what changes are found against. */
  polled: Map<string, Job> | undefined;
  holdsLease: boolean;
  interval: number;
  dueAt: number;
  failures: number;
  outageReported: boolean;
  snapshotWanted: boolean;
  timer?: unknown;
  ticking: boolean;
  /** A kick or sync arrived during a tick: tick again right after. */
  again: boolean;
  unlisten: () => void;
}


const envKeyOf = (k: EnvironmentKey) => JSON.stringify([k.appId, k.environmentName]);

// A job the gateway itself just started may not be readable yet on an eventually consistent
// service; for this long a NOT_FOUND of it means "not yet", not "never".
const STARTED_GRACE_MS = 30_000;

/**
 * The pollers behind job subscriptions. One watch per job or environment and instance, however
 * many subscribers; one poller per watch cluster-wide (the lease holder), which publishes what it
 * finds on the event bus for every instance's subscribers.
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
}) {
  const { aws, bus, leases, polling } = options;
  const scheduler = options.scheduler ?? realScheduler;
  const watches = new Map<string, Watch>();
  const started = new Map<string, number>();
  let stopped = false;
  let polls = 0;

  function subscribe(target: EnvironmentKey & { jobId?: string }): EventQueue<WatchEvent> {
    if (stopped) throw new Error('the job watcher is stopped');
    const envKey = envKeyOf(target);
    const key = target.jobId ? `job:${JSON.stringify([target.appId, target.environmentName, target.jobId])}` : `env:${envKey}`;
    let watch = watches.get(key);
    if (!watch) {
      watch = createWatch(key, envKey, target);
      watches.set(key, watch);
      schedule(watch, 0);
    }
    const w = watch;
    const queue: EventQueue<WatchEvent> = new EventQueue(() => {
      w.subscribers.delete(queue);
      if (w.subscribers.size === 0) void dropWatch(w);
    });
    w.subscribers.add(queue);
    if (w.notFound !== undefined) queue.push({ kind: 'notFound', watch: key, message: w.notFound });
    else if (w.jobs) queue.push({ kind: 'snapshot', watch: key, jobs: [...w.jobs.values()] });
    return queue;
  }

  function createWatch(key: string, envKey: string, target: Watch['target']): Watch {
    const w: Watch = {
      key,
      envKey,
      target,
      subscribers: new Set(),
      jobs: undefined,
      polled: undefined,
      holdsLease: false,
      interval: polling.minIntervalMs,
      dueAt: 0,
      failures: 0,
      outageReported: false,
      snapshotWanted: true,
      ticking: false,
      again: false,
      unlisten: () => undefined,
    };
    w.unlisten = bus.listen(envKey, (event) => onEvent(w, event));
    return w;
  }

  async function dropWatch(w: Watch) {
    if (watches.get(w.key) !== w) return;
    watches.delete(w.key);
    scheduler.cancel(w.timer);
    w.unlisten();
    if (w.holdsLease) {
      w.holdsLease = false;
      await leases.release(w.key).catch(() => undefined);
    }
  }

  const concerns = (w: Watch, job: Job) => !w.target.jobId || job.jobId === w.target.jobId;

  function deliver(w: Watch, event: WatchEvent) {
    for (const queue of w.subscribers) queue.push(event);
  }

  function onEvent(w: Watch, event: JobEvent) {
    switch (event.kind) {
      case 'snapshot': {
        if (event.watch !== w.key || w.jobs) return;
        w.jobs = new Map(event.jobs.filter((j) => concerns(w, j)).map((j) => [j.jobId ?? '', j]));
        deliver(w, { kind: 'snapshot', watch: w.key, jobs: [...w.jobs.values()] });
        return;
      }
      case 'job': {
        const id = event.job.jobId;
        if (!w.jobs || !id || !concerns(w, event.job)) return;
        const known = w.jobs.get(id);
        if (known && jobVersion(known) === jobVersion(event.job)) return;
        w.jobs.set(id, event.job);
        if (isTerminalStatus(event.job.status)) options.onJobFinished?.(w.target.appId);
        deliver(w, event);
        return;
      }
      case 'notFound':
        if (event.watch !== w.key) return;
        w.notFound = event.message;
        deliver(w, event);
        return;
      case 'error':
        if (event.watch === w.key) deliver(w, event);
        return;
      case 'kick':
        if (event.jobId && w.target.jobId && event.jobId !== w.target.jobId) return;
        if (w.holdsLease) pollSoon(w);
        return;
      case 'sync':
        if (event.watch !== w.key || !w.holdsLease) return;
        w.snapshotWanted = true;
        pollSoon(w);
        return;
    }
  }

  function pollSoon(w: Watch) {
    w.interval = polling.minIntervalMs;
    if (w.ticking) {
      w.again = true;
      return;
    }
    w.dueAt = 0;
    schedule(w, 0);
  }

  function schedule(w: Watch, delayMs: number) {
    if (stopped || watches.get(w.key) !== w) return;
    scheduler.cancel(w.timer);
    w.timer = scheduler.schedule(() => tick(w), Math.max(0, delayMs));
  }

  async function tick(w: Watch) {
    if (w.ticking) return;
    w.ticking = true;
    try {
      try {
        w.holdsLease = await leases.acquire(w.key);
      } catch {
        w.holdsLease = false;
      }
      if (stopped || watches.get(w.key) !== w) return;
      if (!w.holdsLease) {
        // Another instance polls: ask it for the state until it comes, and be ready to take over.
        if (!w.jobs && w.notFound === undefined) bus.publish(w.envKey, { kind: 'sync', watch: w.key });
        schedule(w, leases.ttlMs / 4);
        return;
      }
      const finished = w.notFound !== undefined || (w.target.jobId && w.polled && isTerminalStatus([...w.polled.values()][0]?.status));
      if (!finished && scheduler.now() >= w.dueAt) await poll(w);
      if (finished && w.snapshotWanted && w.polled) publishSnapshot(w);
      const untilDue = finished ? Infinity : w.dueAt - scheduler.now();
      const next = Math.min(untilDue, options.renewEveryMs);
      if (Number.isFinite(next)) schedule(w, next);
    } finally {
      w.ticking = false;
    }
    if (w.again) {
      w.again = false;
      pollSoon(w);
    }
  }

  function publishSnapshot(w: Watch) {
    w.snapshotWanted = false;
    bus.publish(w.envKey, { kind: 'snapshot', watch: w.key, jobs: [...(w.polled?.values() ?? [])] });
  }

  async function poll(w: Watch) {
    const { appId, environmentName, jobId } = w.target;
    // Taking over from another instance: changes since its last poll are changes to publish.
    if (!w.polled && w.jobs) w.polled = new Map(w.jobs);
    polls++;
    try {
      const jobs = jobId
        ? [await aws.call('GetBackendJob', { appId, backendEnvironmentName: environmentName, jobId })]
        : ((await aws.call('ListBackendJobs', { appId, backendEnvironmentName: environmentName, maxResults: JOBS_PAGE_SIZE }))
            .jobs ?? []);
      w.failures = 0;
      w.outageReported = false;
      const first = !w.polled;
      const polled = w.polled ?? new Map<string, Job>();
      let changed = false;
      for (const job of jobs) {
        if (!job.jobId) continue;
        const known = polled.get(job.jobId);
        if (known && jobVersion(known) === jobVersion(job)) continue;
        polled.set(job.jobId, job);
        changed = true;
        if (!first) bus.publish(w.envKey, { kind: 'job', job });
      }
      w.polled = polled;
      if (first || w.snapshotWanted) publishSnapshot(w);
      w.interval = changed || first ? polling.minIntervalMs : Math.min(w.interval * 1.5, polling.maxIntervalMs);
    } catch (error) {
      const upstream = error instanceof UpstreamError ? error : undefined;
      if (upstream?.code === 'NOT_FOUND' && !recentlyStarted(w)) {
        bus.publish(w.envKey, { kind: 'notFound', watch: w.key, message: upstream.message });
        return;
      }
      if (upstream?.code !== 'NOT_FOUND') w.failures++;
      w.interval = Math.min(w.interval * 2, polling.maxIntervalMs);
      if (w.failures >= polling.outageAfter && !w.outageReported) {
        w.outageReported = true;
        bus.publish(w.envKey, {
          kind: 'error',
          watch: w.key,
          code: upstream?.code ?? 'UPSTREAM_ERROR',
          message: `Job status is unavailable: ${upstream?.message ?? String(error)}; still retrying`,
        });
      }
    } finally {
      w.dueAt = scheduler.now() + w.interval;
    }
  }

  function recentlyStarted(w: Watch) {
    if (!w.target.jobId) return false;
    const until = started.get(w.key);
    return until !== undefined && until > scheduler.now();
  }

  return {
    /** Events of one job: a snapshot (or notFound) first, then its changes. End the queue to leave. */
    watchJob: (key: JobKey) => subscribe(key),
    /** Events of every job of an environment: a snapshot of its latest jobs first, then changes. */
    watchEnvironment: (key: EnvironmentKey) => subscribe({ appId: key.appId, environmentName: key.environmentName }),
    /** A mutation through this gateway started or changed a job: pollers of its environment speed up. */
    jobStarted(key: EnvironmentKey & { jobId?: string }) {
      if (key.jobId) {
        const jobWatchKey = `job:${JSON.stringify([key.appId, key.environmentName, key.jobId])}`;
        started.set(jobWatchKey, scheduler.now() + STARTED_GRACE_MS);
        for (const [k, until] of started) if (until <= scheduler.now()) started.delete(k);
      }
      if (!stopped) bus.publish(envKeyOf(key), { kind: 'kick', jobId: key.jobId });
    },
    stats: () => ({
      watches: watches.size,
      pollers: [...watches.values()].filter((w) => w.holdsLease).length,
      subscribers: [...watches.values()].reduce((n, w) => n + w.subscribers.size, 0),
      polls,
    }),
    /**
     * Completes every subscription and stops polling. `abandon` leaves leases to expire instead of
     * releasing them, as a crashed instance would.
     */
    async stop({ abandon = false }: { abandon?: boolean } = {}) {
      stopped = true;
      const all = [...watches.values()];
      for (const w of all) scheduler.cancel(w.timer);
      for (const w of all) for (const queue of [...w.subscribers]) queue.end();
      await Promise.all(
        all.map(async (w) => {
          watches.delete(w.key);
          w.unlisten();
          if (w.holdsLease && !abandon) await leases.release(w.key).catch(() => undefined);
        }),
      );
    },
  };
}

export type JobWatcher = ReturnType<typeof createJobWatcher>;
