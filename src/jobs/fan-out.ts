import type { Job } from '../loaders.js';
import type { JobEvent } from './events.js';
import { jobVersion, type WatchedJob } from './lifecycle.js';
import type { EventQueue } from './queue.js';
import type { WatchTarget } from './watch-key.js';

/** What a subscriber receives: first a `snapshot` (or `notFound`), then job changes and errors. */
export type WatchEvent = Extract<JobEvent, { kind: 'snapshot' | 'job' | 'notFound' | 'error' }>;

/**
 * From the event bus to one watch's subscribers, on every instance alike (whoever polled): keeps
 * the state they have been sent, so that one who joins late starts from it and a change already
 * sent is not sent twice.
 */
export function createFanOut(options: {
  key: string;
  target: WatchTarget;
}) {
  const { key, target } = options;
  const subscribers = new Set<EventQueue<WatchEvent>>();
  /** The state subscribers see; undefined until the first snapshot. */
  let jobs: Map<string, WatchedJob> | undefined;
  let notFound: string | undefined;

  const concerns = (job: Job) => !target.jobId || job.jobId === target.jobId;

  function deliver(event: WatchEvent) {
    for (const queue of subscribers) queue.push(event);
  }

  return {
    /** A new subscriber, sent the current state at once when there is one. */
    join(queue: EventQueue<WatchEvent>) {
      subscribers.add(queue);
      if (notFound !== undefined) queue.push({ kind: 'notFound', watch: key, message: notFound });
      else if (jobs) queue.push({ kind: 'snapshot', watch: key, jobs: [...jobs.values()] });
    },
    /** True when it was the last one. */
    leave(queue: EventQueue<WatchEvent>) {
      subscribers.delete(queue);
      return subscribers.size === 0;
    },
    /** Ends every subscription. */
    endAll() {
      for (const queue of [...subscribers]) queue.end();
    },
    /** A bus event of the watch's environment; the poller's own (kick, sync) are not for subscribers. */
    receive(event: JobEvent) {
      switch (event.kind) {
        case 'snapshot': {
          if (event.watch !== key || jobs) return;
          jobs = new Map(event.jobs.filter(concerns).map((j) => [j.jobId ?? '', j]));
          deliver({ kind: 'snapshot', watch: key, jobs: [...jobs.values()] });
          return;
        }
        case 'job': {
          const id = event.job.jobId;
          if (!jobs || !id || !concerns(event.job)) return;
          const known = jobs.get(id);
          if (known && jobVersion(known) === jobVersion(event.job)) return;
          jobs.set(id, event.job);
          deliver(event);
          return;
        }
        case 'notFound':
          if (event.watch !== key) return;
          notFound = event.message;
          deliver(event);
          return;
        case 'error':
          if (event.watch === key) deliver(event);
          return;
      }
    },
    /** What subscribers have been sent; undefined before the first snapshot. */
    get jobs(): ReadonlyMap<string, WatchedJob> | undefined {
      return jobs;
    },
    get notFound() {
      return notFound;
    },
    get size() {
      return subscribers.size;
    },
  };
}

export type FanOut = ReturnType<typeof createFanOut>;
