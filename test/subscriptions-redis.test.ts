import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import type { Gateway } from '../src/server.js';
import { startStorageJobUpstream, until } from './helpers.js';
import { startRedisInstances, startRedisServer, type RedisServer } from './helpers-redis.js';

// Two gateway instances on one real Redis: a redis-server of the tests' own.
let redis: RedisServer;
let redisUrl: string;
beforeAll(async () => {
  redis = await startRedisServer();
  redisUrl = redis.url;
});
afterAll(() => redis.kill());

const APP = 'd1todoapp00001';
const leaseMs = 1000;

let cluster: Awaited<ReturnType<typeof startRedisInstances>>;
let emulator: Emulator;
let prefix: string;

beforeEach(async () => {
  cluster = await startRedisInstances({ leaseMs, prefix: 'abg-test' });
  ({ emulator, prefix } = cluster);
});
afterEach(() => cluster.stop());

const instance = () => cluster.instance(redisUrl);

async function startJob(gateway: Gateway, resourceName: string) {
  const res = await gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: `mutation { createBackendStorage(input: {
        appId: "${APP}", environmentName: "dev", resourceName: "${resourceName}"
        config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
    }),
  });
  const body = (await res.json()) as any;
  expect(body.errors).toBeUndefined();
  return body.data.createBackendStorage.job.jobId as string;
}

const polls = (g: Gateway) => g.jobs.stats().polls;

/** Lease scripts run on the tests' Redis so far (every acquire and renewal is one EVAL). */
async function leaseCalls() {
  await using client = redis.client();
  const stats = await client.info('commandstats');
  return Number(/^cmdstat_eval:calls=(\d+)/m.exec(stats)?.[1] ?? 0);
}

describe('two gateway instances on one Redis', () => {
  it('deliver every event to subscribers on both, with one instance polling', async () => {
    const a = await instance();
    const b = await instance();
    const jobId = await startJob(a.gateway, 'shared');
    const query = `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId state } }`;

    const onA = a.client.iterate({ query });
    expect((await onA.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    const onB = b.client.iterate({ query });
    expect((await onB.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');

    await emulator.advance(3000);
    expect((await onA.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await onB.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect(polls(a.gateway)).toBeGreaterThan(0);
    expect(polls(b.gateway)).toBe(0);
  });

  it('move polling to the other instance when the polling one dies, within the lease time', async () => {
    const a = await instance();
    const b = await instance();
    const query = `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId state } }`;
    const onA = a.client.iterate({ query });
    const endOfA = onA.next();
    await until(() => a.gateway.jobs.stats().pollers === 1, 'instance A to take the lease', 100_000);
    const onB = b.client.iterate({ query });
    await until(() => b.gateway.jobs.stats().subscribers === 1, 'the subscription on B', 100_000);

    // A dies without releasing its lease; B's subscriber keeps receiving once B polls.
    await a.gateway.stop({ abandonLeases: true });
    expect((await endOfA).done).toBe(true);
    const evalsAtDeath = await leaseCalls();
    const jobId = await startStorageJobUpstream(emulator.url, 'afterdeath');
    expect((await onB.next()).value?.data?.backendJobs).toEqual({ jobId, state: 'IN_PROGRESS' });
    expect(b.gateway.jobs.stats().pollers).toBe(1);
    // Within the lease time, counted in B's tries (one every quarter lease, each an EVAL, B being the
    // only instance left): at most two leases' worth of tries from A's death to B's event.
    const tries = (await leaseCalls()) - evalsAtDeath;
    expect(tries).toBeGreaterThan(0);
    expect(tries).toBeLessThanOrEqual(8);
  });

  it('release the leases on a clean stop', async () => {
    const a = await instance();
    const jobId = await startJob(a.gateway, 'released');
    const onA = a.client.iterate({
      query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { state } }`,
    });
    await onA.next();
    {
      await using look = redis.client();
      expect(await look.keys(`${prefix}lease:*`)).toHaveLength(1);
      await a.gateway.stop();
      expect(await look.keys(`${prefix}lease:*`)).toEqual([]);
    }
  });
});
