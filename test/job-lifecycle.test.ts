import { execFile, spawnSync } from 'node:child_process';
import { UpdateBackendJobCommand } from '@aws-sdk/client-amplifybackend';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { isTerminalState, isTerminalStatus, jobState, jobVersion, knownStatuses } from '../src/jobs/lifecycle.js';
import { createManualScheduler, fakeCredentials, sdkClient, startStack, startStorageJob, until, type Stack } from './helpers.js';
import { runOver, type Transport } from './helpers-transport.js';

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

describe('the job lifecycle', () => {
  const terminal = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

  it.each(Object.entries(knownStatuses))('reads %s as %s, in any case', (status, state) => {
    for (const sent of [status, status.toLowerCase(), status[0] + status.slice(1).toLowerCase()]) {
      expect(jobState(sent)).toBe(state);
      expect(isTerminalStatus(sent)).toBe(terminal.has(state));
    }
    expect(isTerminalState(state)).toBe(terminal.has(state));
  });

  it('keeps a cancellation apart from a failure', () => {
    expect(jobState('CANCELLED')).toBe('CANCELLED');
    expect(jobState('CANCELED')).toBe('CANCELLED');
  });

  it('reads any other status, or none, as UNKNOWN and not terminal', () => {
    const known = new Set(Object.keys(knownStatuses));
    fc.assert(
      fc.property(
        fc.option(fc.string({ maxLength: 20 }), { nil: undefined }).filter((s) => s === undefined || !known.has(s.toUpperCase())),
        (status) => {
          expect(jobState(status)).toBe('UNKNOWN');
          expect(isTerminalStatus(status)).toBe(false);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
    // Names of Object.prototype are statuses like any other.
    for (const status of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(jobState(status)).toBe('UNKNOWN');
  });

  it('gives two reads of a job the same version only when status, operation, updateTime and error agree', () => {
    const job = { jobId: 'j', status: 'IN_PROGRESS', operation: 'Op', updateTime: 't1', createTime: 't0' };
    expect(jobVersion({ ...job, createTime: 'other' })).toBe(jobVersion(job));
    for (const change of [{ status: 'COMPLETED' }, { operation: 'Other' }, { updateTime: 't2' }, { error: 'boom' }]) {
      expect(jobVersion({ ...job, ...change })).not.toBe(jobVersion(job));
    }
  });
});

let stack: Stack;
let scheduler: ReturnType<typeof createManualScheduler>;

async function start() {
  scheduler = createManualScheduler();
  stack = await startStack({ scheduler, gateway: { jobPolling: polling } });
  await stack.gateway.start(0);
}

afterEach(async () => {
  await stack?.stop();
});

const watchers = () => stack.gateway.jobs.stats();

const jobSubscription = (jobId: string) => ({
  query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId status state isDone } }`,
});

async function setStatusThroughGateway(jobId: string, status: string) {
  const res = await stack.graphql(
    `mutation($input: UpdateBackendJobInput!) { updateBackendJob(input: $input) { job { status } } }`,
    { input: { appId: APP, environmentName: 'dev', jobId, status } },
  );
  expect(res.errors).toBeUndefined();
  // The mutation tells the job's poller, which polls at once.
  await scheduler.advance(0);
}

/** Opens a `backendJob` subscription over `transport` and waits for its first event, the job running. */
async function subscribe(transport: Transport, jobId: string, take?: number) {
  const answer = runOver(transport, stack.gateway, jobSubscription(jobId), take === undefined ? {} : { take });
  await until(() => watchers().subscribers === 1, 'the subscription');
  await scheduler.advance(0);
  // Wrapped: an async function returning the promise itself would wait for the whole stream.
  return { answer };
}

/** The poller has stopped: nothing polled, nothing scheduled, in a minute of emulator and gateway time. */
async function expectNoMorePolling() {
  stack.resetCalls();
  for (let second = 0; second < 60; second++) {
    await stack.emulator.advance(1000);
    await scheduler.advance(1000);
  }
  expect(stack.calls()).toEqual({});
  await until(() => watchers().watches === 0, 'the poller to stop');
  expect(scheduler.pending()).toBe(0);
}

describe('a job ended by a cancellation', () => {
  it.each(['ws', 'sse'] as const)(
    'completes its backendJob subscription over %s when set to CANCELLED with updateBackendJob, and its poller stops',
    async (transport) => {
      await start();
      const jobId = await startStorageJob(stack, 'photos');
      const { answer } = await subscribe(transport, jobId);

      await setStatusThroughGateway(jobId, 'CANCELLED');
      await expectNoMorePolling();
      expect((await answer).results).toEqual([
        { data: { backendJob: { jobId, status: 'IN_PROGRESS', state: 'IN_PROGRESS', isDone: false } } },
        { data: { backendJob: { jobId, status: 'CANCELLED', state: 'CANCELLED', isDone: true } } },
      ]);
    },
  );

  it('completes the subscription when the service cancels the job itself (UpdateBackendJob on the emulator)', async () => {
    await start();
    const jobId = await startStorageJob(stack, 'photos');
    const { answer } = await subscribe('ws', jobId);

    {
      using sdk = sdkClient(stack.emulator.url);
      await sdk.send(new UpdateBackendJobCommand({ AppId: APP, BackendEnvironmentName: 'dev', JobId: jobId, Status: 'CANCELED' }));
    }
    // Nobody told the gateway: its poller finds out at its next poll.
    await scheduler.advance(polling.maxIntervalMs);
    await expectNoMorePolling();
    expect((await answer).results.at(-1)).toEqual({ data: { backendJob: { jobId, status: 'CANCELED', state: 'CANCELLED', isDone: true } } });
  });

  it('completes every subscriber of a shared backendJob stream', async () => {
    await start();
    const jobId = await startStorageJob(stack, 'photos');
    const first = runOver('ws', stack.gateway, jobSubscription(jobId));
    const second = runOver('sse', stack.gateway, jobSubscription(jobId));
    await until(() => stack.gateway.subscriptions().subscribers === 2, 'both subscribers on one shared stream');
    expect(stack.gateway.subscriptions().streams).toBe(1);
    await scheduler.advance(0);

    await setStatusThroughGateway(jobId, 'CANCELLED');
    await expectNoMorePolling();
    for (const answer of [await first, await second]) {
      expect(answer.results.at(-1)).toEqual({ data: { backendJob: { jobId, status: 'CANCELLED', state: 'CANCELLED', isDone: true } } });
    }
  });

  it('makes the gateway forget what it kept of the app once a watched job is cancelled', async () => {
    scheduler = createManualScheduler();
    stack = await startStack({ scheduler, gateway: { jobPolling: polling, upstreamCacheTtlMs: 60_000 } });
    await stack.gateway.start(0);
    const jobId = await startStorageJob(stack, 'photos');
    const appQuery = `{ app(appId: "${APP}") { appName } }`;
    await stack.graphql(appQuery);
    stack.resetCalls();
    await stack.graphql(appQuery);
    expect(stack.calls()).toEqual({});

    const { answer } = await subscribe('ws', jobId);
    {
      using sdk = sdkClient(stack.emulator.url);
      await sdk.send(new UpdateBackendJobCommand({ AppId: APP, BackendEnvironmentName: 'dev', JobId: jobId, Status: 'CANCELLED' }));
    }
    await scheduler.advance(polling.maxIntervalMs);
    await until(() => watchers().watches === 0, 'the subscription to complete');
    await answer;
    stack.resetCalls();
    await stack.graphql(appQuery);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  const boto3 = spawnSync('python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!boto3)(
    `completes the subscription when boto3's update_backend_job sets CANCELLED${boto3 ? '' : ' (skipped: python3 with boto3 is not installed)'}`,
    async () => {
      await start();
      const jobId = await startStorageJob(stack, 'photos');
      const { answer } = await subscribe('ws', jobId);

      const script = `
import sys, boto3
client = boto3.client('amplifybackend', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
out = client.update_backend_job(AppId=sys.argv[4], BackendEnvironmentName='dev', JobId=sys.argv[5], Status='CANCELLED')
print(out['Status'])`;
      const printed = await new Promise<string>((resolve, reject) =>
        execFile(
          'python3',
          ['-c', script, stack.emulator.url, fakeCredentials.accessKeyId, fakeCredentials.secretAccessKey, APP, jobId],
          (error, stdout, stderr) => (error ? reject(new Error(`boto3 failed: ${stderr}`)) : resolve(stdout.trim())),
        ),
      );
      expect(printed).toBe('CANCELLED');

      await scheduler.advance(polling.maxIntervalMs);
      await expectNoMorePolling();
      expect((await answer).results.at(-1)).toEqual({ data: { backendJob: { jobId, status: 'CANCELLED', state: 'CANCELLED', isDone: true } } });
    },
  );
});

describe('every known status through a backendJob subscription', () => {
  const cases = [...Object.entries(knownStatuses), ['SOMETHING_ELSE', 'UNKNOWN'] as const].flatMap(([status, state]) =>
    (['ws', 'sse'] as const).map((transport) => ({ status, state, transport, done: isTerminalState(state) })),
  );

  it.each(cases)('$status over $transport: state $state, the stream completes: $done', async ({ status, state, transport, done }) => {
    await start();
    const jobId = await startStorageJob(stack, 'photos');
    const { answer } = await subscribe(transport, jobId, done ? undefined : 2);

    // A later updateTime: setting the status the job already has is still a change to send.
    await stack.emulator.advance(1000);
    await setStatusThroughGateway(jobId, status);
    if (done) {
      await expectNoMorePolling();
    } else {
      // Still watched: the stream goes on and its poller with it.
      expect(watchers()).toMatchObject({ watches: 1, subscribers: 1 });
    }
    const { results } = await answer;
    expect(results).toHaveLength(2);
    expect(results[1]).toEqual({ data: { backendJob: { jobId, status, state, isDone: done } } });
  });
});
