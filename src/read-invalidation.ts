import type { AmplifyBackend, CallOptions, OperationInput, OperationName, OperationOutput } from './aws/client.js';
import type { EventBus } from './jobs/events.js';
import type { JobKey } from './keys.js';
import { environmentIn, writtenResources } from './live/resources.js';
import type { ReadCache } from './read-cache.js';

/**
 * The bus "environment" every instance's invalidations travel on: not an environment key (those
 * are JSON arrays, watch-key.ts), so no watch hears it.
 */
const channel = 'invalidations';

/** Something changed what was read of `appId`: the `resources` (live/resources.ts) a write changed, and the job it started. */
export interface Invalidation {
  appId: string;
  /** None for a job seen to finish: the live queries that read its environment watch its jobs themselves. */
  resources: string[];
  /** The job an app-wide write started, which changes the app again when it ends. */
  job?: JobKey;
}

/**
 * The one way every instance learns that what it read of an app changed: a write through any
 * instance, or a job a poller (one per watch cluster-wide) sees finish. Each is announced on the
 * event bus (Redis carries it to the other instances), and on every instance forgets the app's
 * kept reads before anything else hears of it: the job event a poller publishes after its
 * announcement, or a live query told of the change, reads afresh.
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

  return {
    announce,
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
