import { randomUUID } from 'node:crypto';
import type { AmplifyBackend } from './aws/client.js';
import type { GatewayConfig } from './config.js';
import { createEventBus } from './jobs/events.js';
import { createMemoryLeases, createRedisLeases } from './jobs/lease.js';
import type { Scheduler } from './jobs/scheduler.js';
import type { JobTiming } from './jobs/stuck.js';
import { createJobWatcher } from './jobs/watcher.js';
import type { ReadCache } from './read-cache.js';
import { createReadInvalidation } from './read-invalidation.js';
import type { RedisClients } from './redis.js';

/**
 * What job subscriptions run on: the event bus and the poller leases, in memory or shared with
 * other instances over Redis, and the watcher whose pollers publish on the one and hold the other;
 * and the invalidation of kept reads, on the same bus, which those pollers announce jobs ending on.
 */
export function createJobRuntime(
  config: GatewayConfig,
  options: {
    aws: AmplifyBackend;
    /** Forgotten of an app, on every instance, when it is written to or a poller sees one of its jobs finish. */
    reads: ReadCache;
    redis: RedisClients | undefined;
    scheduler: Scheduler | undefined;
    /** The service's clock: stuck jobs are marked by it, and expected job ends read on it. */
    now: () => number;
  },
) {
  const { redis } = options;
  const bus = createEventBus({ redis, prefix: config.redisPrefix });
  const invalidations = createReadInvalidation({ bus, reads: options.reads });
  const leases = redis
    ? createRedisLeases(redis.publish, { owner: randomUUID(), ttlMs: config.jobLeaseMs, prefix: config.redisPrefix, outage: redis.outage })
    : createMemoryLeases(config.jobLeaseMs);
  const timing: JobTiming = { now: options.now, stuckAfterSeconds: config.jobStuckAfterSeconds };
  const jobs = createJobWatcher({
    aws: options.aws,
    bus,
    leases,
    polling: config.jobPolling,
    renewEveryMs: redis ? config.jobLeaseMs / 3 : Infinity,
    scheduler: options.scheduler,
    // Announced by the poller before the job event: whoever hears of the end reads afresh.
    onJobFinished: (appId) => invalidations.announce({ appId, resources: [] }),
    timing,
  });
  return { jobs, timing, bus, invalidations };
}
