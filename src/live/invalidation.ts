import type { AmplifyBackend, CallOptions, OperationInput, OperationName, OperationOutput } from '../aws/client.js';
import type { EventBus } from '../jobs/events.js';
import { isTerminalStatus } from '../jobs/lifecycle.js';
import type { EventQueue } from '../jobs/queue.js';
import type { JobWatcher, WatchEvent } from '../jobs/watcher.js';
import type { JobKey } from '../keys.js';
import type { ReadCache } from '../read-cache.js';
import { environmentIn, writtenResources } from './resources.js';

/**
 * The bus "environment" every instance's invalidations travel on: not an environment key (those
 * are JSON arrays, watch-key.ts), so no watch hears it.
 */
const channel = 'live-queries';

/**
 * What tells live queries that something they read changed, on every instance: writes through any
 * instance (announced on the event bus, which Redis carries to the others), and the ends of the
 * jobs app-wide writes start, which every instance with live queries they concern follows (one
 * job watch, polled by one instance cluster-wide).
 */
export function createInvalidation(parts: {
  /** Told on every instance of the resources (resources.ts) a write changed. */
  changed: (resources: readonly string[]) => void;
  /** Whether a live query of this instance depends on one of `resources`. */
  concerns: (resources: readonly string[]) => boolean;
  bus: EventBus;
  /** Forgotten for an app written to (by another instance too) before its live queries read it again. */
  reads: Pick<ReadCache, 'forgetApp'>;
  jobs: Pick<JobWatcher, 'subscribeJob'>;
}) {
  const followed = new Set<EventQueue<WatchEvent>>();

  const unlisten = parts.bus.listen(channel, (event) => {
    if (event.kind !== 'invalidate') return;
    parts.reads.forgetApp(event.appId);
    parts.changed(event.resources);
    if (event.job && parts.concerns(event.resources)) void follow(event.job, event.resources);
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
    /** `aws` whose successful writes invalidate what they changed, on every instance. */
    announceWrites(aws: AmplifyBackend): AmplifyBackend {
      return {
        ...aws,
        async call<K extends OperationName>(operation: K, input: OperationInput<K>, options?: CallOptions): Promise<OperationOutput<K>> {
          const output = await aws.call(operation, input, options);
          const written = writtenResources(operation, input);
          if (written) {
            const { appId, resources } = written;
            const { jobId, backendEnvironmentName } = output as { jobId?: string; backendEnvironmentName?: string };
            const environmentName = backendEnvironmentName ?? environmentIn(input)?.environmentName;
            const job = written.wholeApp && jobId && environmentName ? { appId, environmentName, jobId } : undefined;
            parts.bus.publish(channel, { kind: 'invalidate', appId, resources, ...(job ? { job } : {}) });
          }
          return output;
        },
      };
    },
    stop() {
      unlisten();
      for (const events of followed) events.end();
    },
  };
}
