import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStorageJobUpstream } from './helpers.js';
import { eventually, startRedisInstances, startRedisServer, type RedisServer } from './helpers-redis.js';

// Gateway instances on one real Redis (a redis-server of the tests' own), each keeping reads for
// 10 minutes: only an invalidation explains an instance reading afresh within a test.
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(() => redis.kill());

const APP = 'd1todoapp00001';
const storages = `{ backendEnvironment(appId: "${APP}", name: "dev") { storages { resourceName } } }`;
const storageNames = (res: { data?: any }) => (res.data.backendEnvironment.storages as { resourceName: string }[]).map((s) => s.resourceName);
const kept = { upstreamCacheTtlMs: 600_000 };

describe('kept reads on gateway instances sharing one Redis', () => {
  it('a write through one instance forgets what another kept of the app, with no live query open', async () => {
    await using cluster = await startRedisInstances({ leaseMs: 1000, prefix: 'abg-cache', config: kept });
    const a = await cluster.instance(redis.url);
    const b = await cluster.instance(redis.url);
    const before = storageNames(await b.graphql(storages));
    cluster.emulator.resetStats();
    expect(storageNames(await b.graphql(storages))).toEqual(before);
    expect(cluster.emulator.stats()).toEqual({});

    const written = await a.graphql(`mutation { createBackendStorage(input: {
      appId: "${APP}", environmentName: "dev", resourceName: "written"
      config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`);
    expect(written.errors).toBeUndefined();
    // The service adds the storage when the job ends; nobody watches its jobs.
    await cluster.emulator.advance(3000);
    await eventually(async () => storageNames(await b.graphql(storages)).includes('written'), "b reading the storage a's write added");
    cluster.emulator.resetStats();
    // Kept again from there.
    expect(storageNames(await b.graphql(storages))).toContain('written');
    expect(cluster.emulator.stats()).toEqual({});
  });

  it('a job a poller sees finish forgets the app on every instance: at once where its environment is watched', async () => {
    await using cluster = await startRedisInstances({ leaseMs: 1000, prefix: 'abg-cache', config: kept });
    const [a, b, c] = [await cluster.instance(redis.url), await cluster.instance(redis.url), await cluster.instance(redis.url)];
    const watch = `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId state } }`;
    const onA = a.client.iterate({ query: watch });
    await eventually(() => a.gateway.jobs.stats().pollers === 1, "a polling the environment's jobs");
    const onB = b.client.iterate({ query: watch });
    await eventually(() => b.gateway.jobs.stats().watches === 1, 'b following the watch a polls');
    for (const instance of [a, b, c]) expect(storageNames(await instance.graphql(storages))).not.toContain('outside');

    // Behind the gateway's back: only the poller can tell.
    const jobId = await startStorageJobUpstream(cluster.emulator.url, 'outside');
    for (const events of [onA, onB]) expect((await events.next()).value).toEqual({ data: { backendJobs: { jobId, state: 'IN_PROGRESS' } } });
    cluster.emulator.resetStats();
    for (const instance of [a, b, c]) expect(storageNames(await instance.graphql(storages))).not.toContain('outside');
    expect(cluster.emulator.stats()).toEqual({});

    await cluster.emulator.advance(3000);
    // Who hears of the end over the subscription reads afresh at once, on the polling instance and
    // on the other: the invalidation went out before the job's event.
    for (const [instance, events] of [[a, onA], [b, onB]] as const) {
      expect((await events.next()).value).toEqual({ data: { backendJobs: { jobId, state: 'COMPLETED' } } });
      cluster.emulator.resetStats();
      expect(storageNames(await instance.graphql(storages))).toContain('outside');
      expect(cluster.emulator.stats()).toEqual({ GetBackend: 1 });
    }
    // An instance that watches nothing hears of it too.
    await eventually(async () => storageNames(await c.graphql(storages)).includes('outside'), 'c reading the storage the job added');
    expect(a.gateway.jobs.stats().pollers + b.gateway.jobs.stats().pollers + c.gateway.jobs.stats().pollers).toBe(1);
    await onA.return?.();
    await onB.return?.();
  });
});
