import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_ENVIRONMENTS_SEARCHED } from '../src/blocking-job.js';
import { createManualScheduler, createWsClients, scoped, startStack, until, type Stack } from './helpers.js';

const JOB_MS = 3000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ emulator: { seed: 'empty' } });
});
afterAll(() => stack.stop());
beforeEach(() => {
  stack.emulator.faults.clear();
});

let apps = 0;
/** A new app with these environments, made on the emulator directly, every job done. */
async function appWith(...environments: string[]) {
  const appId = `pending${String(++apps).padStart(4, '0')}`;
  for (const name of environments) stack.emulator.store.createBackend(appId, 'pending', name);
  await stack.emulator.advance(JOB_MS);
  stack.resetCalls();
  return appId;
}

const CREATE_API = `mutation ($input: CreateBackendApiInput!) {
  createBackendApi(input: $input) { job { jobId operation createTime } }
}`;

/** Starts a job on the environment through the gateway; its id, operation and createTime. */
async function startApiJob(appId: string, environmentName: string, resourceName = 'first') {
  const res = await stack.graphql(CREATE_API, { input: { appId, environmentName, resourceName, config: {} } });
  expect(res.errors).toBeUndefined();
  stack.resetCalls();
  return res.data.createBackendApi.job as { jobId: string; operation: string; createTime: string };
}

// Second writes to a busy environment, each through its own mutation resolver.
const secondWrites: [string, string, (appId: string) => Record<string, unknown>, string][] = [
  ['createBackendApi', 'CreateBackendApiInput', (appId) => ({ appId, environmentName: 'dev', resourceName: 'second', config: {} }), 'CreateBackendAPI'],
  ['createBackendStorage', 'CreateBackendStorageInput', (appId) => ({ appId, environmentName: 'dev', resourceName: 'photos', config: { permissions: { authenticated: ['READ'] } } }), 'CreateBackendStorage'],
  ['deleteBackend', 'DeleteBackendInput', (appId) => ({ appId, environmentName: 'dev' }), 'DeleteBackend'],
  ['cloneBackend', 'CloneBackendInput', (appId) => ({ appId, environmentName: 'dev', targetEnvironmentName: 'copy' }), 'CloneBackend'],
];

const mutation = (field: string, inputType: string) =>
  `mutation ($input: ${inputType}!) { ${field}(input: $input) { __typename } }`;

describe('a write refused because a job is pending', () => {
  it.each(secondWrites)('%s answers JOB_PENDING naming the blocking job, with one ListBackendJobs', async (field, inputType, input, operation) => {
    const appId = await appWith('dev');
    const blocker = await startApiJob(appId, 'dev');

    const res = await stack.graphql(mutation(field, inputType), { input: input(appId) });

    expect(res.data).toBeNull();
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0]).toMatchObject({
      message: 'There is already a pending job for the requested appId',
      path: [field],
      extensions: {
        code: 'JOB_PENDING',
        operation,
        awsErrorName: 'ValidationException',
        blockingJob: {
          jobId: blocker.jobId,
          environmentName: 'dev',
          operation: 'CreateBackendAPI',
          status: 'IN_PROGRESS',
          createTime: blocker.createTime,
        },
      },
    });
    expect(stack.calls()).toEqual({ [operation]: 1, ListBackendJobs: 1 });
  });

  it('names a job created at the time the emulator clock said, and lets the write through once it is done', async () => {
    const appId = await appWith('dev');
    await stack.emulator.advance(60_000);
    const startedAt = stack.emulator.clock.now();
    const blocker = await startApiJob(appId, 'dev');
    expect(Date.parse(blocker.createTime)).toBe(startedAt);

    await stack.emulator.advance(JOB_MS - 1);
    const refused = await stack.graphql(CREATE_API, { input: { appId, environmentName: 'dev', resourceName: 'second', config: {} } });
    expect(refused.errors?.[0].extensions?.blockingJob).toMatchObject({ jobId: blocker.jobId, createTime: new Date(startedAt).toISOString() });

    await stack.emulator.advance(1);
    const accepted = await stack.graphql(CREATE_API, { input: { appId, environmentName: 'dev', resourceName: 'second', config: {} } });
    expect(accepted.errors).toBeUndefined();
  });

  it('names an app-wide job (RemoveAllBackends) blocking a write to one environment', async () => {
    const appId = await appWith('dev', 'test');
    const removal = await stack.graphql(`mutation { removeAllBackends(input: { appId: "${appId}" }) { job { jobId } } }`);
    expect(removal.errors).toBeUndefined();
    stack.resetCalls();

    const res = await stack.graphql(CREATE_API, { input: { appId, environmentName: 'test', resourceName: 'api', config: {} } });
    expect(res.errors?.[0].extensions).toMatchObject({
      code: 'JOB_PENDING',
      blockingJob: { jobId: removal.data.removeAllBackends.job.jobId, environmentName: 'test', operation: 'RemoveAllBackends' },
    });
    expect(stack.calls()).toEqual({ CreateBackendAPI: 1, ListBackendJobs: 1 });
  });

  it('an app-wide write looks in the environments of the app it read, one ListBackendJobs each', async () => {
    const appId = await appWith('dev', 'test', 'prod');
    const blocker = await startApiJob(appId, 'test');

    const res = await stack.graphql(`mutation { removeAllBackends(input: { appId: "${appId}" }) { job { jobId } } }`);
    expect(res.errors?.[0].extensions).toMatchObject({
      code: 'JOB_PENDING',
      operation: 'RemoveAllBackends',
      blockingJob: { jobId: blocker.jobId, environmentName: 'test', operation: 'CreateBackendAPI', status: 'IN_PROGRESS' },
    });
    // The resolver reads the app before it writes; the lookup uses what it read.
    expect(stack.calls()).toEqual({ GetBackend: 1, RemoveAllBackends: 1, ListBackendJobs: 3 });
  });

  it(`an app-wide write looks in ${MAX_ENVIRONMENTS_SEARCHED} environments at most`, async () => {
    const names = Array.from({ length: MAX_ENVIRONMENTS_SEARCHED + 2 }, (_, i) => `env${i}`);
    const appId = await appWith(...names);
    await startApiJob(appId, names[0]);
    const res = await stack.graphql(`mutation { createBackendConfig(input: { appId: "${appId}" }) { job { jobId } } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'JOB_PENDING', blockingJob: { environmentName: 'env0' } });
    expect(stack.calls()).toEqual({ GetBackend: 1, CreateBackendConfig: 1, ListBackendJobs: MAX_ENVIRONMENTS_SEARCHED });
  });

  it('is still JOB_PENDING, without blockingJob, when the lookup fails', async () => {
    const appId = await appWith('dev');
    await startApiJob(appId, 'dev');
    stack.emulator.faults.inject({ operation: 'ListBackendJobs', type: 'throttle' });

    const res = await stack.graphql(CREATE_API, { input: { appId, environmentName: 'dev', resourceName: 'second', config: {} } });
    expect(res.errors).toHaveLength(1);
    expect(res.errors![0].message).toBe('There is already a pending job for the requested appId');
    expect(res.errors![0].extensions).toMatchObject({ code: 'JOB_PENDING', operation: 'CreateBackendAPI' });
    expect(res.errors![0].extensions).not.toHaveProperty('blockingJob');
    expect(stack.calls()).toEqual({ CreateBackendAPI: 1, ListBackendJobs: 1 });
  });

  it('is still JOB_PENDING, without blockingJob, when the job finished before the lookup', async () => {
    const appId = await appWith('dev');
    await startApiJob(appId, 'dev');
    // The lookup reaches the emulator, which holds it while the test ends the job.
    stack.emulator.faults.inject({ operation: 'ListBackendJobs', type: 'latency', delayMs: 100 });
    const answer = stack.graphql(CREATE_API, { input: { appId, environmentName: 'dev', resourceName: 'second', config: {} } });
    await until(() => stack.calls().ListBackendJobs === 1, 'the lookup', 1_000_000);
    await stack.emulator.advance(JOB_MS);

    const res = await answer;
    expect(res.errors![0].extensions).toMatchObject({ code: 'JOB_PENDING', operation: 'CreateBackendAPI' });
    expect(res.errors![0].extensions).not.toHaveProperty('blockingJob');
  });
});

describe('JOB_PENDING and the circuit breaker', () => {
  it('many refusals for a pending job never open the circuit', async () => {
    await using guarded = await startStack({
      emulator: { seed: 'empty' },
      gateway: { resilience: { breakerMinCalls: 2, breakerErrorPercent: 10, breakerResetMs: 60_000 } },
    });
    guarded.emulator.store.createBackend('breakerapp01', 'breaker', 'dev');
    await guarded.emulator.advance(JOB_MS);
    const input = (resourceName: string) => ({ input: { appId: 'breakerapp01', environmentName: 'dev', resourceName, config: {} } });
    expect((await guarded.graphql(CREATE_API, input('first'))).errors).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      const res = await guarded.graphql(CREATE_API, input(`more${i}`));
      expect(res.errors?.[0].extensions?.code).toBe('JOB_PENDING');
    }
    expect(guarded.gateway.aws.health().circuit).toBe('closed');
  });
});

const PENDING = `query ($appId: ID!, $name: String!) {
  backendEnvironment(appId: $appId, name: $name) {
    pendingJob { jobId operation state createTime }
  }
}`;

describe('BackendEnvironment.pendingJob', () => {
  it('is the running job while it runs, and null before and after, on the emulator clock', async () => {
    const appId = await appWith('dev');
    expect((await stack.graphql(PENDING, { appId, name: 'dev' })).data).toEqual({ backendEnvironment: { pendingJob: null } });

    const job = await startApiJob(appId, 'dev');
    await stack.emulator.advance(JOB_MS - 1);
    expect((await stack.graphql(PENDING, { appId, name: 'dev' })).data).toEqual({
      backendEnvironment: {
        pendingJob: { jobId: job.jobId, operation: 'CreateBackendAPI', state: 'IN_PROGRESS', createTime: job.createTime },
      },
    });

    await stack.emulator.advance(1);
    expect((await stack.graphql(PENDING, { appId, name: 'dev' })).data).toEqual({ backendEnvironment: { pendingJob: null } });
  });

  it('is an app-wide job running over the environment', async () => {
    const appId = await appWith('dev', 'test');
    const removal = await stack.graphql(`mutation { removeAllBackends(input: { appId: "${appId}" }) { job { jobId } } }`);
    const res = await stack.graphql(PENDING, { appId, name: 'test' });
    expect(res.data.backendEnvironment.pendingJob).toMatchObject({
      jobId: removal.data.removeAllBackends.job.jobId,
      operation: 'RemoveAllBackends',
    });
  });

  it('shares its ListBackendJobs page with jobs: a query asking both costs one call', async () => {
    const appId = await appWith('dev');
    await startApiJob(appId, 'dev');
    await stack.emulator.advance(JOB_MS);
    const running = await startApiJob(appId, 'dev', 'second');

    const res = await stack.graphql(
      `query ($appId: ID!) {
        backendEnvironment(appId: $appId, name: "dev") {
          pendingJob { jobId }
          jobs(first: 1) { edges { node { jobId state } } pageInfo { hasNextPage } }
          all: jobs { edges { node { jobId } } }
        }
      }`,
      { appId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.backendEnvironment.pendingJob).toEqual({ jobId: running.jobId });
    expect(res.data.backendEnvironment.jobs).toEqual({
      edges: [{ node: { jobId: running.jobId, state: 'IN_PROGRESS' } }],
      pageInfo: { hasNextPage: true },
    });
    expect(res.data.backendEnvironment.all.edges).toHaveLength(3);
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
  });

  it('through the app: one ListBackendJobs per environment', async () => {
    const appId = await appWith('dev', 'test');
    const job = await startApiJob(appId, 'test');
    const res = await stack.graphql(`{ app(appId: "${appId}") { environments { name pendingJob { jobId } jobs(first: 2) { edges { node { jobId } } } } } }`);
    expect(res.data.app.environments).toEqual([
      { name: 'dev', pendingJob: null, jobs: { edges: [{ node: { jobId: expect.any(String) } }] } },
      { name: 'test', pendingJob: { jobId: job.jobId }, jobs: { edges: [{ node: { jobId: job.jobId } }, { node: { jobId: expect.any(String) } }] } },
    ]);
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 2 });
  });
});

describe('what a frontend does with blockingJob', () => {
  it('subscribes to it over graphql-ws, and writes again once it completes', async () => {
    const scheduler = createManualScheduler();
    const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };
    await using own = await startStack({ emulator: { seed: 'empty' }, scheduler, gateway: { jobPolling: polling } });
    // Disposed first: its clients go before the stack stops.
    await using ws = scoped(createWsClients(), (clients) => clients.disposeAll());
    own.emulator.store.createBackend('frontend0001', 'frontend', 'dev');
    await own.emulator.advance(JOB_MS);
    const input = (resourceName: string) => ({ input: { appId: 'frontend0001', environmentName: 'dev', resourceName, config: {} } });
    expect((await own.graphql(CREATE_API, input('first'))).errors).toBeUndefined();
    const refused = await own.graphql(CREATE_API, input('second'));
    const { jobId, environmentName } = refused.errors![0].extensions!.blockingJob;

    const url = (await own.gateway.start(0)).replace('http://', 'ws://');
    const events = ws.connect(url).iterate({
      query: `subscription ($jobId: ID!, $environmentName: String!) {
          backendJob(appId: "frontend0001", environmentName: $environmentName, jobId: $jobId) { jobId state }
        }`,
      variables: { jobId, environmentName },
    });
    await until(() => own.gateway.jobs.stats().subscribers === 1, 'the subscription');
    await scheduler.advance(0);
    expect((await events.next()).value).toEqual({ data: { backendJob: { jobId, state: 'IN_PROGRESS' } } });
    await own.emulator.advance(JOB_MS);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value).toEqual({ data: { backendJob: { jobId, state: 'COMPLETED' } } });
    expect((await events.next()).done).toBe(true);

    expect((await own.graphql(CREATE_API, input('second'))).errors).toBeUndefined();
  });
});
