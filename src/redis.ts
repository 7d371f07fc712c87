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

export async function pingRedis(redis: RedisClients, timeoutMs = 1000): Promise<string> {
  try {
    await Promise.race([
      redis.publish.ping(),
      new Promise((_, reject) => setTimeout(() => reject(new Error('no answer')), timeoutMs).unref()),
    ]);
    return 'ok';
  } catch (error) {
    return `unreachable: ${(error as Error).message}`;
  }
}
