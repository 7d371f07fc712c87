import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { isStuck, runningForSeconds } from '../src/jobs/stuck.js';
import { createGateway } from '../src/server.js';
import { createManualScheduler, createWsClients, scoped, startStack, until, type Stack } from './helpers.js';

// Stuck jobs, measured on the emulator's manual clock: the gateway's `now` is that clock
// (startStack), so moving it moves both the job's createTime baseline and the gateway's answer.

const APP = 'd1todoapp00001';
const STUCK_AFTER = 60;
// Jobs that run an hour of emulator time unless a test ends them.
const emulator = { jobDurationMs: 3_600_000 };

let stack: Stack;
const ws = createWsClients();
afterEach(async () => {
  await ws.disposeAll();
  await stack?.stop();
});

const timing = 'jobId status state isDone createTime runningForSeconds stuck';

async function startJob(environmentName = 'dev') {
  const res = await stack.graphql(
    `mutation ($input: GenerateBackendApiModelsInput!) { generateBackendApiModels(input: $input) { job { jobId } } }`,
    { input: { appId: APP, environmentName, resourceName: 'todoappapi' } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.generateBackendApiModels.job.jobId as string;
}

async function job(jobId: string, environmentName = 'dev') {
  const res = await stack.graphql(
    `query ($jobId: ID!, $env: String!) { backendJob(appId: "${APP}", environmentName: $env, jobId: $jobId) { ${timing} } }`,
    { jobId, env: environmentName },
  );
  expect(res.errors).toBeUndefined();
  return res.data.backendJob;
}

async function setStatus(jobId: string, status: string, environmentName = 'dev') {
  const res = await stack.graphql(
    `mutation ($input: UpdateBackendJobInput!) { updateBackendJob(input: $input) { job { ${timing} } } }`,
    { input: { appId: APP, environmentName, jobId, status } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.updateBackendJob.job;
}

describe('BackendJob.runningForSeconds and stuck', () => {
  it('count from createTime on the emulator clock, and turn stuck only past JOB_STUCK_AFTER_SECONDS', async () => {
    stack = await startStack({ emulator, gateway: { jobStuckAfterSeconds: STUCK_AFTER } });
    const jobId = await startJob();
    expect(await job(jobId)).toMatchObject({ state: 'IN_PROGRESS', runningForSeconds: 0, stuck: false });

    await stack.emulator.advance(STUCK_AFTER * 1000 - 1);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: STUCK_AFTER - 1, stuck: false });
    await stack.emulator.advance(1);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: STUCK_AFTER, stuck: false });
    await stack.emulator.advance(1000);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: STUCK_AFTER + 1, stuck: true });
    await stack.emulator.advance(3_000_000);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: STUCK_AFTER + 3001, stuck: true });
  });

  it('are null and false once the job finishes on its own', async () => {
    stack = await startStack({ emulator, gateway: { jobStuckAfterSeconds: STUCK_AFTER } });
    const jobId = await startJob();
    await stack.emulator.advance(emulator.jobDurationMs);
    expect(await job(jobId)).toMatchObject({ state: 'COMPLETED', isDone: true, runningForSeconds: null, stuck: false });
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELLED'])(
    'a stuck job ended with updateBackendJob(status: %s) is no longer stuck, and the environment takes a new job',
    async (status) => {
      stack = await startStack({ emulator, gateway: { jobStuckAfterSeconds: STUCK_AFTER } });
      const jobId = await startJob();
      await stack.emulator.advance((STUCK_AFTER + 1) * 1000);
      expect(await job(jobId)).toMatchObject({ stuck: true });

      expect(await setStatus(jobId, status)).toMatchObject({ jobId, status, isDone: true, runningForSeconds: null, stuck: false });
      expect(await job(jobId)).toMatchObject({ status, runningForSeconds: null, stuck: false });
      // The emulator no longer counts it as pending: the environment is free for the next write.
      expect(await startJob()).not.toBe(jobId);
    },
  );

  it('come from the ListBackendJobs page the jobs connection reads, with no call per job', async () => {
    stack = await startStack({ emulator, gateway: { jobStuckAfterSeconds: STUCK_AFTER } });
    const jobId = await startJob();
    await stack.emulator.advance((STUCK_AFTER + 5) * 1000);
    stack.resetCalls();
    const res = await stack.graphql(`{
      backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 10) { edges { node { jobId runningForSeconds stuck } } } }
    }`);
    expect(res.errors).toBeUndefined();
    const nodes = res.data.backendEnvironment.jobs.edges.map((e: any) => e.node);
    expect(nodes[0]).toEqual({ jobId, runningForSeconds: STUCK_AFTER + 5, stuck: true });
    // The seeded jobs of the demo environment are all done.
    expect(nodes.slice(1).every((n: any) => n.runningForSeconds === null && n.stuck === false)).toBe(true);
    // GetBackend finds the environment; no GetBackendJob for any job.
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
  });

  it('default to 30 minutes', async () => {
    stack = await startStack({ emulator });
    const jobId = await startJob();
    await stack.emulator.advance(1800 * 1000);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: 1800, stuck: false });
    await stack.emulator.advance(1000);
    expect(await job(jobId)).toMatchObject({ runningForSeconds: 1801, stuck: true });
  });
});

describe('the gateway on its embedded emulator', () => {
  it("measures on the emulator's clock, which its control endpoint may have moved past the wall clock", async () => {
    await using gateway = scoped(
      await createGateway(loadConfig({ EMULATOR_PORT: '0', EMULATOR_JOB_SECONDS: '3600', JOB_STUCK_AFTER_SECONDS: '60', LOG_LEVEL: 'silent' })),
      (g) => g.stop(),
    );
    const graphql = async (query: string) => {
      const res = await gateway.yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as { data?: any; errors?: unknown[] };
    };
    const started = await graphql(
      `mutation { generateBackendApiModels(input: { appId: "${APP}", environmentName: "dev", resourceName: "todoappapi" }) { job { jobId } } }`,
    );
    expect(started.errors).toBeUndefined();
    const jobId = started.data.generateBackendApiModels.job.jobId;
    await gateway.emulator!.advance(600_000);
    const res = await graphql(`{ backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { state runningForSeconds stuck } }`);
    expect(res.data.backendJob).toMatchObject({ state: 'IN_PROGRESS', stuck: true });
    // The emulator's clock runs on with the wall clock: 600 s, plus however long this test took.
    expect(res.data.backendJob.runningForSeconds).toBeGreaterThanOrEqual(600);
    expect(res.data.backendJob.runningForSeconds).toBeLessThan(660);
  });
});

describe('the age rule', () => {
  const created = Date.parse('2026-01-01T00:00:00.000Z');
  const rule = (now: number, stuckAfterSeconds: number) => ({ now: () => now, stuckAfterSeconds });

  it('is whole seconds since createTime while running, null when done or with no usable createTime', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10_000_000, max: 10_000_000_000 }),
        fc.integer({ min: 1, max: 604_800 }),
        fc.constantFrom('IN_PROGRESS', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'SUCCEEDED', 'ERROR'),
        (elapsedMs, threshold, status) => {
          const job = { status, createTime: new Date(created).toISOString() };
          const running = ['IN_PROGRESS', 'PENDING', 'RUNNING'].includes(status);
          const seconds = runningForSeconds(job, created + elapsedMs);
          expect(seconds).toBe(running ? Math.max(0, Math.floor(elapsedMs / 1000)) : null);
          expect(isStuck(job, rule(created + elapsedMs, threshold))).toBe(running && seconds! > threshold);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['not a date', 'yesterday-ish'],
    ['of too many digits', '1'.repeat(17)],
  ])('is null with a createTime %s, and not stuck', (_name, createTime) => {
    const job = { status: 'IN_PROGRESS', createTime };
    expect(runningForSeconds(job, created)).toBeNull();
    expect(isStuck(job, rule(created + 10 ** 10, 1))).toBe(false);
  });

  it.each([
    ['an ISO date', '2026-01-01T00:00:00.000Z'],
    ['an ISO date without milliseconds', '2026-01-01T00:00:00Z'],
    ['epoch seconds', String(created / 1000)],
    ['epoch milliseconds', String(created)],
  ])('reads a createTime given as %s', (_name, createTime) => {
    expect(runningForSeconds({ status: 'IN_PROGRESS', createTime }, created + 90_500)).toBe(90);
  });

  it("stays within GraphQL's Int for a createTime centuries ago", () => {
    expect(runningForSeconds({ status: 'IN_PROGRESS', createTime: '0001-01-01T00:00:00Z' }, created)).toBe(2 ** 31 - 1);
  });
});

describe('JOB_STUCK_AFTER_SECONDS', () => {
  it('reads a number of seconds, 1800 by default', () => {
    expect(loadConfig({}).jobStuckAfterSeconds).toBe(1800);
    expect(loadConfig({ JOB_STUCK_AFTER_SECONDS: '60' }).jobStuckAfterSeconds).toBe(60);
    expect(loadConfig({ JOB_STUCK_AFTER_SECONDS: '604800' }).jobStuckAfterSeconds).toBe(604_800);
  });

  it.each(['0', '-1', '1.5', 'half an hour', '604801', '1e9'])('refuses %j, saying what is allowed', (value) => {
    expect(() => loadConfig({ JOB_STUCK_AFTER_SECONDS: value })).toThrow(ConfigError);
    expect(() => loadConfig({ JOB_STUCK_AFTER_SECONDS: value })).toThrow(
      'JOB_STUCK_AFTER_SECONDS must be a whole number from 1 to 604800',
    );
  });
});

describe('the amplifybackend_jobs_stuck gauge', () => {
  it('counts the running jobs the watcher polls that are past the threshold, each once', async () => {
    const scheduler = createManualScheduler();
    stack = await startStack({ emulator, scheduler, gateway: { jobStuckAfterSeconds: STUCK_AFTER } });
    const url = await stack.gateway.start(0, '127.0.0.1');
    const base = url.replace(/\/graphql$/, '');
    const gauge = async () => {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      const line = (await res.text()).split('\n').find((l) => l.startsWith('amplifybackend_jobs_stuck '));
      return Number(line?.split(' ')[1]);
    };
    expect(await gauge()).toBe(0);

    const devJob = await startJob('dev');
    await stack.emulator.advance(40_000);
    const prodJob = await startJob('prod');
    const client = ws.connect(url.replace('http://', 'ws://'));
    // The dev job is watched twice (by itself and through its environment): it must count once.
    const streams = [
      client.iterate({
        query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${devJob}") { jobId runningForSeconds stuck } }`,
      }),
      client.iterate({ query: `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId } }` }),
      client.iterate({ query: `subscription { backendJobs(appId: "${APP}", environmentName: "prod") { jobId } }` }),
    ];
    await until(() => stack.gateway.jobs.stats().subscribers === 3, 'the subscriptions');
    await scheduler.advance(0);
    expect(stack.gateway.jobs.stats().pollers).toBe(3);
    // Subscriptions measure on the same clock as queries.
    expect((await streams[0].next()).value).toEqual({ data: { backendJob: { jobId: devJob, runningForSeconds: 40, stuck: false } } });
    for (const stream of streams.slice(1)) expect((await stream.next()).done).toBe(false);
    expect(await gauge()).toBe(0);

    await stack.emulator.advance(21_000); // dev job at 61 s, prod job at 21 s
    expect(await gauge()).toBe(1);
    await stack.emulator.advance(40_000); // prod job at 61 s
    expect(await gauge()).toBe(2);

    // Ended through the gateway: the mutation makes the pollers look again at once.
    await setStatus(devJob, 'CANCELLED', 'dev');
    await scheduler.advance(0);
    expect(await gauge()).toBe(1);
    await setStatus(prodJob, 'FAILED', 'prod');
    await scheduler.advance(0);
    expect(await gauge()).toBe(0);
  });
});
