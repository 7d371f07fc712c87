import type { EventQueue } from '../jobs/queue.js';
import type { JobWatcher, WatchEvent } from '../jobs/watcher.js';
import type { JobKey } from '../keys.js';
import { isTerminalStatus } from '../jobs/lifecycle.js';
import type { ReadCache } from '../read-cache.js';
import type { ReadInvalidation } from '../read-invalidation.js';

/**
 * What tells live queries that something they read changed, on every instance: the invalidations
 * of read-invalidation.ts (writes through any instance), and the ends of the jobs app-wide writes
 * start, which every instance with live queries they concern follows (one job watch, polled by one
 * instance cluster-wide).
 */
export function createInvalidation(parts: {
  /** Told on every instance of the resources (resources.ts) a write changed. */
  changed: (resources: readonly string[]) => void;
  /** Whether a live query of this instance depends on one of `resources`. */
  concerns: (resources: readonly string[]) => boolean;
  invalidations: Pick<ReadInvalidation, 'listen'>;
  /** Forgotten for an app whose job was found done when its follow began (no poller saw it finish). */
  reads: Pick<ReadCache, 'forgetApp'>;
  jobs: Pick<JobWatcher, 'subscribeJob'>;
}) {
  const followed = new Set<EventQueue<WatchEvent>>();

  const unlisten = parts.invalidations.listen(({ resources, job }) => {
    if (resources.length === 0) return;
    parts.changed(resources);
    if (job && parts.concerns(resources)) void follow(job, resources);
  });

  /**
   * An app-wide write's job changes the app when it ends (the service adds an environment only
   * then): its resources change again at its end. Followed only where live queries depend on them;
   * a view of one environment needs no such follow, as it watches its environment's jobs itself.
   */
  async function follow(job: JobKey, resources: string[]) {
    let events: EventQueue<WatchEvent>;
    try {
      events = parts.jobs.subscribeJob(job);
    } catch {
      return; // The watcher is stopping with the gateway.
    }
    followed.add(events);
    try {
      for await (const event of events) {
        if (event.kind === 'notFound') return;
        const seen = event.kind === 'snapshot' ? event.jobs : event.kind === 'job' ? [event.job] : [];
        if (seen.some((j) => j.jobId === job.jobId && isTerminalStatus(j.status))) {
          parts.reads.forgetApp(job.appId);
          return parts.changed(resources);
        }
      }
    } finally {
      followed.delete(events);
      events.end();
    }
  }

  return {
    stop() {
      unlisten();
      for (const events of followed) events.end();
    },
  };
}
