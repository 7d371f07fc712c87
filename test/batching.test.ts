import { describe, expect, it } from 'vitest';
import { startStack, type Stack, nothingKept } from './helpers.js';
import { useFileStack } from './helpers-stack.js';

let stack: Stack;
// Counts upstream calls per request: nothing kept across requests (the last tests keep reads on purpose).
useFileStack((started) => (stack = started), { start: { gateway: nothingKept } });

const appTree = `
  appName
  environments {
    name
    apis { resourceName config { apiName } }
    auth { resourceName config { authResources } }
    storages { resourceName config { bucketName } }
    jobs(first: 5) { edges { node { jobId operation state createTime } } }
  }
`;

describe('upstream calls per query', () => {
  it('an app, its environments, their resources and last 5 jobs cost the minimum', async () => {
    const res = await stack.graphql(`{ app(appId: "d1todoapp00001") { ${appTree} } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.app.environments).toHaveLength(2);
    // 1 GetBackend for the app, 1 per environment; 1 Get* per resource; 1 ListBackendJobs per environment.
    expect(stack.calls()).toEqual({
      GetBackend: 3,
      GetBackendAPI: 2,
      GetBackendAuth: 2,
      GetBackendStorage: 2,
      ListBackendJobs: 2,
    });
  });

  it('asking the same thing twice in one query costs nothing more', async () => {
    const res = await stack.graphql(`{
      a: app(appId: "d1todoapp00001") { ${appTree} }
      b: app(appId: "d1todoapp00001") { ${appTree} }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.a).toEqual(res.data.b);
    expect(stack.totalCalls()).toBe(11);
  });

  it('an environment and its app cost one GetBackend', async () => {
    const res = await stack.graphql(`{
      backendEnvironment(appId: "d1todoapp00001", name: "dev") { name app { appName } amplifyMetaConfig }
    }`);
    expect(res.data.backendEnvironment.app.appName).toBe('todo-app');
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('several jobs of one environment are read through ListBackendJobs, not one GetBackendJob each', async () => {
    const listed = await stack.graphql(`{
      backendEnvironment(appId: "d1todoapp00001", name: "dev") { jobs(first: 5) { edges { node { jobId } } } }
    }`);
    const ids: string[] = listed.data.backendEnvironment.jobs.edges.map((e: any) => e.node.jobId);
    stack.resetCalls();
    const fields = ids
      .map((id, i) => `j${i}: backendJob(appId: "d1todoapp00001", environmentName: "dev", jobId: "${id}") { jobId status }`)
      .join('\n');
    const res = await stack.graphql(`{ ${fields} }`);
    expect(res.errors).toBeUndefined();
    expect(Object.values(res.data).map((j: any) => j.jobId)).toEqual(ids);
    expect(stack.calls()).toEqual({ ListBackendJobs: 1 });
  });
});

describe('reads shared across requests', () => {
  it('identical reads in flight at the same time go upstream once', async () => {
    await using shared = await startStack({ gateway: nothingKept });
    shared.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 50, forever: true });
    const results = await Promise.all(
      Array.from({ length: 5 }, () => shared.graphql(`{ app(appId: "d1todoapp00001") { appName } }`)),
    );
    expect(results.map((r) => r.data.app.appName)).toEqual(Array(5).fill('todo-app'));
    expect(shared.calls()).toEqual({ GetBackend: 1 });
    // Without a TTL nothing is kept once answered.
    await shared.graphql(`{ app(appId: "d1todoapp00001") { appName } }`);
    expect(shared.calls()).toEqual({ GetBackend: 2 });
  });

  it('with upstreamCacheTtlMs, keeps answers for other requests until a write through the gateway', async () => {
    await using cached = await startStack({ gateway: { upstreamCacheTtlMs: 60_000 } });
    const query = `{ backendEnvironment(appId: "d1todoapp00001", name: "dev") {
      storages { resourceName } jobs(first: 1) { edges { node { jobId } } } } }`;
    await cached.graphql(query);
    expect(cached.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
    cached.resetCalls();
    await cached.graphql(query);
    // Jobs change by themselves: never kept.
    expect(cached.calls()).toEqual({ ListBackendJobs: 1 });

    const created = await cached.graphql(`mutation { createBackendStorage(input: {
      appId: "d1todoapp00001", environmentName: "dev", resourceName: "fresh"
      config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`);
    expect(created.errors).toBeUndefined();
    await cached.emulator.advance(3000);
    cached.resetCalls();
    const after = await cached.graphql(query);
    expect(after.data.backendEnvironment.storages.map((s: any) => s.resourceName)).toContain('fresh');
    expect(cached.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1 });
  });
});
