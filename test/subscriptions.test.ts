import { describe, expect, it } from 'vitest';
import { readEvents, type Stack, startStorageJob, startStorageJobUpstream, until } from './helpers.js';
import { useScheduledStack, type ManualScheduler } from './helpers-stack.js';

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

let stack: Stack;
let scheduler: ManualScheduler;
const stacks = useScheduledStack();
const connect = stacks.ws.connect;

async function start() {
  const started = await stacks.start({ gateway: { jobPolling: polling } });
  ({ stack, scheduler } = started);
  return started.url;
}

const jobFields = 'jobId operation status state isDone';
const jobSubscription = (jobId: string, env = 'dev') =>
  `subscription { backendJob(appId: "${APP}", environmentName: "${env}", jobId: "${jobId}") { ${jobFields} } }`;

const watchers = () => stack.gateway.jobs.stats();
const clientSubscriptions = () => stack.gateway.subscriptions().clients;

/** A new client's subscription to a job, once the gateway watches it and has polled it once. */
async function subscribed(url: string, jobId: string) {
  const events = connect(url).iterate({ query: jobSubscription(jobId) });
  await until(() => watchers().subscribers === 1, 'the subscription');
  await scheduler.advance(0);
  return events;
}

describe('backendJob over graphql-ws', () => {
  it('emits the job at once, again when it completes, then completes', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const events = await subscribed(url, jobId);
    expect((await events.next()).value).toEqual({
      data: { backendJob: { jobId, operation: 'CreateBackendStorage', status: 'IN_PROGRESS', state: 'IN_PROGRESS', isDone: false } },
    });

    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value).toEqual({
      data: { backendJob: { jobId, operation: 'CreateBackendStorage', status: 'COMPLETED', state: 'COMPLETED', isDone: true } },
    });
    expect((await events.next()).done).toBe(true);
    expect(watchers()).toMatchObject({ watches: 0, subscribers: 0 });
  });

  it('answers an unknown job with NOT_FOUND, then completes', async () => {
    const url = await start();
    const events = await subscribed(url, 'no-such-job');

    const first = await events.next();
    expect(first.value).toMatchObject({
      data: null,
      errors: [{ message: expect.stringContaining('no-such-job'), extensions: { code: 'NOT_FOUND' } }],
    });
    expect((await events.next()).done).toBe(true);
  });

  it('polls once for 100 subscribers, as for one', async () => {
    async function pollsFor(subscribers: number) {
      const url = await start();
      const jobId = await startStorageJob(stack, 'photos');
      stack.resetCalls();
      const client = connect(url);
      const streams = Array.from({ length: subscribers }, () => client.iterate({ query: jobSubscription(jobId) }));
      await until(() => clientSubscriptions() === subscribers, 'every subscription', 20_000);
      await scheduler.advance(0);
      for (const s of streams) expect((await s.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
      await scheduler.advance(polling.minIntervalMs * 1.5);
      await stack.emulator.advance(3000);
      await scheduler.advance(polling.maxIntervalMs);
      for (const s of streams) expect((await s.next()).value?.data?.backendJob.state).toBe('COMPLETED');
      const calls = stack.calls();
      await stacks.ws.disposeAll();
      await stack.stop();
      return calls;
    }
    const one = await pollsFor(1);
    const hundred = await pollsFor(100);
    expect(one.GetBackendJob).toBeGreaterThanOrEqual(2);
    expect(hundred).toEqual(one);
  });

  it('backs off while nothing changes and polls at once after a mutation through the gateway', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const events = await subscribed(url, jobId);
    await events.next();
    stack.resetCalls();

    // 1000, 1500, 2250, 3375, 5062.5, 7593.75, then 8000 ms apart: the 7th poll at 28,781.25 ms.
    await scheduler.advance(28_782);
    expect(stack.calls().GetBackendJob).toBe(7);
    await scheduler.advance(7_998);
    expect(stack.calls().GetBackendJob).toBe(7);
    await scheduler.advance(2);
    expect(stack.calls().GetBackendJob).toBe(8);

    stack.resetCalls();
    const update = await stack.graphql(`mutation {
      updateBackendJob(input: { appId: "${APP}", environmentName: "dev", jobId: "${jobId}", operation: "Renamed" }) { job { operation } }
    }`);
    expect(update.errors).toBeUndefined();
    await scheduler.advance(0);
    expect(stack.calls()).toEqual({ UpdateBackendJob: 1, GetBackendJob: 1 });
    expect((await events.next()).value?.data?.backendJob.operation).toBe('Renamed');
  });

  it('stops polling when the last subscriber leaves', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const client = connect(url);
    const a = client.iterate({ query: jobSubscription(jobId) });
    const b = client.iterate({ query: jobSubscription(jobId) });
    await until(() => clientSubscriptions() === 2, 'both subscriptions');
    await scheduler.advance(0);
    await a.next();
    await b.next();

    await a.return?.();
    await until(() => clientSubscriptions() === 1, 'the first to leave');
    expect(watchers().watches).toBe(1);
    await b.return?.();
    await until(() => watchers().watches === 0, 'the poller to stop');
    stack.resetCalls();
    await scheduler.advance(60_000);
    expect(stack.calls()).toEqual({});
    expect(scheduler.pending()).toBe(0);
  });
});

describe('backendJobs over graphql-ws', () => {
  const envSubscription = (env = 'dev') =>
    `subscription { backendJobs(appId: "${APP}", environmentName: "${env}") { ${jobFields} } }`;

  it('emits a job started straight through the AWS API, and its completion', async () => {
    const url = await start();
    const events = connect(url).iterate({ query: envSubscription() });
    await until(() => watchers().subscribers === 1, 'the subscription');
    await scheduler.advance(0);

    const jobId = await startStorageJobUpstream(stack.emulator.url, 'outside');
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId, state: 'IN_PROGRESS' });

    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId, state: 'COMPLETED' });
  });

  it('sends the jobs still running at once, then new jobs started through the gateway', async () => {
    const url = await start();
    const running = await startStorageJob(stack, 'running', 'prod');
    const events = connect(url).iterate({ query: envSubscription('prod') });
    await until(() => watchers().subscribers === 1, 'the subscription');
    await scheduler.advance(0);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId: running, state: 'IN_PROGRESS' });

    await stack.emulator.advance(3000);
    await scheduler.advance(0);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId: running, state: 'COMPLETED' });

    const next = await startStorageJob(stack, 'another', 'prod');
    await scheduler.advance(0);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId: next, state: 'IN_PROGRESS' });
  });

  it('keeps its subscribers through throttling, timeouts and dropped connections, and reports a lasting outage', async () => {
    const url = await start();
    const events = connect(url).iterate({ query: envSubscription() });
    await until(() => watchers().subscribers === 1, 'the subscription');
    await scheduler.advance(0);

    stack.emulator.faults.inject({ operation: 'ListBackendJobs', type: 'throttle', count: 1 });
    stack.emulator.faults.inject({ operation: 'ListBackendJobs', type: 'timeout', count: 1 });
    stack.emulator.faults.inject({ operation: 'ListBackendJobs', type: 'drop', count: 1 });
    await scheduler.advance(60_000);
    expect(stack.emulator.faults.list()).toEqual([]);
    const outage = await events.next();
    expect(outage.value).toMatchObject({
      data: null,
      errors: [{ message: expect.stringContaining('Job status is unavailable'), extensions: { code: expect.any(String) } }],
    });

    // The fault is gone: the same subscription goes on receiving.
    const jobId = await startStorageJob(stack, 'after');
    await scheduler.advance(0);
    expect((await events.next()).value?.data?.backendJobs).toMatchObject({ jobId, state: 'IN_PROGRESS' });
    expect(watchers().subscribers).toBe(1);
  });
});

describe('backendJob over SSE', () => {
  it('streams IN_PROGRESS then COMPLETED as server-sent events, then ends', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const res = await fetch(url.replace('ws://', 'http://'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: jobSubscription(jobId) }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = readEvents(res);
    await until(() => watchers().subscribers === 1, 'the subscription');
    await scheduler.advance(0);
    expect((await reader.next()).value).toMatchObject({ data: { backendJob: { jobId, state: 'IN_PROGRESS' } } });
    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await reader.next()).value).toMatchObject({ data: { backendJob: { jobId, state: 'COMPLETED' } } });
    expect((await reader.next()).done).toBe(true);
  });
});

describe('shutdown', () => {
  it('completes open subscriptions and stops every poller', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const events = await subscribed(url, jobId);
    await events.next();

    await stack.gateway.stop();
    expect((await events.next()).done).toBe(true);
    expect(scheduler.pending()).toBe(0);
  });
});

