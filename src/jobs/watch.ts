import type { AmplifyBackend } from '../aws/client.js';
import type { JobDurations } from './durations.js';
import type { EventBus, JobEvent } from './events.js';
import { createFanOut } from './fan-out.js';
import type { Leases } from './lease.js';
import { createLeaseLoop } from './lease-loop.js';
import type { PollingOptions } from './pacing.js';
import { createPoller } from './poll.js';
import type { Scheduler } from './scheduler.js';
import type { JobTiming } from './stuck.js';
import { environmentKey, watchKey, type WatchTarget } from './watch-key.js';

/** What every watch of one watcher shares. */
export interface WatchContext {
  aws: AmplifyBackend;
  bus: EventBus;
  leases: Leases;
  polling: PollingOptions;
  renewEveryMs: number;
  scheduler: Scheduler;
  timing?: JobTiming;
  durations: JobDurations;
  onJobFinished?: (appId: string) => void;
  /** Whether the job this key names was started by this gateway a moment ago. */
  recentlyStarted: (key: string) => boolean;
  onPoll: () => void;
}

/**
 * One job or environment watched by this instance: its subscribers (the fan-out), its poller and
 * its lease loop, wired to the event bus. The lease loop decides who polls and when, the poller
 * polls and finds changes, the fan-out takes bus events to subscribers; bus events that ask for a
 * poll (`kick`, `sync`) go to the poller, when this instance holds the lease.
 */
export function openWatch(ctx: WatchContext, target: WatchTarget) {
  const { bus, scheduler } = ctx;
  const key = watchKey(target);
  const envKey = environmentKey(target);
  let closed = false;
  const fanOut = createFanOut({ key, target });
  const poller = createPoller({
    aws: ctx.aws,
    bus,
    key,
    envKey,
    target,
    polling: ctx.polling,
    scheduler,
    known: () => fanOut.jobs,
    recentlyStarted: () => ctx.recentlyStarted(key),
    onPoll: ctx.onPoll,
    timing: ctx.timing,
    durations: ctx.durations,
    onJobFinished: ctx.onJobFinished,
  });
  const loop = createLeaseLoop({
    key,
    leases: ctx.leases,
    scheduler,
    renewEveryMs: ctx.renewEveryMs,
    alive: () => !closed,
    hold: () => poller.turn(fanOut.notFound !== undefined),
    // Another instance polls: ask it for the state until it comes, and be ready to take over.
    follow: () => {
      if (!fanOut.jobs && fanOut.notFound === undefined) bus.publish(envKey, { kind: 'sync', watch: key });
    },
  });

  function pollSoon() {
    poller.hurry();
    loop.soon();
  }

  function onEvent(event: JobEvent) {
    switch (event.kind) {
      case 'kick':
        if (event.jobId && target.jobId && event.jobId !== target.jobId) return;
        if (loop.holdsLease) pollSoon();
        return;
      case 'sync':
        if (event.watch !== key || !loop.holdsLease) return;
        poller.wantSnapshot();
        pollSoon();
        return;
      default:
        fanOut.receive(event);
    }
  }

  const unlisten = bus.listen(envKey, onEvent);
  loop.soon();

  return {
    key,
    target,
    fanOut,
    poller,
    get holdsLease() {
      return loop.holdsLease;
    },
    /**
     * No more polls or bus events; the lease is released unless `abandon` (left to expire, as a
     * crashed instance would). Subscribers still joined are not ended.
     */
    async close({ abandon = false }: { abandon?: boolean } = {}) {
      closed = true;
      unlisten();
      await loop.stop({ abandon });
    },
  };
}

export type Watch = ReturnType<typeof openWatch>;
