import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../src/server.js';
import { eventually, startRedisInstances, startRedisServer, type RedisServer } from './helpers-redis.js';

// Two gateway instances on one real Redis: a redis-server of the tests' own.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.kill());

const APP = 'd1todoapp00001';

async function mutate(gateway: Gateway, query: string) {
  const res = await gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = (await res.json()) as { errors?: unknown };
  expect(body.errors).toBeUndefined();
}

describe('live queries on two gateway instances with one Redis', () => {
  it("a write through one instance sends the other's live queries again, even with reads kept there", async () => {
    await using cluster = await startRedisInstances({
      leaseMs: 1000,
      prefix: 'abg-live',
      // Kept reads: instance b answers from what it kept unless a's write reaches it.
      config: { liveQueries: { maxPerClient: 10, minIntervalMs: 0 }, upstreamCacheTtlMs: 60_000 },
    });
    const a = await cluster.instance(redis.url);
    const b = await cluster.instance(redis.url);
    // The app's environments: no job of theirs is watched, so only the write's invalidation can tell b.
    const environments = b.client.iterate({ query: `query @live { app(appId: "${APP}") { environments { name } } }` });
    expect((await environments.next()).value).toEqual({ data: { app: { environments: [{ name: 'dev' }, { name: 'prod' }] } }, isLive: true });

    await mutate(a.gateway, `mutation { createBackend(input: { appId: "${APP}", appName: "todo-app", environmentName: "qa" }) { job { jobId } } }`);
    // At once: the write. The service adds the environment when the write's job ends.
    expect((await environments.next()).value).toEqual({ data: { app: { environments: [{ name: 'dev' }, { name: 'prod' }] } }, isLive: true });
    await cluster.emulator.advance(3000);
    expect((await environments.next()).value).toEqual({
      data: { app: { environments: [{ name: 'dev' }, { name: 'prod' }, { name: 'qa' }] } },
      isLive: true,
    });
    expect(b.gateway.liveQueries()).toEqual({ open: 1, runs: 3, watching: 0 });
    await environments.return?.();
  });

  it("a job's end reaches live queries on both instances from one poller", async () => {
    await using cluster = await startRedisInstances({
      leaseMs: 1000,
      prefix: 'abg-live',
      config: { liveQueries: { maxPerClient: 10, minIntervalMs: 0 } },
    });
    const a = await cluster.instance(redis.url);
    const b = await cluster.instance(redis.url);
    const query = `query @live { backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 1) { edges { node { operation state } } } } }`;
    const state = (result: IteratorResult<unknown>) =>
      (result.value as { data: { backendEnvironment: { jobs: { edges: { node: { state: string } }[] } } } }).data.backendEnvironment.jobs.edges[0].node.state;
    const onA = a.client.iterate({ query });
    const onB = b.client.iterate({ query });
    expect(state(await onA.next())).toBe('COMPLETED');
    expect(state(await onB.next())).toBe('COMPLETED');

    await mutate(a.gateway, `mutation { createBackendStorage(input: {
      appId: "${APP}", environmentName: "dev", resourceName: "photos", config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`);
    expect(state(await onA.next())).toBe('IN_PROGRESS');
    expect(state(await onB.next())).toBe('IN_PROGRESS');
    const pollers = () => a.gateway.jobs.stats().pollers + b.gateway.jobs.stats().pollers;
    await eventually(() => pollers() === 1, 'one poller for both instances');

    await cluster.emulator.advance(3000);
    // The poller's event of the new job may come while a run reads it: that runs once more, with
    // the same answer (IN_PROGRESS, unless the job ended meanwhile). Then the job's end.
    const stateAfter = async (results: typeof onA, previous: string) => {
      for (;;) {
        const next = state(await results.next());
        if (next !== previous) return next;
      }
    };
    expect(await stateAfter(onA, 'IN_PROGRESS')).toBe('COMPLETED');
    expect(await stateAfter(onB, 'IN_PROGRESS')).toBe('COMPLETED');
    expect(pollers()).toBe(1);
    await onA.return?.();
    await onB.return?.();
  });
});
