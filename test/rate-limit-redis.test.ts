import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createRedisOutage } from '../src/redis.js';
import { createRedisRateLimiter } from '../src/security/rate-limit.js';
import type { Stack } from './helpers.js';
import { startTwoOnOneRedis } from './helpers-redis.js';

// Two instances on one real Redis (a redis-server of the tests' own) share each client's bucket.

const keyA = 'a'.repeat(20);
const keyB = 'b'.repeat(20);

describe('rate limits with Redis', () => {
  let cluster: Awaited<ReturnType<typeof startTwoOnOneRedis>>;
  let instances: Stack[];
  beforeAll(async () => {
    cluster = await startTwoOnOneRedis({
      access: { apiKeys: [{ key: keyA, scopes: ['read'] }, { key: keyB, scopes: ['read'] }] },
      limits: { rateLimitBurst: 3, rateLimitPerMinute: 1 },
    });
    instances = cluster.instances;
  });
  afterAll(() => cluster.stop());

  const ask = async (stack: Stack, key: string) => {
    const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  };

  it('gives a client its burst once across instances, not once per instance', async () => {
    const [a, b] = instances;
    const statuses = [];
    for (const stack of [a, b, a, b, a, b]) statuses.push((await ask(stack, keyA)).status);
    // Per instance, each would have let 3 through: 6 in all.
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    expect(await ask(a, keyA)).toEqual({ status: 429, retryAfter: '60' });
    // Another client has its own bucket.
    expect((await ask(b, keyB)).status).toBe(200);
  });

  it("keeps a client's debt (a bucket taken below empty) until it is paid back, not until a full bucket's time", async () => {
    const redis = new Redis(cluster.redis.url);
    onTestFinished(() => redis.disconnect());
    const outage = createRedisOutage(pino({ level: 'silent' }));
    // 1 call a second, 2 at most: 10 taken by force leaves -8, 10 s from full again.
    const limiter = createRedisRateLimiter(redis, { perMinute: 60, burst: 2, prefix: 'debt:', outage, bucket: 'calls' });
    expect(await limiter.take('spender', 10, true)).toMatchObject({ ok: true, remaining: expect.closeTo(-8, 0) });
    // The key lived only a full bucket's time (3 s) before: the debt was forgiven when it expired.
    expect(await redis.pttl('debt:calls:spender')).toBeGreaterThan(9_000);
  });
});

describe('rate limits when Redis does not answer', () => {
  let closedPort: number;
  let redis: Redis;
  beforeAll(async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterEach(() => redis?.disconnect());

  it('limits per instance meanwhile, and says so once', async () => {
    // A client that keeps reconnecting and queues commands, as the gateway's does during an outage.
    redis = new Redis(closedPort, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    const lines: { msg: string; level: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const outage = createRedisOutage(logger);
    const limiter = createRedisRateLimiter(redis, { perMinute: 1, burst: 2, prefix: 'unused:', outage, timeoutMs: 20 });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.take('client'));
    expect(results).toEqual([
      { ok: true, remaining: 1 },
      { ok: true, remaining: expect.closeTo(0, 2) },
      { ok: false, retryAfterMs: expect.any(Number), remaining: expect.closeTo(0, 2) },
      { ok: false, retryAfterMs: expect.any(Number), remaining: expect.closeTo(0, 2) },
    ]);
    expect((results[2] as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(59_000);
    expect(await limiter.take('other')).toEqual({ ok: true, remaining: 1 });
    expect(lines.filter((l) => l.msg.startsWith('Redis unavailable'))).toHaveLength(1);
  });
});
