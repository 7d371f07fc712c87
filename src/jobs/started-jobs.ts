import type { Scheduler } from './scheduler.js';

// A job the gateway itself just started may not be readable yet on an eventually consistent
// service; for this long a NOT_FOUND of it means "not yet", not "never".
const STARTED_GRACE_MS = 30_000;

/** The jobs this gateway started a moment ago, by watch key; forgotten once their grace is over. */
export function createStartedJobs(scheduler: Scheduler) {
  /** Until when each is new. */
  const started = new Map<string, number>();
  return {
    add(key: string) {
      started.set(key, scheduler.now() + STARTED_GRACE_MS);
      for (const [k, until] of started) if (until <= scheduler.now()) started.delete(k);
    },
    isRecent: (key: string) => (started.get(key) ?? -Infinity) > scheduler.now(),
  };
}
