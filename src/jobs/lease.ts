import type { Redis } from 'ioredis';

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

export function createRedisLeases(redis: Redis, options: { owner: string; ttlMs: number; prefix: string }): Leases {
  const name = (key: string) => `${options.prefix}lease:${key}`;
  return {
    ttlMs: options.ttlMs,
    async acquire(key) {
      const result = await redis.eval(renewScript, 1, name(key), options.owner, String(options.ttlMs));
      return Number(result) === 1;
    },
    async release(key) {
      await redis.eval(releaseScript, 1, name(key), options.owner);
    },
  };
}
