import { describe, expect, it } from 'vitest';
import { readEvents, type Stack, type startStack, startStorageJob, until } from './helpers.js';
import { useScheduledStack, type ManualScheduler } from './helpers-stack.js';

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };
const READER_KEY = 'key-shared-reader-000001';
const WRITER_KEY = 'key-shared-writer-000002';

let stack: Stack;
let scheduler: ManualScheduler;
const stacks = useScheduledStack();
const connect = stacks.ws.connect;

async function start(gateway: NonNullable<Parameters<typeof startStack>[0]>['gateway'] = {}) {
  const started = await stacks.start({ gateway: { jobPolling: polling, ...gateway } });
  ({ stack, scheduler } = started);
  return started.url;
}

const jobQuery = `subscription Job($app: ID!, $env: String!, $job: ID!) {
  backendJob(appId: $app, environmentName: $env, jobId: $job) { jobId state environment { name } }
}`;
const vars = (jobId: string, env = 'dev') => ({ app: APP, env, job: jobId });
const sharing = () => stack.gateway.subscriptions();

describe('identical job subscriptions', () => {
  it('share one stream, one watch and one execution per change, whatever the number of subscribers', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const streams = Array.from({ length: 3 }, () => connect(url)).flatMap((client) =>
      Array.from({ length: 20 }, () => client.iterate({ query: jobQuery, variables: vars(jobId) })),
    );
    await until(() => sharing().clients === 60, 'every subscription');
    expect(sharing()).toEqual({ clients: 60, streams: 1, subscribers: 60 });
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 1, subscribers: 1 });

    stack.resetCalls();
    await scheduler.advance(0);
    for (const s of streams) {
      expect((await s.next()).value).toEqual({ data: { backendJob: { jobId, state: 'IN_PROGRESS', environment: { name: 'dev' } } } });
    }
    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    for (const s of streams) {
      expect((await s.next()).value).toEqual({ data: { backendJob: { jobId, state: 'COMPLETED', environment: { name: 'dev' } } } });
      expect((await s.next()).done).toBe(true);
    }
    // `environment { name }` is resolved once per change, not once per subscriber: GetBackendJob
    // polls only. The gateway knows the environment's name from the job's key.
    expect(stack.calls()).toEqual({ GetBackendJob: 2 });
    await until(() => sharing().clients === 0, 'every subscription to end');
    expect(sharing()).toEqual({ clients: 0, streams: 0, subscribers: 0 });
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 0, subscribers: 0 });
  });

  it('sends one who joins late the current state at once, without another poll', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const client = connect(url);
    const first = client.iterate({ query: jobQuery, variables: vars(jobId) });
    await until(() => sharing().clients === 1, 'the first subscription');
    await scheduler.advance(0);
    expect((await first.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');

    stack.resetCalls();
    const late = client.iterate({ query: jobQuery, variables: vars(jobId) });
    expect((await late.next()).value).toEqual({ data: { backendJob: { jobId, state: 'IN_PROGRESS', environment: { name: 'dev' } } } });
    expect(stack.calls()).toEqual({});
    expect(sharing()).toMatchObject({ streams: 1, subscribers: 2 });

    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    for (const s of [first, late]) {
      expect((await s.next()).value?.data?.backendJob.state).toBe('COMPLETED');
      expect((await s.next()).done).toBe(true);
    }
  });

  it('keeps the stream while anyone listens and stops its poller when the last one leaves', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const client = connect(url);
    const a = client.iterate({ query: jobQuery, variables: vars(jobId) });
    const b = client.iterate({ query: jobQuery, variables: vars(jobId) });
    await until(() => sharing().clients === 2, 'both subscriptions');
    await scheduler.advance(0);
    await a.next();
    await b.next();

    await a.return?.();
    await until(() => sharing().clients === 1, 'the first to leave');
    expect(sharing()).toMatchObject({ streams: 1, subscribers: 1 });
    // The one left still hears of the change.
    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await b.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await b.next()).done).toBe(true);
    expect(stack.gateway.jobs.stats().watches).toBe(0);

    // A stream left by everyone before it ends stops polling.
    const other = await startStorageJob(stack, 'videos');
    const c = client.iterate({ query: jobQuery, variables: vars(other) });
    await until(() => sharing().streams === 1, 'a new stream');
    await scheduler.advance(0);
    await c.next();
    await c.return?.();
    await until(() => stack.gateway.jobs.stats().watches === 0, 'the poller to stop');
    stack.resetCalls();
    await scheduler.advance(60_000);
    expect(stack.calls()).toEqual({});
    expect(sharing()).toEqual({ clients: 0, streams: 0, subscribers: 0 });
  });

  it('gives every subscriber of an unknown job its NOT_FOUND, then completes them, and shares nothing after', async () => {
    const url = await start();
    const client = connect(url);
    const streams = [1, 2, 3].map(() => client.iterate({ query: jobQuery, variables: vars('no-such-job') }));
    await until(() => sharing().clients === 3, 'the subscriptions');
    await scheduler.advance(0);
    for (const s of streams) {
      expect((await s.next()).value).toMatchObject({ data: null, errors: [{ extensions: { code: 'NOT_FOUND' } }] });
      expect((await s.next()).done).toBe(true);
    }
    expect(sharing()).toEqual({ clients: 0, streams: 0, subscribers: 0 });
  });

  it('shares only the same document and variables, and never an environment stream', async () => {
    const url = await start();
    const dev = await startStorageJob(stack, 'photos');
    const prod = await startStorageJob(stack, 'photos', 'prod');
    const client = connect(url);
    const other = `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${dev}") { jobId } }`;
    const envQuery = `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId state } }`;
    const streams = [
      client.iterate({ query: jobQuery, variables: vars(dev) }),
      client.iterate({ query: jobQuery, variables: vars(dev) }),
      client.iterate({ query: jobQuery, variables: vars(prod, 'prod') }),
      client.iterate({ query: other }),
      client.iterate({ query: envQuery }),
      client.iterate({ query: envQuery }),
    ];
    await until(() => sharing().clients === 6, 'every subscription');
    // dev twice (shared), prod, the other document; the two environment streams run apart.
    expect(sharing()).toEqual({ clients: 6, streams: 3, subscribers: 4 });
    await scheduler.advance(0);
    expect((await streams[2].next()).value?.data?.backendJob).toMatchObject({ jobId: prod, environment: { name: 'prod' } });
    expect((await streams[3].next()).value).toEqual({ data: { backendJob: { jobId: dev } } });
    for (const s of [streams[4], streams[5]]) {
      expect((await s.next()).value?.data?.backendJobs).toMatchObject({ jobId: dev, state: 'IN_PROGRESS' });
    }
  });

  it('shares between graphql-ws and SSE subscribers', async () => {
    const url = await start();
    const jobId = await startStorageJob(stack, 'photos');
    const ws = connect(url).iterate({ query: jobQuery, variables: vars(jobId) });
    const res = await fetch(url.replace('ws://', 'http://'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: jobQuery, variables: vars(jobId) }),
    });
    const sse = readEvents(res);
    await until(() => sharing().clients === 2, 'both subscriptions');
    expect(sharing()).toMatchObject({ streams: 1, subscribers: 2 });
    await scheduler.advance(0);
    expect((await ws.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    expect((await sse.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');
    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await ws.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await sse.next()).value?.data?.backendJob.state).toBe('COMPLETED');
    expect((await sse.next()).done).toBe(true);
  });

  it('lets a subscriber join a shared stream only with the read scope', async () => {
    const url = await start({
      access: { apiKeys: [{ key: READER_KEY, scopes: ['read'] }, { key: WRITER_KEY, scopes: ['write'] }] },
    });
    const res = await stack.request(
      {
        query: `mutation { createBackendStorage(input: { appId: "${APP}", environmentName: "dev", resourceName: "photos"
          config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
      },
      { 'x-api-key': WRITER_KEY },
    );
    const jobId = res.body.data.createBackendStorage.job.jobId as string;
    const reader = connect(url, { 'x-api-key': READER_KEY }).iterate({ query: jobQuery, variables: vars(jobId) });
    await until(() => sharing().clients === 1, 'the reader');
    await scheduler.advance(0);
    expect((await reader.next()).value?.data?.backendJob.state).toBe('IN_PROGRESS');

    const writer = connect(url, { 'x-api-key': WRITER_KEY }).iterate({ query: jobQuery, variables: vars(jobId) });
    expect((await writer.next()).value).toMatchObject({
      errors: [{ extensions: { code: 'FORBIDDEN', requiredScope: 'read' } }],
    });
    expect(sharing()).toEqual({ clients: 1, streams: 1, subscribers: 1 });
  });
});

describe('the sharing plugin', () => {
  it('keeps a stream going for a subscriber who joins as the last one leaves', async () => {
    const { useSharedSubscriptions } = await import('../src/shared-subscriptions.js');
    const { EventQueue } = await import('../src/jobs/queue.js');
    const { parse } = await import('graphql');
    const shared = useSharedSubscriptions({ stateFields: new Set(['backendJob']), partition: () => '*' });
    const source = new EventQueue<{ data: unknown }>();
    let sourceStarts = 0;
    const subscribeWith = () => {
      let subscribe: ((args: unknown) => Promise<AsyncIterableIterator<{ data: unknown }>>) | undefined;
      const args = { document: parse('subscription { backendJob(appId: "a", environmentName: "e", jobId: "j") { jobId } }') };
      (shared.plugin.onSubscribe as (payload: unknown) => void)({
        args,
        subscribeFn: () => (sourceStarts++, source),
        setSubscribeFn: (fn: typeof subscribe) => (subscribe = fn),
      });
      return subscribe!(args);
    };

    const first = await subscribeWith();
    source.push({ data: { backendJob: { jobId: 'j' } } });
    expect(await first.next()).toEqual({ value: { data: { backendJob: { jobId: 'j' } } }, done: false });

    // The second is still waiting for the source when the first leaves.
    const joining = subscribeWith();
    await first.return!();
    const second = await joining;
    expect(await second.next()).toEqual({ value: { data: { backendJob: { jobId: 'j' } } }, done: false });
    expect(source.isEnded).toBe(false);
    expect(shared.stats()).toEqual({ streams: 1, subscribers: 1 });
    expect(sourceStarts).toBe(1);

    await second.return!();
    expect(source.isEnded).toBe(true);
    expect(shared.stats()).toEqual({ streams: 0, subscribers: 0 });
  });
});
