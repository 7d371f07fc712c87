import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from './helpers.js';
import { readmeExample } from './helpers-readme.js';
import { startTwoOnOneRedis } from './helpers-redis.js';

// With REDIS_URL, a client has one budget of upstream calls across every instance.

const keyA = 'a'.repeat(20);
const keyB = 'b'.repeat(20);
const appTree = readmeExample('app-tree')[0]!.body;

describe('the budget of upstream calls with Redis', () => {
  let cluster: Awaited<ReturnType<typeof startTwoOnOneRedis>>;
  let instances: Stack[];
  beforeAll(async () => {
    cluster = await startTwoOnOneRedis({
      access: { apiKeys: [{ key: keyA, scopes: ['read'] }, { key: keyB, scopes: ['read'] }] },
      limits: { costExtensions: true, maxUpstreamCalls: 30, upstreamCallsBurst: 30, upstreamCallsPerMinute: 60 },
    });
    instances = cluster.instances;
  });
  afterAll(() => cluster.stop());

  const ask = async (stack: Stack, key: string) => {
    const res = await stack.request({ query: appTree }, { 'x-api-key': key });
    return { status: res.status, cost: res.body.extensions?.cost, code: res.body.errors?.[0]?.extensions?.code };
  };

  it('is one bucket per client across instances: what one instance spent, the other cannot', async () => {
    const [a, b] = instances;
    // 30 in the bucket; 25 taken, 12 not spent given back: 17 left, on both instances.
    const first = await ask(a!, keyA);
    expect(first).toMatchObject({ status: 200, cost: { estimated: 25, actual: 13, budget: { remaining: 17, max: 30, restorePerSecond: 1 } } });
    // Alone, instance b would hold a full bucket of 30.
    const second = await ask(b!, keyA);
    expect(second).toMatchObject({ status: 429, code: 'RATE_LIMITED', cost: { estimated: 25, actual: 0, budget: { remaining: 17 } } });
    // Another client has its own bucket.
    expect(await ask(b!, keyB)).toMatchObject({ status: 200, cost: { budget: { remaining: 17 } } });
  });
});
