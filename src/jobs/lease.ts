import type { Redis } from 'ioredis';
import { withTimeout, type RedisOutage } from '../redis.js';

/**
 * Who polls what. Without Redis every instance is alone and always holds its leases; with Redis a
 * lease is a key with an expiry, so one instance polls a job or environment cluster-wide and
 * another takes over once a dead holder's lease runs out.
 */
export interface Leases {
  /** Takes the lease, or keeps it when already held; false while another instance holds it. */
  acquire(key: string): Promise<boolean>;
  release(key: string): Promise<void>;
  readonly ttlMs: number;
}

export function createMemoryLeases(ttlMs: number): Leases {
  return { acquire: async () => true, release: async () => undefined, ttlMs };
}

// Renew only a lease we hold; release only a lease we hold.
const renewScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') and 1 or 0`;
const releaseScript = `
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0`;

/**
 * Leases in Redis. While Redis does not answer (or not within `timeoutMs`, or either connection of
 * this instance is down), `acquire` grants the lease locally: each instance then polls for its own
 * subscribers, since its events cannot reach the others anyway. Several instances may poll the
 * same job meanwhile, which costs upstream calls but loses nothing; once Redis answers, the next
 * renewal takes the lease in Redis again and whoever does not get it stops polling.
 */
export function createRedisLeases(
  redis: Redis,
  options: { owner: string; ttlMs: number; prefix: string; outage: RedisOutage; timeoutMs?: number },
): Leases {
  const name = (key: string) => `${options.prefix}lease:${key}`;
  // A poller waits for its lease at most this long, a fraction of the lease.
  const timeoutMs = options.timeoutMs ?? Math.min(1000, options.ttlMs / 4);
  const run = async (script: string, ...args: string[]) => {
    // Not while this instance cannot hear the others' events either: giving up its poller then
    // would leave its subscribers without news until its subscription is back.
    if (redis.status !== 'ready' || !options.outage.connected) throw new Error('Redis connections not ready');
    const result = await withTimeout(redis.eval(script, 1, ...args), timeoutMs, `no answer in ${timeoutMs} ms`);
    options.outage.succeeded();
    return result;
  };
  return {
    ttlMs: options.ttlMs,
    async acquire(key) {
      try {
        return Number(await run(renewScript, name(key), options.owner, String(options.ttlMs))) === 1;
      } catch (error) {
        options.outage.failed(error);
        return true;
      }
    },
    async release(key) {
      // A lease not released in an outage expires on its own.
      await run(releaseScript, name(key), options.owner).catch(options.outage.failed);
    },
  };
}
