import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJobDurations, defaultDurationBounds, type DurationBounds } from '../src/jobs/durations.js';
import { END_MARGIN_MS, pacedDelay } from '../src/jobs/pacing.js';
import { startStorageJob, until, type Stack } from './helpers.js';
import { useScheduledStack, type ManualScheduler } from './helpers-stack.js';

describe('learned job durations', () => {
  const bounds: DurationBounds = { maxOperations: 3, samplesPerOperation: 5, minMs: 100, maxMs: 60_000 };

  it('knows nothing of an operation no job of was seen to finish', () => {
    const durations = createJobDurations(bounds);
    expect(durations.expected('CreateBackendStorage')).toBeUndefined();
    expect(durations.expected(undefined)).toBeUndefined();
  });

  it('answers the median of the latest durations, a job counting once', () => {
    const durations = createJobDurations(bounds);
    for (const [jobId, ms] of [['a', 3000], ['b', 3200], ['c', 50_000]] as const) durations.record('Op', jobId, ms);
    expect(durations.expected('Op')).toBe(3200);
    // The same job seen again (by a job watch and an environment watch) replaces its sample.
    durations.record('Op', 'c', 2900);
    expect(durations.expected('Op')).toBe(3000);
    expect(durations.size()).toEqual({ operations: 1, samples: 3 });
  });

  it('keeps the latest samples of an operation and forgets the operation least recently seen', () => {
    const durations = createJobDurations(bounds);
    for (let i = 0; i < 8; i++) durations.record('Op', `j${i}`, i < 3 ? 60_000 : 1000);
    expect(durations.expected('Op')).toBe(1000);
    expect(durations.size().samples).toBe(5);
    for (const op of ['B', 'C', 'D']) durations.record(op, 'j', 2000);
    expect(durations.expected('Op')).toBeUndefined();
    expect(durations.expected('D')).toBe(2000);
  });

  it.each([
    ['below the range', -5000, 100],
    ['above the range', 10 ** 12, 60_000],
    ['infinite', Infinity, 60_000],
  ])('clamps a duration %s', (_, ms, expected) => {
    const durations = createJobDurations(bounds);
    durations.record('Op', 'j', ms);
    expect(durations.expected('Op')).toBe(expected);
  });

  it.each([
    ['no operation', undefined, 'j'],
    ['an empty operation', '', 'j'],
    ['an operation name past 128 characters', 'x'.repeat(129), 'j'],
    ['no job id', 'Op', undefined],
  ])('learns nothing from %s', (_, operation, jobId) => {
    const durations = createJobDurations(bounds);
    durations.record(operation, jobId, 3000);
    expect(durations.size()).toEqual({ operations: 0, samples: 0 });
  });

  it('stays within its bounds whatever it is fed', () => {
    const record = fc.record({
      operation: fc.option(fc.oneof(fc.constantFrom('A', 'B', 'C', 'D', 'E'), fc.string({ maxLength: 200 })), { nil: undefined }),
      jobId: fc.option(fc.oneof(fc.constantFrom('j1', 'j2', 'j3'), fc.string({ maxLength: 10 })), { nil: undefined }),
      ms: fc.oneof(fc.double(), fc.integer({ min: -1e6, max: 1e9 })),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 200 }), (records) => {
        const durations = createJobDurations(bounds);
        for (const r of records) durations.record(r.operation, r.jobId, r.ms);
        const { operations, samples } = durations.size();
        expect(operations).toBeLessThanOrEqual(bounds.maxOperations);
        expect(samples).toBeLessThanOrEqual(bounds.maxOperations * bounds.samplesPerOperation);
        for (const r of records) {
          const expected = durations.expected(r.operation);
          if (expected === undefined) continue;
          expect(expected).toBeGreaterThanOrEqual(bounds.minMs);
          expect(expected).toBeLessThanOrEqual(bounds.maxMs);
        }
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('has sane defaults', () => {
    expect(defaultDurationBounds.minMs).toBeGreaterThan(0);
    expect(defaultDurationBounds.maxOperations * defaultDurationBounds.samplesPerOperation).toBeLessThanOrEqual(1000);
  });
});

describe('the pace of polls', () => {
  const polling = { minIntervalMs: 1000, maxIntervalMs: 8000 };
  const now = 100_000;

  it.each([
    ['nothing learned: the backoff', [undefined], 1500, 1500],
    ['no running job: the backoff', [], 1500, 1500],
    ['an expected end 3 s ahead: just after it', [now + 3000], 1000, 3000 + END_MARGIN_MS],
    ['an expected end sooner than the minimum interval: the minimum interval', [now + 200], 1000, 1000 + END_MARGIN_MS],
    ['an expected end past the maximum interval: the maximum interval', [now + 60_000], 1500, 8000],
    ['the first of several expected ends', [now + 5000, now + 2000], 1000, 2000 + END_MARGIN_MS],
    ['an expected end passed with the job running: the backoff', [now - 10], 2250, 2250],
    ['a job with an expected end beside one without: no later than the backoff', [now + 5000, undefined], 1500, 1500],
  ])('%s', (_, ends, backoffMs, expected) => {
    expect(pacedDelay({ backoffMs, polling, now, ends })).toBe(expected);
  });

  it('never waits less than the minimum interval nor more than the maximum while anything is running', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: now - 1e7, max: now + 1e7 }), { nil: undefined }), { maxLength: 10 }),
        fc.integer({ min: polling.minIntervalMs, max: polling.maxIntervalMs }),
        (ends, backoffMs) => {
          const delay = pacedDelay({ backoffMs, polling, now, ends });
          expect(delay).toBeGreaterThanOrEqual(polling.minIntervalMs);
          expect(delay).toBeLessThanOrEqual(polling.maxIntervalMs);
        },
      ),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('a job reported right after its expected end, once learned', () => {
  const APP = 'd1todoapp00001';
  const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };
  const STEP_MS = 50;
  let stack: Stack;
  let scheduler: ManualScheduler;
  const stacks = useScheduledStack();
  async function start() {
    const started = await stacks.start({ gateway: { jobPolling: polling } });
    ({ stack, scheduler } = started);
    return started;
  }

  /**
   * Starts a job, subscribes to it, and moves the emulator's clock and the pollers' together until
   * the subscriber has the job done: when (ms of scheduler time after the subscription's first
   * poll) the done event reached the subscriber, and the upstream reads it took.
   */
  async function followJob(url: string, name: string, subscription: (jobId: string) => string, read: 'GetBackendJob' | 'ListBackendJobs') {
    const jobId = await startStorageJob(stack, name);
    stack.resetCalls();
    const done: number[] = [];
    const client = stacks.ws.connect(url);
    const started = scheduler.now();
    const finished = (async () => {
      for await (const event of client.iterate({ query: subscription(jobId) })) {
        const data = event.data as Record<string, any> | undefined;
        const job = data?.backendJob ?? data?.backendJobs;
        if (job?.jobId === jobId && job.isDone) {
          done.push(scheduler.now() - started);
          return;
        }
      }
    })();
    await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the subscription');
    await scheduler.advance(0);
    // Every step waits until a poll's news has reached the subscriber over its socket.
    for (let t = 0; t < 20_000 && done.length === 0; t += STEP_MS) {
      const before = stack.calls()[read] ?? 0;
      await stack.emulator.advance(STEP_MS);
      await scheduler.advance(STEP_MS);
      if ((stack.calls()[read] ?? 0) > before && sawDone(jobId)) await until(() => done.length > 0, 'the done event');
    }
    await finished;
    return { at: done[0], reads: stack.calls()[read] ?? 0 };
  }

  const sawDone = (jobId: string) => stack.gateway.jobs.polledJobs().some((job) => job.jobId === jobId && job.status !== 'IN_PROGRESS');

  it('by backendJob: the first job at the backoff, the next just after the learned duration, with fewer polls', async () => {
    const { url } = await start();
    const subscription = (jobId: string) =>
      `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId isDone } }`;

    // Nothing learned: polls at 0, 1000, 2500 and 4750 ms; the job ended at 3000.
    expect(await followJob(url, 'first', subscription, 'GetBackendJob')).toEqual({ at: 4750, reads: 4 });
    // Learned (3000 ms): polls at 0 and just after the expected end.
    expect(await followJob(url, 'second', subscription, 'GetBackendJob')).toEqual({ at: 3000 + END_MARGIN_MS, reads: 2 });
    expect(await followJob(url, 'third', subscription, 'GetBackendJob')).toEqual({ at: 3000 + END_MARGIN_MS, reads: 2 });
  });

  it('by backendJobs: an environment watch learns and paces itself the same way', async () => {
    const { url } = await start();
    const subscription = () => `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId isDone } }`;

    expect(await followJob(url, 'first', subscription, 'ListBackendJobs')).toEqual({ at: 4750, reads: 4 });
    expect(await followJob(url, 'second', subscription, 'ListBackendJobs')).toEqual({ at: 3000 + END_MARGIN_MS, reads: 2 });
  });
});
