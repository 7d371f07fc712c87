import { randomUUID } from 'node:crypto';
import type { AmplifyBackend } from './aws/client.js';
import type { GatewayConfig } from './config.js';
import { createEventBus } from './jobs/events.js';
import { createMemoryLeases, createRedisLeases } from './jobs/lease.js';
import type { Scheduler } from './jobs/scheduler.js';
import type { JobTiming } from './jobs/stuck.js';
import { createJobWatcher } from './jobs/watcher.js';
import type { ReadCache } from './read-cache.js';
import type { RedisClients } from './redis.js';

/**
 * What job subscriptions run on: the event bus and the poller leases, in memory or shared with
 * other instances over Redis, and the watcher whose pollers publish on the one and hold the other.
 */
export function createJobRuntime(
  config: GatewayConfig,
  options: {
    aws: AmplifyBackend;
    /** Forgets what was read of an app once one of its jobs finishes. */
    reads: ReadCache;
    redis: RedisClients | undefined;
    scheduler: Scheduler | undefined;
    /** The service's clock: stuck jobs are marked by it, and expected job ends read on it. */
    now: () => number;
  },
) {
  const { redis } = options;
  const bus = createEventBus({ redis, prefix: config.redisPrefix });
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
    onJobFinished: (appId) => options.reads.forgetApp(appId),
    timing,
  });
  return { jobs, timing, bus };
}
