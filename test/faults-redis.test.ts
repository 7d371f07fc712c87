import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import type { Gateway } from '../src/server.js';
import pino from 'pino';
import { createEventBus, type JobEvent } from '../src/jobs/events.js';
import { connectRedis, closeRedis } from '../src/redis.js';
import { startStorageJobUpstream, until } from './helpers.js';
import { eventually, startRedisInstances, startRedisServer, type LogLine, type RedisServer } from './helpers-redis.js';

// Two gateway instances on a redis-server of the test's own, which the test kills and restarts.
const APP = 'd1todoapp00001';
const leaseMs = 600;

let cluster: Awaited<ReturnType<typeof startRedisInstances>>;
let emulator: Emulator;
let prefix: string;
let unhandled: unknown[];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeEach(async () => {
  cluster = await startRedisInstances({ leaseMs, prefix: 'abg-fault' });
  ({ emulator, prefix } = cluster);
  unhandled = [];
  process.on('unhandledRejection', onUnhandled);
});

afterEach(async () => {
  await cluster.stop();
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

const instance = (redis: RedisServer) => cluster.instance(redis.url);

const outageLines = (logs: LogLine[]) => logs.filter((l) => /Redis (is )?unavailable/i.test(l.msg));

async function graphql(gateway: Gateway, query: string) {
  const res = await gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

const createStorage = (resourceName: string, appId = APP, environmentName = 'dev') => `mutation {
  createBackendStorage(input: { appId: "${appId}", environmentName: "${environmentName}", resourceName: "${resourceName}"
  config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`;

const environmentQuery = `{ backendEnvironment(appId: "${APP}", name: "dev") { name } }`;

/** Starts a job behind the gateways' backs (no kick): only polling can find it. */
const startJobUpstream = (resourceName: string) => startStorageJobUpstream(emulator.url, resourceName);

describe('gateway instances when their Redis dies', () => {
  it('keep serving queries, mutations and subscriptions, and log the outage once', async () => {
    await using redis = await startRedisServer();
    const a = await instance(redis);
    const b = await instance(redis);
    const created = await graphql(a.gateway, createStorage('beforekill'));
    expect(created.errors).toBeUndefined();
    const jobId = created.data.createBackendStorage.job.jobId as string;
    const query = `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId state } }`;
    const onA = a.client.iterate({ query });
    expect((await onA.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    await until(() => a.gateway.jobs.stats().pollers === 1, 'instance A to take the lease', 100_000);
    const onB = b.client.iterate({ query });
    expect((await onB.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    expect(b.gateway.jobs.stats().pollers).toBe(0);

    await redis.kill();

    // Queries and mutations carry on; a mutation's kick cannot reach Redis.
    expect((await graphql(a.gateway, environmentQuery)).data).toEqual({ backendEnvironment: { name: 'dev' } });
    const during = await graphql(b.gateway, createStorage('duringoutage', 'd2gallery00002', 'staging'));
    expect(during.errors).toBeUndefined();

    // Each instance polls for its own subscribers meanwhile: both see the job finish, once.
    await emulator.advance(3000);
    expect((await onA.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await onB.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await onA.next()).done).toBe(true);
    expect((await onB.next()).done).toBe(true);

    for (const x of [a, b]) {
      const ready = await x.ready();
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis).toMatch(/^unreachable/);
    }
    // More commands fail (a query, a mutation, rate limits, lease renewals): still one line per instance.
    for (let i = 0; i < 5; i++) await graphql(a.gateway, environmentQuery);
    expect(outageLines(a.logs)).toHaveLength(1);
    expect(outageLines(b.logs)).toHaveLength(1);
    expect(outageLines(a.logs)[0].level).toBe(40);
  });

  it('carry on while Redis hangs without closing its connections, and recover when it answers', async () => {
    await using redis = await startRedisServer();
    const a = await instance(redis);
    const b = await instance(redis);
    const created = await graphql(a.gateway, createStorage('beforehang'));
    const jobId = created.data.createBackendStorage.job.jobId as string;
    const query = `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId state } }`;
    const onA = a.client.iterate({ query });
    expect((await onA.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    const onB = b.client.iterate({ query });
    expect((await onB.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');

    {
      await using _paused = redis.pause();
      // Rate limits wait at most 250 ms for Redis, then are kept per instance.
      expect((await graphql(b.gateway, environmentQuery)).data).toEqual({ backendEnvironment: { name: 'dev' } });
      await emulator.advance(3000);
      expect((await onA.next()).value?.data?.backendJob.state).toBe('COMPLETED');
      expect((await onB.next()).value?.data?.backendJob.state).toBe('COMPLETED');
      expect(outageLines(b.logs)).toHaveLength(1);
    }
    await graphql(b.gateway, environmentQuery);
    await eventually(() => b.logs.some((l) => /Redis answers again/.test(l.msg)), 'the recovery to be logged');
    expect(outageLines(b.logs)).toHaveLength(1);
  });

  it('finish a mutation that was in flight when Redis died', async () => {
    await using redis = await startRedisServer();
    const a = await instance(redis);
    emulator.faults.inject({ operation: 'CreateBackendStorage', type: 'latency', delayMs: 300 });
    const inFlight = graphql(a.gateway, createStorage('inflight'));
    await eventually(() => (emulator.stats().CreateBackendStorage ?? 0) === 1, 'the mutation to reach upstream');
    await redis.kill();
    const result = await inFlight;
    expect(result.errors).toBeUndefined();
    expect(result.data.createBackendStorage.job.jobId).toEqual(expect.any(String));
    expect((await graphql(a.gateway, environmentQuery)).data).toEqual({ backendEnvironment: { name: 'dev' } });
    await eventually(() => outageLines(a.logs).length === 1, 'the outage to be logged');
  });

  it('share events and leases again once Redis is back', async () => {
    await using redis = await startRedisServer();
    const a = await instance(redis);
    const b = await instance(redis);
    const query = `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId state } }`;
    const onA = a.client.iterate({ query });
    const onB = b.client.iterate({ query });
    await until(() => a.gateway.jobs.stats().subscribers === 1 && b.gateway.jobs.stats().subscribers === 1, 'both subscriptions', 100_000);
    await until(() => a.gateway.jobs.stats().pollers + b.gateway.jobs.stats().pollers === 1, 'one poller', 100_000);

    await redis.kill();
    // Alone, each instance still finds a new job for its subscriber.
    const lonely = await startJobUpstream('lonely');
    expect((await onA.next()).value?.data?.backendJobs).toEqual({ jobId: lonely, state: 'IN_PROGRESS' });
    expect((await onB.next()).value?.data?.backendJobs).toEqual({ jobId: lonely, state: 'IN_PROGRESS' });
    await emulator.advance(3000);
    expect((await onA.next()).value?.data?.backendJobs).toEqual({ jobId: lonely, state: 'COMPLETED' });
    expect((await onB.next()).value?.data?.backendJobs).toEqual({ jobId: lonely, state: 'COMPLETED' });

    await redis.restart();
    await eventually(async () => (await a.ready()).status === 200 && (await b.ready()).status === 200, 'both instances ready');
    // Leases re-taken: one poller between the two, its lease in the new Redis.
    {
      await using look = redis.client();
      await eventually(async () => {
        const pollers = a.gateway.jobs.stats().pollers + b.gateway.jobs.stats().pollers;
        return pollers === 1 && (await look.keys(`${prefix}lease:*`)).length === 1;
      }, 'one lease in the restarted Redis');
    }
    const [poller, other] = a.gateway.jobs.stats().pollers === 1 ? [a, b] : [b, a];
    const otherPolls = other.gateway.jobs.stats().polls;

    // What the poller finds reaches the other instance's subscriber through Redis again.
    const after = await startJobUpstream('afterrestart');
    const onPoller = poller === a ? onA : onB;
    const onOther = poller === a ? onB : onA;
    expect((await onPoller.next()).value?.data?.backendJobs).toEqual({ jobId: after, state: 'IN_PROGRESS' });
    expect((await onOther.next()).value?.data?.backendJobs).toEqual({ jobId: after, state: 'IN_PROGRESS' });
    expect(other.gateway.jobs.stats().polls).toBe(otherPolls);

    for (const x of [a, b]) {
      expect(outageLines(x.logs)).toHaveLength(1);
      expect(x.logs.filter((l) => /Redis answers again/.test(l.msg))).toHaveLength(1);
    }
  });
});

describe('the job event bus on Redis', () => {
  /** A bus on its own connections, and what its one listener of environment `env` received. */
  async function bus(redis: RedisServer, prefix: string) {
    const logs: string[] = [];
    const clients = await connectRedis(redis.url, pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }));
    const events = createEventBus({ redis: clients, prefix });
    const received: JobEvent[] = [];
    let waiting: { count: number; resolve: () => void } | undefined;
    events.listen('env', (event) => {
      received.push(event);
      if (waiting && received.length >= waiting.count) waiting.resolve();
    });
    return {
      events,
      received,
      logs,
      /** Resolves once `count` events in all were received. */
      received$: (count: number) =>
        new Promise<void>((resolve) => (received.length >= count ? resolve() : (waiting = { count, resolve }))),
      [Symbol.asyncDispose]: () => closeRedis(clients),
    };
  }

  const kick = (jobId: string): JobEvent => ({ kind: 'kick', jobId });

  it('delivers an event to its own instance at once and once, and to the other instance through Redis', async () => {
    await using redis = await startRedisServer();
    const prefix = `abg-bus:${randomUUID()}:`;
    await using a = await bus(redis, prefix);
    await using b = await bus(redis, prefix);
    {
      await using look = redis.client();
      await eventually(async () => Number(((await look.pubsub('NUMSUB', `${prefix}job:env`)) as [string, number])[1]) === 2, 'both subscribed');
    }

    a.events.publish('env', kick('one'));
    expect(a.received).toEqual([kick('one')]);
    await b.received$(1);
    // Redis delivers in order: once B's answer is back on A, A's own echo has come (and gone).
    b.events.publish('env', kick('two'));
    await a.received$(2);
    expect(a.received).toEqual([kick('one'), kick('two')]);
    expect(b.received).toEqual([kick('one'), kick('two')]);
  });

  it('keeps delivering on its own instance while Redis is away, and to both once it is back', async () => {
    await using redis = await startRedisServer();
    const prefix = `abg-bus:${randomUUID()}:`;
    await using a = await bus(redis, prefix);
    await using b = await bus(redis, prefix);

    await redis.kill();
    a.events.publish('env', kick('alone'));
    expect(a.received).toEqual([kick('alone')]);
    await eventually(() => a.logs.some((l) => l.includes('Redis unavailable')), 'the outage to be logged');

    await redis.restart();
    {
      await using look = redis.client();
      // The channels are subscribed again by the bus itself (ioredis's own resubscription is off).
      await eventually(async () => Number(((await look.pubsub('NUMSUB', `${prefix}job:env`)) as [string, number])[1]) === 2, 'both subscribed again');
    }
    await eventually(() => a.logs.some((l) => l.includes('Redis answers again')), 'the recovery to be logged');
    a.events.publish('env', kick('back'));
    await b.received$(1);
    expect(b.received).toEqual([kick('back')]);
    expect(a.received).toEqual([kick('alone'), kick('back')]);
    expect(a.logs.filter((l) => l.includes('Redis unavailable'))).toHaveLength(1);
  });
});
