import {
  AmplifyBackendServiceException,
  BadRequestException,
  CreateBackendAPICommand,
  CreateBackendAuthCommand,
  CreateBackendCommand,
  DeleteBackendCommand,
  GetBackendAuthCommand,
  GetBackendCommand,
  GetBackendJobCommand,
  ListBackendJobsCommand,
  NotFoundException,
  UpdateBackendJobCommand,
  type AmplifyBackendClient,
  type BackendJobRespObj,
} from '@aws-sdk/client-amplifybackend';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import { authConfig } from './helpers.js';
import { rejection, useEmulatorClient } from './helpers-emulator.js';

const JOB_MS = 3000;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let emulator: Emulator;
let client: AmplifyBackendClient;
let appCount = 0;

useEmulatorClient((started, sdk) => {
  [emulator, client] = [started, sdk];
});

beforeEach(() => {
  emulator.faults.clear();
});


/** A fresh app id per test, so tests never share jobs. */
const newAppId = () => `jobsapp${String(++appCount).padStart(4, '0')}`;

/** Creates an app with a `dev` environment and lets the CreateBackend job complete. */
async function appWithEnvironment(AppId = newAppId()) {
  const created = await client.send(
    new CreateBackendCommand({ AppId, AppName: 'jobs', BackendEnvironmentName: 'dev' }),
  );
  await emulator.advance(JOB_MS);
  return { AppId, BackendEnvironmentName: 'dev', createJobId: created.JobId! };
}

const getJob = (AppId: string, JobId: string, BackendEnvironmentName = 'dev') =>
  client.send(new GetBackendJobCommand({ AppId, BackendEnvironmentName, JobId }));

const createApi = (AppId: string, ResourceName: string) =>
  client.send(
    new CreateBackendAPICommand({
      AppId,
      BackendEnvironmentName: 'dev',
      ResourceName,
      ResourceConfig: {},
    }),
  );

/** The API resources amplify-meta lists for the `dev` environment. */
async function apiNames(AppId: string) {
  const backend = await client.send(
    new GetBackendCommand({ AppId, BackendEnvironmentName: 'dev' }),
  );
  return Object.keys(JSON.parse(backend.AmplifyMetaConfig!).api);
}

const createAuth = (AppId: string) =>
  client.send(
    new CreateBackendAuthCommand({
      AppId,
      BackendEnvironmentName: 'dev',
      ResourceName: 'auth',
      ResourceConfig: authConfig(),
    }),
  );

describe('a job', () => {
  it('is created IN_PROGRESS by an operation that returns a JobId', async () => {
    const AppId = newAppId();
    const out = await client.send(
      new CreateBackendCommand({ AppId, AppName: 'jobs', BackendEnvironmentName: 'dev' }),
    );
    expect(out).toMatchObject({
      AppId,
      BackendEnvironmentName: 'dev',
      Operation: 'CreateBackend',
      Status: 'IN_PROGRESS',
    });
    expect(out.JobId).toBeTruthy();

    const job = await getJob(AppId, out.JobId!);
    expect(job).toMatchObject({
      AppId,
      BackendEnvironmentName: 'dev',
      JobId: out.JobId,
      Operation: 'CreateBackend',
      Status: 'IN_PROGRESS',
    });
    expect(job.CreateTime).toMatch(ISO);
    expect(job.UpdateTime).toBe(job.CreateTime);
    expect(job.Error).toBeUndefined();
    await emulator.advance(JOB_MS);
  });

  it('stays IN_PROGRESS until the clock has moved by the job duration', async () => {
    const { AppId } = await appWithEnvironment();
    const { JobId } = await createApi(AppId, 'api');
    await emulator.advance(JOB_MS - 1);
    expect((await getJob(AppId, JobId!)).Status).toBe('IN_PROGRESS');
    expect(await apiNames(AppId)).toEqual([]);

    await emulator.advance(1);
    const done = await getJob(AppId, JobId!);
    expect(done.Status).toBe('COMPLETED');
    expect(Date.parse(done.UpdateTime!)).toBe(Date.parse(done.CreateTime!) + JOB_MS);
    expect(await apiNames(AppId)).toEqual(['api']);
  });

  it('applies its change when it completes', async () => {
    const AppId = newAppId();
    await client.send(
      new CreateBackendCommand({ AppId, AppName: 'jobs', BackendEnvironmentName: 'dev' }),
    );
    const before = await client.send(new GetBackendCommand({ AppId }));
    expect(before.BackendEnvironmentList).toEqual([]);
    await emulator.advance(JOB_MS);
    const after = await client.send(new GetBackendCommand({ AppId }));
    expect(after.BackendEnvironmentList).toEqual(['dev']);
  });

  it('ends FAILED with an Error under a failJob fault, and changes nothing', async () => {
    const { AppId } = await appWithEnvironment();
    emulator.faults.inject({ operation: 'CreateBackendAuth', type: 'failJob' });
    const { JobId } = await createAuth(AppId);
    expect((await getJob(AppId, JobId!)).Status).toBe('IN_PROGRESS');

    await emulator.advance(JOB_MS);
    const job = await getJob(AppId, JobId!);
    expect(job.Status).toBe('FAILED');
    expect(job.Error).toMatch(/^Failed to create auth auth in environment dev: stack amplify-\w+-dev is in ROLLBACK_COMPLETE state/);

    const error = await rejection(
      client.send(
        new GetBackendAuthCommand({ AppId, BackendEnvironmentName: 'dev', ResourceName: 'auth' }),
      ),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('auth');
    const backend = await client.send(
      new GetBackendCommand({ AppId, BackendEnvironmentName: 'dev' }),
    );
    expect(JSON.parse(backend.AmplifyMetaConfig!).auth).toEqual({});
  });

  it('fails only as many jobs as the failJob fault counts', async () => {
    const { AppId } = await appWithEnvironment();
    emulator.faults.inject({ operation: 'CreateBackendAuth', type: 'failJob' });
    await createAuth(AppId);
    await emulator.advance(JOB_MS);
    const { JobId } = await createAuth(AppId);
    await emulator.advance(JOB_MS);
    expect((await getJob(AppId, JobId!)).Status).toBe('COMPLETED');
    const auth = await client.send(
      new GetBackendAuthCommand({ AppId, BackendEnvironmentName: 'dev', ResourceName: 'auth' }),
    );
    expect(auth.ResourceName).toBe('auth');
  });

  it('refuses a second job on the same app and environment while one is IN_PROGRESS', async () => {
    const { AppId } = await appWithEnvironment();
    await createApi(AppId, 'one');
    const error = await rejection(createApi(AppId, 'two'));
    expect(error).toBeInstanceOf(AmplifyBackendServiceException);
    expect(error.name).toBe('ValidationException');
    expect(error.$metadata.httpStatusCode).toBe(400);

    // Nothing was started by the refused call.
    const listed = await client.send(
      new ListBackendJobsCommand({ AppId, BackendEnvironmentName: 'dev', Status: 'IN_PROGRESS' }),
    );
    expect(listed.Jobs?.map((j) => j.Operation)).toEqual(['CreateBackendAPI']);

    await emulator.advance(JOB_MS);
    const { Status } = await createApi(AppId, 'two');
    expect(Status).toBe('IN_PROGRESS');
    await emulator.advance(JOB_MS);
  });

  it('does not block a job on another environment of the same app', async () => {
    const { AppId } = await appWithEnvironment();
    await createApi(AppId, 'one');
    const other = await client.send(
      new CreateBackendCommand({ AppId, AppName: 'jobs', BackendEnvironmentName: 'prod' }),
    );
    expect(other.Status).toBe('IN_PROGRESS');
    await emulator.advance(JOB_MS);
  });
});

describe('ListBackendJobs', () => {
  let AppId: string;
  /** Job ids in creation order: CreateBackend, then 11 CreateBackendAPI. */
  const created: string[] = [];

  beforeAll(async () => {
    const app = await appWithEnvironment();
    AppId = app.AppId;
    created.push(app.createJobId);
    for (let i = 0; i < 11; i++) {
      const { JobId } = await createApi(AppId, `api${i}`);
      created.push(JobId!);
      await emulator.advance(JOB_MS);
    }
  });

  const list = (input: Partial<{ JobId: string; Operation: string; Status: string }> = {}) =>
    client.send(new ListBackendJobsCommand({ AppId, BackendEnvironmentName: 'dev', ...input }));

  it('lists every job of the environment, newest first', async () => {
    const { Jobs, NextToken } = await list();
    expect(Jobs?.map((j) => j.JobId)).toEqual([...created].reverse());
    expect(NextToken).toBeUndefined();
    const times = Jobs!.map((j) => Date.parse(j.CreateTime!));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('pages with MaxResults and NextToken to the end: 5, 5, 2', async () => {
    const pages: BackendJobRespObj[][] = [];
    let NextToken: string | undefined;
    do {
      const out = await client.send(
        new ListBackendJobsCommand({
          AppId,
          BackendEnvironmentName: 'dev',
          MaxResults: 5,
          NextToken,
        }),
      );
      pages.push(out.Jobs ?? []);
      NextToken = out.NextToken;
      if (pages.length < 3) expect(NextToken).toBeTruthy();
    } while (NextToken && pages.length < 10);

    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat().map((j) => j.JobId)).toEqual([...created].reverse());
  });

  it('filters by JobId', async () => {
    const { Jobs } = await list({ JobId: created[3] });
    expect(Jobs?.map((j) => j.JobId)).toEqual([created[3]]);
  });

  it('filters by Operation', async () => {
    const { Jobs } = await list({ Operation: 'CreateBackend' });
    expect(Jobs?.map((j) => j.JobId)).toEqual([created[0]]);
    expect((await list({ Operation: 'CreateBackendAPI' })).Jobs).toHaveLength(11);
  });

  it('filters by Status', async () => {
    expect((await list({ Status: 'COMPLETED' })).Jobs).toHaveLength(12);
    expect((await list({ Status: 'IN_PROGRESS' })).Jobs).toEqual([]);
  });

  it('rejects an invalid NextToken with 400', async () => {
    const error = await rejection(
      client.send(
        new ListBackendJobsCommand({ AppId, BackendEnvironmentName: 'dev', NextToken: 'garbage' }),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toMatch(/nextToken/i);
  });

  it('is a NotFoundException for an environment that never existed', async () => {
    const error = await rejection(
      client.send(new ListBackendJobsCommand({ AppId, BackendEnvironmentName: 'never' })),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('environment');
  });
});

describe('UpdateBackendJob', () => {
  it('updates Operation and Status', async () => {
    const { AppId, createJobId } = await appWithEnvironment();
    const out = await client.send(
      new UpdateBackendJobCommand({
        AppId,
        BackendEnvironmentName: 'dev',
        JobId: createJobId,
        Operation: 'Renamed',
        Status: 'CANCELLED',
      }),
    );
    expect(out).toMatchObject({ JobId: createJobId, Operation: 'Renamed', Status: 'CANCELLED' });
    const job = await getJob(AppId, createJobId);
    expect(job).toMatchObject({ Operation: 'Renamed', Status: 'CANCELLED' });
  });

  it('ending an IN_PROGRESS job frees the environment for the next job', async () => {
    const { AppId } = await appWithEnvironment();
    const { JobId } = await createApi(AppId, 'one');
    await client.send(
      new UpdateBackendJobCommand({
        AppId,
        BackendEnvironmentName: 'dev',
        JobId,
        Status: 'CANCELLED',
      }),
    );
    const next = await createApi(AppId, 'two');
    expect(next.Status).toBe('IN_PROGRESS');
    await emulator.advance(JOB_MS);
    // The cancelled job never completes into a resource.
    expect((await getJob(AppId, JobId!)).Status).toBe('CANCELLED');
  });

  it('is a NotFoundException for an unknown job', async () => {
    const { AppId } = await appWithEnvironment();
    const error = await rejection(
      client.send(
        new UpdateBackendJobCommand({ AppId, BackendEnvironmentName: 'dev', JobId: 'nope' }),
      ),
    );
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.resourceType).toBe('job');
  });
});

describe('jobs of a deleted environment', () => {
  it('remain readable after the environment is gone', async () => {
    const { AppId, createJobId } = await appWithEnvironment();
    const deleted = await client.send(
      new DeleteBackendCommand({ AppId, BackendEnvironmentName: 'dev' }),
    );
    await emulator.advance(JOB_MS);

    const gone = await rejection(
      client.send(new GetBackendCommand({ AppId, BackendEnvironmentName: 'dev' })),
    );
    expect(gone).toBeInstanceOf(NotFoundException);

    expect((await getJob(AppId, createJobId)).Status).toBe('COMPLETED');
    expect((await getJob(AppId, deleted.JobId!)).Status).toBe('COMPLETED');
    const { Jobs } = await client.send(
      new ListBackendJobsCommand({ AppId, BackendEnvironmentName: 'dev' }),
    );
    expect(Jobs?.map((j) => j.Operation)).toEqual(['DeleteBackend', 'CreateBackend']);
  });
});
