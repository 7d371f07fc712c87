import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../src/aws/errors.js';
import { createReadCache } from '../src/read-cache.js';
import { createUpstreamRouter, type UpstreamSource } from '../src/upstream-router.js';
import type { AmplifyBackend, OperationOutput } from '../src/aws/client.js';

// Sources whose AmplifyBackend knows a fixed set of apps and counts GetBackend calls: the router's
// own rules (which source is asked, what is remembered) without HTTP; regions.test.ts runs it over
// real emulators.
function fakeSource(region: string, apps: Set<string>, counts: Map<string, number>): UpstreamSource {
  const aws: AmplifyBackend = {
    async call(operation, input) {
      counts.set(region, (counts.get(region) ?? 0) + 1);
      const appId = (input as { appId: string }).appId;
      if (!apps.has(appId)) throw new UpstreamError(`App ${appId} not found`, 'NOT_FOUND', operation, 'NotFoundException', 'r', 404, 1);
      const output: OperationOutput<'GetBackend'> = { appId, appName: appId, backendEnvironmentList: [] };
      return output as OperationOutput<typeof operation>;
    },
    health: () => ({ circuit: 'closed', inFlight: 0, queued: 0 }),
    destroy: () => undefined,
  };
  return {
    key: `default/${region}`,
    account: 'default',
    region,
    aws,
    console: { listApps: async () => ({ apps: [] }), getApp: async () => { throw new Error('unused'); }, destroy: () => undefined },
    reads: createReadCache(aws, { ttlMs: 0 }),
    check: async () => 'ok',
    destroy: () => undefined,
  };
}

describe('the upstream router', () => {
  it('remembers at most maxRemembered apps, forgetting the least recently used first', async () => {
    const counts = new Map<string, number>();
    const eu = new Set(['a', 'b', 'c']);
    const router = createUpstreamRouter([fakeSource('us-east-1', new Set(), counts), fakeSource('eu-west-1', eu, counts)], { maxRemembered: 2 });
    for (const app of ['a', 'b', 'a', 'c']) await router.aws.call('GetBackend', { appId: app });
    expect(router.remembered()).toBe(2);
    counts.clear();
    // `a` was used after `b`, so `b` went when `c` came.
    await router.aws.call('GetBackend', { appId: 'a' });
    expect(Object.fromEntries(counts)).toEqual({ 'eu-west-1': 1 });
    counts.clear();
    await router.aws.call('GetBackend', { appId: 'b' });
    expect(Object.fromEntries(counts)).toEqual({ 'us-east-1': 1, 'eu-west-1': 1 });
  });

  it('never remembers an app no source has, however many are asked for', async () => {
    const counts = new Map<string, number>();
    const router = createUpstreamRouter([fakeSource('us-east-1', new Set(), counts), fakeSource('eu-west-1', new Set(), counts)]);
    for (let i = 0; i < 100; i++) await expect(router.aws.call('GetBackend', { appId: `x${i}` })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(router.remembered()).toBe(0);
  });

  it('asks each source once for an app many calls want at the same time', async () => {
    const counts = new Map<string, number>();
    const router = createUpstreamRouter([fakeSource('us-east-1', new Set(), counts), fakeSource('eu-west-1', new Set(['a']), counts)]);
    await Promise.all(Array.from({ length: 20 }, () => router.aws.call('GetBackend', { appId: 'a' })));
    expect(Object.fromEntries(counts)).toEqual({ 'us-east-1': 1, 'eu-west-1': 1 });
  });
});
