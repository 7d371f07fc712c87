import type { AmplifyBackend, CallOptions, OperationInput, OperationName, OperationOutput } from './aws/client.js';
import type { EventBus } from './jobs/events.js';
import type { JobKey } from './keys.js';
import { environmentIn, writtenResources } from './live/resources.js';
import { isTerminalStatus } from './jobs/lifecycle.js';
import type { Job } from './loaders.js';
import type { ReadCache } from './read-cache.js';

/**
 * The bus "environment" every instance's invalidations travel on: not an environment key (those
 * are JSON arrays, watch-key.ts), so no watch hears it. Its name is the one the release before
 * used for live queries' invalidations, with the same message: during a rolling upgrade the old
 * instances and the new still forget what the other's writes changed.
 */
export const invalidationChannel = 'live-queries';
const channel = invalidationChannel;

/** Something changed what was read of `appId`: the `resources` (live/resources.ts) a write changed, and the job it started. */
export interface Invalidation {
  appId: string;
  /** None for a job seen to finish: the live queries that read its environment watch its jobs themselves. */
  resources: string[];
  /** The job an app-wide write started, which changes the app again when it ends. */
  job?: JobKey;
}

/** Jobs remembered as running, per instance: enough for every job a cluster's clients follow by reading. */
const maxRunningJobs = 10_000;

/**
 * The one way every instance learns that what it read of an app changed: a write through any
 * instance, or a job a poller (one per watch cluster-wide) sees finish. Each is announced on the
 * event bus (Redis carries it to the other instances), and on every instance forgets the app's
 * kept reads before anything else hears of it: the job event a poller publishes after its
 * announcement, or a live query told of the change, reads afresh.
 *
 * A client that follows a job by reading it (`jobs`, `pendingJob`, `backendJob`) rather than by a
 * subscription makes no poller see its end: a read that shows done a job this instance last saw
 * running (or started) is announced as a poller's would be, so what the job changed is read afresh
 * from the next request on.
 */
export function createReadInvalidation(parts: { bus: EventBus; reads: Pick<ReadCache, 'forgetApp'> }) {
  const listeners = new Set<(invalidation: Invalidation) => void>();

  const unlisten = parts.bus.listen(channel, (event) => {
    if (event.kind !== 'invalidate' || typeof event.appId !== 'string') return;
    parts.reads.forgetApp(event.appId);
    const { appId, resources, job } = event;
    for (const listener of [...listeners]) listener({ appId, resources: Array.isArray(resources) ? resources : [], ...(job ? { job } : {}) });
  });

  function announce(invalidation: Invalidation) {
    parts.bus.publish(channel, { kind: 'invalidate', ...invalidation });
  }

  /** Jobs seen running (or started) by this instance, by app and id, oldest first. */
  const running = new Map<string, true>();
  const jobKey = (appId: string, jobId: string) => JSON.stringify([appId, jobId]);
  function seen(appId: string, jobs: readonly Job[]) {
    let ended = false;
    for (const { jobId, status } of jobs) {
      if (!jobId) continue;
      const key = jobKey(appId, jobId);
      if (!isTerminalStatus(status)) {
        running.delete(key);
        running.set(key, true);
        if (running.size > maxRunningJobs) running.delete(running.keys().next().value as string);
      } else if (running.delete(key)) ended = true;
    }
    if (ended) announce({ appId, resources: [] });
  }

  function jobsIn(operation: OperationName, output: unknown): Job[] {
    if (operation === 'ListBackendJobs') return (output as { jobs?: Job[] }).jobs ?? [];
    if (operation === 'GetBackendJob') return [output as Job];
    return [];
  }

  /** `reads`, whose answers about jobs tell when a job seen running has ended. */
  function observeJobs(reads: ReadCache): ReadCache {
    return {
      async call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> {
        const output = await reads.call(operation, input);
        const { appId } = input as { appId?: unknown };
        if (typeof appId === 'string') seen(appId, jobsIn(operation, output));
        return output;
      },
      forgetApp: (appId) => reads.forgetApp(appId),
      get size() {
        return reads.size;
      },
      forClient: (client) => observeJobs(reads.forClient(client)),
    };
  }

  return {
    announce,
    observeJobs,
    /** Called on this instance for every invalidation, of any instance, after the kept reads are forgotten. */
    listen(listener: (invalidation: Invalidation) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    /** `aws` whose successful writes are announced: what they changed is forgotten on every instance. */
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
            if (jobId) seen(appId, [{ jobId, status: 'IN_PROGRESS' }]);
            announce({ appId, resources, ...(job ? { job } : {}) });
          }
          return output;
        },
      };
    },
    stop: unlisten,
  };
}

export type ReadInvalidation = ReturnType<typeof createReadInvalidation>;
