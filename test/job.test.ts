import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeId, startStack, type Stack, nothingKept } from './helpers.js';
import { refusal, upstreamNotFound } from './helpers-errors.js';

const APP = 'd1todoapp00001';
const API = 'todoappapi';

let stack: Stack;
beforeEach(async () => {
  // Counts upstream calls per request: nothing kept across requests.
  stack = await startStack({ gateway: nothingKept });
});
afterEach(() => stack.stop());

const jobFields = `jobId operation status state isDone createTime updateTime error environment { appId name }`;

/** Starts a GenerateBackendAPIModels job on an environment; resolves with the job's fields. */
async function generateModels(environmentName = 'dev') {
  const res = await stack.graphql(
    `mutation ($input: GenerateBackendApiModelsInput!) {
      generateBackendApiModels(input: $input) { job { ${jobFields} } }
    }`,
    { input: { appId: APP, environmentName, resourceName: API } },
  );
  expect(res.errors).toBeUndefined();
  return res.data.generateBackendApiModels.job;
}

/** `count` finished jobs, one after another; their ids, oldest first. */
async function makeJobs(count: number, environmentName = 'dev') {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push((await generateModels(environmentName)).jobId);
    await stack.emulator.advance(3000);
  }
  return ids;
}

async function jobs(args: string, environmentName = 'dev') {
  const res = await stack.graphql(`{
    backendEnvironment(appId: "${APP}", name: "${environmentName}") {
      jobs(${args}) {
        edges { cursor node { jobId operation status state } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }`);
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment.jobs;
}

async function backendJob(jobId: string, environmentName = 'dev') {
  return stack.graphql(
    `query ($appId: ID!, $env: String!, $jobId: ID!) {
      backendJob(appId: $appId, environmentName: $env, jobId: $jobId) { ${jobFields} }
    }`,
    { appId: APP, env: environmentName, jobId },
  );
}

async function updateJob(jobId: string, changes: { status?: string; operation?: string }) {
  return stack.graphql(
    `mutation ($input: UpdateBackendJobInput!) {
      updateBackendJob(input: $input) { job { ${jobFields} } environment { appId name } }
    }`,
    { input: { appId: APP, environmentName: 'dev', jobId, ...changes } },
  );
}

/** Every job of an environment, following `after` with pages of `first`. */
async function walk(first: number, extra = '', environmentName = 'dev') {
  const seen: string[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page: any = await jobs(
      `first: ${first}${after ? `, after: "${after}"` : ''}${extra ? `, ${extra}` : ''}`,
      environmentName,
    );
    seen.push(...page.edges.map((e: any) => e.node.jobId));
    if (!page.pageInfo.hasNextPage) return { seen, last: page };
    expect(page.edges).toHaveLength(first);
    after = page.pageInfo.endCursor;
  }
  throw new Error('paging never ended');
}

describe('backendJob', () => {
  it('answers every field of a job', async () => {
    const started = await generateModels();
    await stack.emulator.advance(3000);
    const res = await backendJob(started.jobId);
    expect(res.errors).toBeUndefined();
    expect(res.data.backendJob).toEqual({
      jobId: started.jobId,
      operation: 'GenerateBackendAPIModels',
      status: 'COMPLETED',
      state: 'COMPLETED',
      isDone: true,
      createTime: '2026-01-01T00:00:00.000Z',
      updateTime: '2026-01-01T00:00:03.000Z',
      error: null,
      environment: { appId: APP, name: 'dev' },
    });
  });

  it('is null, without errors, for a job the service does not know', async () => {
    const res = await backendJob('no-such-job');
    expect(res).toEqual({ data: { backendJob: null } });
  });

  it('is reachable from its environment with environment.job', async () => {
    const started = await generateModels();
    const res = await stack.graphql(
      `query ($jobId: ID!) {
        backendEnvironment(appId: "${APP}", name: "dev") {
          job(jobId: $jobId) { jobId operation state }
          missing: job(jobId: "no-such-job") { jobId }
        }
      }`,
      { jobId: started.jobId },
    );
    expect(res).toEqual({
      data: {
        backendEnvironment: {
          job: {
            jobId: started.jobId,
            operation: 'GenerateBackendAPIModels',
            state: 'IN_PROGRESS',
          },
          missing: null,
        },
      },
    });
  });
  it('is reachable as a node by its global id', async () => {
    const [jobId] = await makeJobs(1);
    const listed = await stack.graphql(`{
      backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { id }
    }`);
    const { id } = listed.data.backendJob;
    expect(decodeId(id)).toEqual({ typename: 'BackendJob', key: [APP, 'dev', jobId] });
    const res = await stack.graphql(
      'query ($id: ID!) { node(id: $id) { id ... on BackendJob { jobId state } } }',
      {
        id,
      },
    );
    expect(res).toEqual({ data: { node: { id, jobId, state: 'COMPLETED' } } });
  });
});

describe('job state', () => {
  it('is IN_PROGRESS while the job runs and COMPLETED once the clock passes its end', async () => {
    const started = await generateModels();
    expect(started).toMatchObject({ status: 'IN_PROGRESS', state: 'IN_PROGRESS', isDone: false });

    await stack.emulator.advance(2999);
    expect((await backendJob(started.jobId)).data.backendJob).toMatchObject({
      state: 'IN_PROGRESS',
      isDone: false,
    });

    await stack.emulator.advance(1);
    expect((await backendJob(started.jobId)).data.backendJob).toMatchObject({
      status: 'COMPLETED',
      state: 'COMPLETED',
      isDone: true,
      error: null,
    });
  });

  it('is FAILED, with the error, when the job fails', async () => {
    stack.emulator.faults.inject({ operation: 'GenerateBackendAPIModels', type: 'failJob' });
    const started = await generateModels();
    expect(started.state).toBe('IN_PROGRESS');
    await stack.emulator.advance(3000);
    const res = await backendJob(started.jobId);
    expect(res.data.backendJob).toMatchObject({
      status: 'FAILED',
      state: 'FAILED',
      isDone: true,
      // The emulator's failJob message for this operation, passed on as given.
      error: `Failed to generate models for API ${API} in environment dev: InvalidDirectiveError: @index directive on a field of a type without @model is not supported`,
    });
  });

  it('is UNKNOWN for a status the gateway does not recognise, which status keeps as sent', async () => {
    const [jobId] = await makeJobs(1);
    const updated = await updateJob(jobId, { status: 'SOMETHING_ELSE' });
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateBackendJob.job).toMatchObject({
      status: 'SOMETHING_ELSE',
      state: 'UNKNOWN',
      isDone: false,
    });
    expect((await backendJob(jobId)).data.backendJob).toMatchObject({
      status: 'SOMETHING_ELSE',
      state: 'UNKNOWN',
      isDone: false,
    });
  });
});

describe('updateBackendJob', () => {
  it("sets a job's operation and status and answers the job and its environment", async () => {
    const [jobId] = await makeJobs(1);
    await stack.emulator.advance(1000);
    const res = await updateJob(jobId, { operation: 'CustomOperation', status: 'FAILED' });
    expect(res).toEqual({
      data: {
        updateBackendJob: {
          job: {
            jobId,
            operation: 'CustomOperation',
            status: 'FAILED',
            state: 'FAILED',
            isDone: true,
            createTime: '2026-01-01T00:00:00.000Z',
            updateTime: '2026-01-01T00:00:04.000Z',
            error: null,
            environment: { appId: APP, name: 'dev' },
          },
          environment: { appId: APP, name: 'dev' },
        },
      },
    });
    expect((await backendJob(jobId)).data.backendJob).toMatchObject({
      operation: 'CustomOperation',
      status: 'FAILED',
    });
  });

  it('ends a running job with the status given', async () => {
    const started = await generateModels();
    const res = await updateJob(started.jobId, { status: 'COMPLETED' });
    expect(res.data.updateBackendJob.job).toMatchObject({ status: 'COMPLETED', isDone: true });
    // The environment is free for the next job without advancing the clock.
    expect((await generateModels()).state).toBe('IN_PROGRESS');
  });

  it('is NOT_FOUND for an unknown job', async () => {
    const res = await updateJob('no-such-job', { status: 'COMPLETED' });
    expect(res).toStrictEqual({
      data: null,
      errors: [
        upstreamNotFound('UpdateBackendJob', 'job', {
          column: 7,
          line: 2,
          path: 'updateBackendJob',
          message: 'Job no-such-job not found in app d1todoapp00001, environment dev',
        }),
      ],
    });
  });
});

describe('jobs connection', () => {
  it('lists the seeded jobs newest first', async () => {
    const page = await jobs('first: 10');
    expect(page.edges.map((e: any) => e.node.operation)).toEqual([
      'CreateBackendStorage',
      'CreateBackendAuth',
      'GenerateBackendAPIModels',
      'CreateBackendAPI',
      'CreateBackend',
    ]);
    expect(page.edges.every((e: any) => e.node.state === 'COMPLETED')).toBe(true);
    expect(page.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  it('puts a new job first', async () => {
    const started = await generateModels();
    const page = await jobs('first: 2');
    expect(page.edges.map((e: any) => e.node)).toEqual([
      {
        jobId: started.jobId,
        operation: 'GenerateBackendAPIModels',
        status: 'IN_PROGRESS',
        state: 'IN_PROGRESS',
      },
      expect.objectContaining({ operation: 'CreateBackendStorage' }),
    ]);
    expect(page.pageInfo.hasNextPage).toBe(true);
  });

  it('pages to the end with first and after, every job once, across upstream pages of 25', async () => {
    const seeded = (await jobs('first: 10')).edges.map((e: any) => e.node.jobId);
    const made = await makeJobs(32);
    // 37 jobs, newest first: the 32 made, then the 5 seeded ones.
    const expected = [...made].reverse().concat(seeded);
    expect(new Set(expected).size).toBe(37);
    for (const first of [7, 10, 25, 30]) {
      const { seen, last } = await walk(first);
      expect(seen).toEqual(expected);
      expect(last.pageInfo.hasNextPage).toBe(false);
      expect(last.edges).toHaveLength(37 % first || first);
    }
  });

  it('answers a whole 37-job history in one page of first: 100, then nothing after it', async () => {
    const made = await makeJobs(32);
    const page = await jobs('first: 100');
    expect(page.edges).toHaveLength(37);
    expect(page.edges.slice(0, 32).map((e: any) => e.node.jobId)).toEqual([...made].reverse());
    expect(page.pageInfo.hasNextPage).toBe(false);
    const after = await jobs(`first: 10, after: "${page.pageInfo.endCursor}"`);
    expect(after.edges).toEqual([]);
    expect(after.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
  });

  it('says no next page when the last job ends a full upstream page', async () => {
    await makeJobs(20);
    // 25 jobs: exactly one upstream page of 25.
    const page = await jobs('first: 25');
    expect(page.edges).toHaveLength(25);
    expect(page.pageInfo.hasNextPage).toBe(false);
  });

  it('goes on after the cursor, not repeating a job, when new jobs start between pages', async () => {
    await makeJobs(3);
    const page = await jobs('first: 4');
    const firstIds = page.edges.map((e: any) => e.node.jobId);
    const newer = await makeJobs(2);
    const next = await jobs(`first: 100, after: "${page.pageInfo.endCursor}"`);
    const nextIds = next.edges.map((e: any) => e.node.jobId);
    expect(nextIds.filter((id: string) => firstIds.includes(id) || newer.includes(id))).toEqual([]);
    expect(nextIds).toHaveLength(4);
  });

  it('goes on after the cursor when new jobs start between pages, also past an upstream page', async () => {
    await makeJobs(40);
    const page = await jobs('first: 30');
    const firstIds = page.edges.map((e: any) => e.node.jobId);
    await makeJobs(3);
    const next = await jobs(`first: 100, after: "${page.pageInfo.endCursor}"`);
    const nextIds = next.edges.map((e: any) => e.node.jobId);
    expect(nextIds.filter((id: string) => firstIds.includes(id))).toEqual([]);
    expect(nextIds).toHaveLength(15);
  });

  it('filters by status', async () => {
    const made = await makeJobs(2);
    await updateJob(made[0], { status: 'FAILED' });
    const running = await generateModels();
    const failed = await jobs('first: 10, status: "FAILED"');
    expect(failed.edges.map((e: any) => e.node.jobId)).toEqual([made[0]]);
    const inProgress = await jobs('first: 10, status: "IN_PROGRESS"');
    expect(inProgress.edges.map((e: any) => e.node.jobId)).toEqual([running.jobId]);
    const completed = await jobs('first: 100, status: "COMPLETED"');
    expect(completed.edges).toHaveLength(6);
    expect(completed.edges.every((e: any) => e.node.status === 'COMPLETED')).toBe(true);
  });

  it('filters by operation, paging through the filtered list', async () => {
    const made = await makeJobs(30);
    // The seeded GenerateBackendAPIModels job is the oldest of the 31.
    const { seen, last } = await walk(8, 'operation: "GenerateBackendAPIModels"');
    expect(seen).toHaveLength(31);
    expect(seen.slice(0, 30)).toEqual([...made].reverse());
    expect(last.edges.every((e: any) => e.node.operation === 'GenerateBackendAPIModels')).toBe(
      true,
    );
    const auth = await jobs('first: 10, operation: "CreateBackendAuth"');
    expect(auth.edges.map((e: any) => e.node.operation)).toEqual(['CreateBackendAuth']);
  });

  it('is BAD_USER_INPUT for first over 100', async () => {
    const res = await stack.graphql(`{
      backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 101) { edges { cursor } } }
    }`);
    expect(res.data).toEqual({ backendEnvironment: null });
    expect(res.errors).toStrictEqual(
      refusal({ code: 'BAD_USER_INPUT', field: 'first', column: 66, line: 2, path: ['backendEnvironment', 'jobs'], message: 'first must be from 0 to 100, got 101' }),
    );
  });

  it('is BAD_USER_INPUT for an invalid after cursor', async () => {
    const res = await stack.graphql(`{
      backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 5, after: "not-a-cursor") { edges { cursor } } }
    }`);
    expect(res.data).toEqual({ backendEnvironment: null });
    expect(res.errors).toStrictEqual(
      refusal({ code: 'BAD_USER_INPUT', field: 'after', column: 66, line: 2, path: ['backendEnvironment', 'jobs'], message: 'Invalid cursor "not-a-cursor"' }),
    );
  });

  it('quotes the start of an after cursor of 1 MB, not all of it', async () => {
    const after = 'x'.repeat(1_000_000);
    const res = await stack.graphql(
      `query($after: String) { backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 5, after: $after) { edges { cursor } } } }`,
      { after },
    );
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' }, message: `Invalid cursor "${'x'.repeat(100)}…"` });
  });

  it('costs one ListBackendJobs for a page of first: 5, and one for the next', async () => {
    await makeJobs(3);
    stack.resetCalls();
    const page = await jobs('first: 5');
    expect(page.edges).toHaveLength(5);
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
    stack.resetCalls();
    const next = await jobs(`first: 5, after: "${page.pageInfo.endCursor}"`);
    expect(next.edges).toHaveLength(3);
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
  });
});
