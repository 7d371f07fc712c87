import type { Redis } from 'ioredis';

export interface RedisClients {
  /** Publishes events and runs the lease scripts. */
  publish: Redis;
  /** Held by SUBSCRIBE for job events. */
  subscribe: Redis;
}

/** Connects both, or fails with a message naming REDIS_URL (never its password). */
export async function connectRedis(url: string): Promise<RedisClients> {
  // Loaded only when Redis is configured: most single instances never need it.
  const { Redis } = await import('ioredis');
  const connect = async () => {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000 });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw new Error(`cannot reach Redis at REDIS_URL (${redact(url)}): ${(error as Error).message}`);
    }
    return client;
  };
  const publish = await connect();
  const subscribe = await connect().catch((error: unknown) => {
    publish.disconnect();
    throw error;
  });
  return { publish, subscribe };
}

export const redact = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');

/**
 * A Redis that is reconnecting queues commands instead of failing them: waits for `promise` at
 * most `timeoutMs`, then fails with `message`.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function pingRedis(redis: RedisClients, timeoutMs = 1000): Promise<string> {
  try {
    await withTimeout(redis.publish.ping(), timeoutMs, 'no answer');
    return 'ok';
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}
