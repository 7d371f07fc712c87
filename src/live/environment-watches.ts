import type { OperationName } from '../aws/client.js';
import type { WatchEvent } from '../jobs/fan-out.js';
import { isTerminalStatus, jobVersion, type WatchedJob } from '../jobs/lifecycle.js';
import type { EventQueue } from '../jobs/queue.js';
import { environmentKey } from '../jobs/watch-key.js';
import type { EnvironmentKey } from '../keys.js';
import type { Job, JobsPage } from '../loaders.js';

/**
 * What the runs of a live query read of one environment's jobs, newer reads over older: a change
 * that comes while a run's read is in flight is compared with the run before's.
 */
interface Seen {
  /** Each job it read, by id: its version. */
  versions: Map<string, string>;
  /** Whether it listed the environment's newest jobs (a first page). */
  listedNewest: boolean;
}

interface EnvironmentWatch {
  queue: EventQueue<WatchEvent>;
  seen: Seen;
}

const nothingSeen = (): Seen => ({ versions: new Map(), listedNewest: false });

/**
 * The environments one live query read, each watched through the job watcher for as long as its
 * runs read it: a job changing there, whoever changed it (this gateway, another instance, the
 * Amplify console), runs the live query again. The watcher keeps one watch, and one poller
 * cluster-wide, per environment, however many live queries (and subscriptions) follow it.
 *
 * A view that read the environment's jobs runs again when a job it did not see, or saw in another
 * version, shows up; a view that read none of them (only resources) runs again when a job ends,
 * as a job's end is what changes resources. The first event of a watch is its current state,
 * possibly polled after the run read: it counts as a change only where it differs from the read.
 */
export function createEnvironmentWatches(options: {
  /** The request's own subscribe, where per-app access is checked (src/context.ts). */
  subscribe: (key: EnvironmentKey) => EventQueue<WatchEvent>;
  changed: () => void;
}) {
  const watches = new Map<string, EnvironmentWatch>();
  let closed = false;

  function watch(key: EnvironmentKey): EnvironmentWatch | undefined {
    const name = environmentKey(key);
    let found = watches.get(name);
    if (found || closed) return found;
    let queue: EventQueue<WatchEvent>;
    try {
      queue = options.subscribe(key);
    } catch {
      return undefined; // The watcher is stopping with the gateway.
    }
    found = { queue, seen: nothingSeen() };
    watches.set(name, found);
    void follow(name, found);
    return found;
  }

  async function follow(name: string, watch: EnvironmentWatch) {
    for await (const event of watch.queue) {
      // Refused (per-app access) or an environment the service does not know: nothing to follow.
      if (event.kind === 'notFound') break;
      if (changes(event, watch.seen)) options.changed();
    }
    watch.queue.end();
    if (watches.get(name) === watch) watches.delete(name);
  }

  return {
    /** A run is about to read `key`: watched from now, so that no change after the read is missed. */
    reading(key: EnvironmentKey) {
      watch(key);
    },
    /** What a run read of the environment's jobs, compared with what its watch reports. */
    read(key: EnvironmentKey, operation: OperationName, input: unknown, output: unknown) {
      const seen = watches.get(environmentKey(key))?.seen;
      if (!seen) return;
      const jobs = operation === 'ListBackendJobs' ? ((output as JobsPage).jobs ?? []) : operation === 'GetBackendJob' ? [output as Job] : [];
      for (const job of jobs) if (job.jobId) seen.versions.set(job.jobId, jobVersion(job));
      if (operation === 'ListBackendJobs' && !(input as { nextToken?: string }).nextToken) seen.listedNewest = true;
    },
    /** After the latest run: the environments it did not read are no longer watched. */
    keepOnly(read: ReadonlySet<string>) {
      for (const [name, w] of watches) {
        if (read.has(name)) continue;
        watches.delete(name);
        w.queue.end();
      }
    },
    close() {
      closed = true;
      for (const w of watches.values()) w.queue.end();
      watches.clear();
    },
    get size() {
      return watches.size;
    },
  };
}

function changes(event: WatchEvent, seen: Seen): boolean {
  const readJobs = seen.versions.size > 0 || seen.listedNewest;
  switch (event.kind) {
    case 'job':
      return readJobs ? differs(event.job, seen) : isTerminalStatus(event.job.status);
    case 'snapshot': {
      if (!readJobs) return false;
      // A read carries no stuck mark (the pollers add it): the snapshot is compared without it.
      if (event.jobs.some((job) => seen.versions.has(job.jobId ?? '') && differs({ ...job, stuck: undefined }, seen))) return true;
      // Both lists are newest first: a newest job the run did not list started after it read.
      const newest = event.jobs[0]?.jobId;
      return seen.listedNewest && newest !== undefined && !seen.versions.has(newest);
    }
    default:
      // A poll failing or the environment unknown: a run again would read the same.
      return false;
  }
}

const differs = (job: WatchedJob, seen: Seen) => !job.jobId || seen.versions.get(job.jobId) !== jobVersion(job);
