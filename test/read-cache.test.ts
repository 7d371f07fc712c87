import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AmplifyBackend } from '../src/aws/client.js';
import { defineConfig, loadConfig } from '../src/config.js';
import { createReadCache, maxKeyLength } from '../src/read-cache.js';
import { createEventBus } from '../src/jobs/events.js';
import { createReadInvalidation, invalidationChannel } from '../src/read-invalidation.js';
import { createManualScheduler, startStack, startStorageJob, startStorageJobUpstream } from './helpers.js';

const APP = 'd1todoapp00001';
const appName = `{ app(appId: "${APP}") { appName } }`;

/** An upstream that answers every read with what it was asked, counting calls; `fail` makes the next one fail. */
function echoUpstream() {
  const calls: unknown[] = [];
  let failNext = false;
  const pending: (() => void)[] = [];
  let hold = false;
  const aws = {
    call: async (operation: string, input: unknown) => {
      calls.push(input);
      if (hold) await new Promise<void>((resolve) => pending.push(resolve));
      if (failNext) {
        failNext = false;
        throw new Error('refused');
      }
      return { operation, input: structuredClone(input) };
    },
  } as unknown as AmplifyBackend;
  return {
    aws,
    calls,
    fail: () => (failNext = true),
    /** Answers wait until `release`. */
    hold: () => (hold = true),
    release: () => {
      hold = false;
      for (const resolve of pending.splice(0)) resolve();
    },
  };
}

describe('the read cache by default', () => {
  it('keeps reads 5 s', () => {
    expect(defineConfig({}).upstreamCacheTtlMs).toBe(5000);
    expect(loadConfig({}).upstreamCacheTtlMs).toBe(5000);
    expect(loadConfig({ UPSTREAM_CACHE_TTL_MS: '0' }).upstreamCacheTtlMs).toBe(0);
  });

  it('answers a second request from what the first read, with no setting', async () => {
    await using stack = await startStack();
    expect((await stack.graphql(appName)).data).toEqual({ app: { appName: 'todo-app' } });
    expect((await stack.graphql(appName)).data).toEqual({ app: { appName: 'todo-app' } });
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it("forgets a read when the gateway's clock passes the TTL, with no wait", async () => {
    const scheduler = createManualScheduler();
    await using stack = await startStack({ scheduler });
    await stack.graphql(appName);
    await scheduler.advance(4999);
    await stack.graphql(appName);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
    await scheduler.advance(1);
    await stack.graphql(appName);
    expect(stack.calls()).toEqual({ GetBackend: 2 });
  });

  it('keeps no failure: a throttled read, or an app the service does not know, is asked again', async () => {
    await using stack = await startStack();
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'throttle' });
    expect((await stack.graphql(appName)).errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    expect((await stack.graphql(appName)).data).toEqual({ app: { appName: 'todo-app' } });
    const missing = '{ app(appId: "d9nosuchapp0009") { appName } }';
    expect((await stack.graphql(missing)).data).toEqual({ app: null });
    expect((await stack.graphql(missing)).data).toEqual({ app: null });
    expect(stack.calls()).toEqual({ GetBackend: 4 });
  });

  it('never keeps jobs', async () => {
    await using stack = await startStack();
    const jobs = `{ backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 1) { edges { node { jobId } } } } }`;
    await stack.graphql(jobs);
    await stack.graphql(jobs);
    expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 2 });
  });
});

describe('a job followed by reading it, with no subscription', () => {
  const storages = `{ backendEnvironment(appId: "${APP}", name: "dev") { storages { resourceName } } }`;
  const job = (jobId: string) => `{ backendEnvironment(appId: "${APP}", name: "dev") { job(jobId: "${jobId}") { state } } }`;
  const names = (res: { data?: any }) => (res.data.backendEnvironment.storages as { resourceName: string }[]).map((s) => s.resourceName);

  it('a read that shows done a job the gateway started forgets what was kept of its app', async () => {
    await using stack = await startStack();
    const jobId = await startStorageJob(stack, 'followed');
    expect(names(await stack.graphql(storages))).not.toContain('followed');
    await stack.emulator.advance(3000);
    stack.resetCalls();
    // Kept: the job's end is not known yet.
    expect(names(await stack.graphql(storages))).not.toContain('followed');
    expect((await stack.graphql(job(jobId))).data.backendEnvironment.job.state).toBe('COMPLETED');
    expect(names(await stack.graphql(storages))).toContain('followed');
    expect(stack.calls()).toEqual({ GetBackendJob: 1, GetBackend: 1 });
  });

  it('a job started behind its back, seen running then done, too; a job first seen done forgets nothing', async () => {
    await using stack = await startStack();
    const jobId = await startStorageJobUpstream(stack.emulator.url, 'behind');
    expect((await stack.graphql(job(jobId))).data.backendEnvironment.job.state).toBe('IN_PROGRESS');
    expect(names(await stack.graphql(storages))).not.toContain('behind');
    await stack.emulator.advance(3000);
    expect((await stack.graphql(job(jobId))).data.backendEnvironment.job.state).toBe('COMPLETED');
    expect(names(await stack.graphql(storages))).toContain('behind');

    const unseen = await startStorageJobUpstream(stack.emulator.url, 'unseen');
    await stack.emulator.advance(3000);
    expect((await stack.graphql(job(unseen))).data.backendEnvironment.job.state).toBe('COMPLETED');
    stack.resetCalls();
    expect(names(await stack.graphql(storages))).not.toContain('unseen');
    expect(stack.calls()).toEqual({});
  });
});

describe('createReadCache', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  // Inputs as a client's could reach it: any keys, `__proto__` and `constructor` among them, as own properties.
  const input = fc.record({
    appId: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', '')),
    extra: fc.dictionary(fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom('__proto__', 'constructor', 'toString')), json, { maxKeys: 3 }),
  }).map(({ appId, extra }) => JSON.parse(JSON.stringify({ ...extra, appId })) as Record<string, unknown>);

  it('answers every read with what upstream answers for that very input, however inputs are named', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(input, { minLength: 1, maxLength: 12 }), async (inputs) => {
        const upstream = echoUpstream();
        const cache = createReadCache(upstream.aws, { ttlMs: 60_000 });
        for (const asked of [...inputs, ...inputs]) {
          const answer = await cache.call('GetBackend', asked as never);
          expect(answer).toEqual({ operation: 'GetBackend', input: asked });
        }
        // Each distinct input once upstream.
        expect(upstream.calls.length).toBe(new Set(inputs.map((i) => JSON.stringify(i))).size);
        expect(({} as Record<string, unknown>).appId).toBeUndefined();
      }),
      { seed: 17, numRuns: 200 },
    );
  });

  it('keeps at most maxEntries, and nothing of an input longer than maxKeyLength', async () => {
    const upstream = echoUpstream();
    const cache = createReadCache(upstream.aws, { ttlMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) await cache.call('GetBackend', { appId: `app${i}` });
    expect(cache.size).toBe(3);
    const huge = { appId: 'x'.repeat(maxKeyLength) };
    await cache.call('GetBackend', huge);
    await cache.call('GetBackend', huge);
    expect(upstream.calls.slice(10)).toEqual([huge, huge]);
    expect(cache.size).toBe(3);
  });

  it('keeps at most maxChars of keys and answers, the oldest going first', async () => {
    const upstream = echoUpstream();
    // Each answer here is 78 characters of key and JSON.
    const cache = createReadCache(upstream.aws, { ttlMs: 60_000, maxChars: 200 });
    for (let i = 0; i < 3; i++) await cache.call('GetBackend', { appId: `app${i}` });
    expect(cache.size).toBe(2);
    await cache.call('GetBackend', { appId: 'app2' });
    await cache.call('GetBackend', { appId: 'app1' });
    expect(upstream.calls).toHaveLength(3);
    await cache.call('GetBackend', { appId: 'app0' });
    expect(upstream.calls).toHaveLength(4);
    cache.forgetApp('app0');
    cache.forgetApp('app2');
    expect(cache.size).toBe(0);
    // What was forgotten no longer counts: two fit again.
    for (const appId of ['a', 'b']) await cache.call('GetBackend', { appId });
    expect(cache.size).toBe(2);
  });

  it('keeps no failed call, and no answer that comes after its app was forgotten', async () => {
    const upstream = echoUpstream();
    let now = 0;
    const cache = createReadCache(upstream.aws, { ttlMs: 1000, now: () => now });
    upstream.fail();
    await expect(cache.call('GetBackend', { appId: 'a' })).rejects.toThrow('refused');
    await cache.call('GetBackend', { appId: 'a' });
    expect(upstream.calls).toHaveLength(2);

    // A write lands while a read is on its way: what it brings back may predate the write.
    upstream.hold();
    const reading = cache.call('GetBackend', { appId: 'b' });
    cache.forgetApp('b');
    upstream.release();
    await reading;
    await cache.call('GetBackend', { appId: 'b' });
    expect(upstream.calls).toHaveLength(4);
    now = 999;
    await cache.call('GetBackend', { appId: 'b' });
    expect(upstream.calls).toHaveLength(4);
  });
});

describe('invalidations across releases', () => {
  // The release before announced writes on the "live-queries" channel, for its live queries; an
  // instance of this one must hear it (and be heard) while both run in a rolling upgrade.
  it("forgets an app on the previous release's write announcement, and announces its own the same way", async () => {
    const upstream = echoUpstream();
    const reads = createReadCache(upstream.aws, { ttlMs: 60_000 });
    const bus = createEventBus({ prefix: 'test:' });
    const invalidation = createReadInvalidation({ bus, reads });
    const heard: unknown[] = [];
    bus.listen('live-queries', (event) => heard.push(event));

    await reads.call('GetBackend', { appId: APP });
    await reads.call('GetBackend', { appId: APP });
    expect(upstream.calls).toHaveLength(1);
    bus.publish('live-queries', { kind: 'invalidate', appId: APP, resources: [`App:${APP}`] });
    await reads.call('GetBackend', { appId: APP });
    expect(upstream.calls).toHaveLength(2);

    invalidation.announce({ appId: APP, resources: [] });
    expect(invalidationChannel).toBe('live-queries');
    expect(heard.at(-1)).toEqual({ kind: 'invalidate', appId: APP, resources: [] });
    invalidation.stop();
  });
});
