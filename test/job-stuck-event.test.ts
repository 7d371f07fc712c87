import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobVersion } from '../src/jobs/lifecycle.js';
import { diffJobs } from '../src/jobs/poll.js';
import { markStuck } from '../src/jobs/stuck.js';
import type { Gateway } from '../src/server.js';
import { startStorageJob, until, type Stack } from './helpers.js';
import { useScheduledStack, type ManualScheduler } from './helpers-stack.js';
import { startRedisInstances, startRedisServer, type RedisServer } from './helpers-redis.js';

// A job that runs past JOB_STUCK_AFTER_SECONDS is sent once more to its subscribers, marked stuck
// by the poller that read it. Pollers run on the manual scheduler and jobs on the emulator's
// manual clock, moved together a second at a time.

const APP = 'd1todoapp00001';
const STUCK_AFTER = 60;
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };
const fields = 'jobId status stuck';

let stack: Stack;
let scheduler: ManualScheduler;
const stacks = useScheduledStack();

async function start(jobSeconds: number, stuckAfterSeconds = STUCK_AFTER) {
  const started = await stacks.start({
    emulator: { jobDurationMs: jobSeconds * 1000 },
    gateway: { jobPolling: polling, jobStuckAfterSeconds: stuckAfterSeconds },
  });
  ({ stack, scheduler } = started);
  return stacks.ws.connect(started.url);
}

async function startJob(resourceName: string) {
  const jobId = await startStorageJob(stack, resourceName);
  // The mutation tells the pollers, which poll at once.
  await scheduler.advance(0);
  return jobId;
}

/** Moves the emulator's clock and the pollers' together, a second at a time. */
async function run(seconds: number) {
  for (let s = 0; s < seconds; s++) {
    await stack.emulator.advance(1000);
    await scheduler.advance(1000);
  }
}

/** Every payload of a subscription, as it arrives, until it completes. */
function collect(stream: AsyncIterable<any>, field: string) {
  const seen: any[] = [];
  const ended = (async () => {
    for await (const event of stream) seen.push(event.errors ?? event.data[field]);
  })();
  return { seen, ended };
}

/**
 * An environment subscription's events for `jobId`, once a job started after it has been sent:
 * events of one subscription arrive in order, so nothing of `jobId` can still be on its way.
 */
async function eventsOf(received: { seen: any[] }, jobId: string) {
  const sentinel = await startJob('sentinel');
  await until(() => received.seen.some((e) => e.jobId === sentinel), 'the sentinel job');
  return received.seen.filter((e) => e.jobId === jobId);
}

const envSubscription = `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { ${fields} } }`;

/** A job of `jobSeconds` watched through its environment from start to end; its events and the polls made. */
async function watchThrough(jobSeconds: number, stuckAfterSeconds = STUCK_AFTER) {
  const client = await start(jobSeconds, stuckAfterSeconds);
  const received = collect(client.iterate({ query: envSubscription }), 'backendJobs');
  await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the subscription');
  await scheduler.advance(0);
  stack.resetCalls();
  const jobId = await startJob('slow');
  await run(jobSeconds + 30);
  const polls = stack.calls().ListBackendJobs;
  return { jobId, events: await eventsOf(received, jobId), polls };
}

describe('a job running past JOB_STUCK_AFTER_SECONDS', () => {
  it('is sent once more to backendJobs subscribers, marked stuck, exactly once, then again when it completes', async () => {
    const { jobId, events } = await watchThrough(2 * STUCK_AFTER);
    expect(events).toEqual([
      { jobId, status: 'IN_PROGRESS', stuck: false },
      { jobId, status: 'IN_PROGRESS', stuck: true },
      { jobId, status: 'COMPLETED', stuck: false },
    ]);
  });

  it('is sent once more to a backendJob subscriber too, which then completes with the job', async () => {
    const client = await start(2 * STUCK_AFTER);
    const jobId = await startJob('slow');
    const received = collect(
      client.iterate({ query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { ${fields} } }` }),
      'backendJob',
    );
    await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the subscription');
    await scheduler.advance(0);
    await run(2 * STUCK_AFTER + 30);
    await received.ended;
    expect(received.seen).toEqual([
      { jobId, status: 'IN_PROGRESS', stuck: false },
      { jobId, status: 'IN_PROGRESS', stuck: true },
      { jobId, status: 'COMPLETED', stuck: false },
    ]);
  });

  it('costs no extra upstream poll: as many ListBackendJobs as with a threshold never reached', async () => {
    const withFeature = await watchThrough(2 * STUCK_AFTER);
    await stacks.ws.disposeAll();
    await stack.stop();
    const never = await watchThrough(2 * STUCK_AFTER, 604_800);
    expect(never.events.map((e) => e.stuck)).toEqual([false, false]);
    expect(withFeature.polls).toBeGreaterThan(0);
    expect(withFeature.polls).toBe(never.polls);
  });
});

describe('a job finishing before JOB_STUCK_AFTER_SECONDS', () => {
  it('is never sent again, however long the subscription lasts', async () => {
    const { jobId, events } = await watchThrough(STUCK_AFTER / 2);
    await run(2 * STUCK_AFTER);
    expect(events).toEqual([
      { jobId, status: 'IN_PROGRESS', stuck: false },
      { jobId, status: 'COMPLETED', stuck: false },
    ]);
  });
});

describe('the stuck mark in the poll diff', () => {
  const timing = (now: number) => ({ now: () => now, stuckAfterSeconds: STUCK_AFTER });
  const created = Date.parse('2026-01-01T00:00:00.000Z');
  const job = (status = 'IN_PROGRESS') => ({ jobId: 'j', status, operation: 'Op', createTime: new Date(created).toISOString(), updateTime: 't0' });

  it.each([
    ['before the threshold', STUCK_AFTER, { changed: 0, newlyStuck: 0, stuck: undefined }],
    ['past it', STUCK_AFTER + 1, { changed: 0, newlyStuck: 1, stuck: true }],
  ])('marks a running job %s, and keeps a job changed only by turning stuck apart from changes', (_, seconds, expected) => {
    const last = diffJobs(undefined, [job()], timing(created)).known;
    const next = diffJobs(last, [job()], timing(created + seconds * 1000));
    expect({ changed: next.changed.length, newlyStuck: next.newlyStuck.length, stuck: next.known.get('j')?.stuck }).toEqual(expected);
  });

  it('is part of the version every stage compares', () => {
    expect(jobVersion({ ...job(), stuck: true })).not.toBe(jobVersion(job()));
  });

  it('unmarks a done job, and keeps a running one marked under a clock that is behind (another lease holder)', () => {
    const stuck = markStuck(job(), timing(created + 3_600_000));
    expect(stuck.stuck).toBe(true);
    // Once marked, a later poll finds nothing new.
    expect(diffJobs(new Map([['j', stuck]]), [job()], timing(created + 7_200_000))).toMatchObject({ changed: [], newlyStuck: [] });
    expect(markStuck(job(), timing(created), stuck).stuck).toBe(true);
    const done = diffJobs(new Map([['j', stuck]]), [job('COMPLETED')], timing(created + 3_600_000));
    expect(done.changed).toHaveLength(1);
    expect(done.known.get('j')).not.toHaveProperty('stuck');
  });
});

describe('two gateway instances on one Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis.kill());

  it('send the stuck job once to subscribers on both, the lease holder deciding', async () => {
    await using cluster = await startRedisInstances({ leaseMs: 1000, prefix: 'abg-stuck', stuckAfterSeconds: STUCK_AFTER, jobDurationMs: 3_600_000 });
    const a = await cluster.instance(redis.url);
    const b = await cluster.instance(redis.url);
    const res = await a.gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: `mutation { createBackendStorage(input: { appId: "${APP}", environmentName: "dev", resourceName: "shared"
          config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
      }),
    });
    const jobId = ((await res.json()) as any).data.createBackendStorage.job.jobId as string;
    const onA = a.client.iterate({ query: envSubscription });
    const onB = b.client.iterate({ query: envSubscription });
    const next = async (stream: AsyncIterator<any>) => (await stream.next()).value?.data?.backendJobs;
    for (const s of [onA, onB]) expect(await next(s)).toEqual({ jobId, status: 'IN_PROGRESS', stuck: false });
    const polling = (g: Gateway) => g.jobs.stats().pollers;
    await until(() => polling(a.gateway) + polling(b.gateway) === 1, 'one poller', 100_000);

    await cluster.emulator.advance((STUCK_AFTER + 1) * 1000);
    for (const s of [onA, onB]) expect(await next(s)).toEqual({ jobId, status: 'IN_PROGRESS', stuck: true });
    // Nothing more of it until it completes: the next event is its completion.
    await cluster.emulator.advance(3_600_000);
    for (const s of [onA, onB]) expect(await next(s)).toEqual({ jobId, status: 'COMPLETED', stuck: false });
    await onA.return?.();
    await onB.return?.();
  });
});
