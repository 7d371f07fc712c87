// Several regions (AMPLIFY_REGIONS): two emulators standing for us-east-1 and eu-west-1, over
// real HTTP. Apps are listed from both, each app's calls go to its region (reads, writes, job
// subscriptions), and one region failing leaves the other serving.
import { describe, expect, it } from 'vitest';
import { createManualScheduler, createWsClients, until } from './helpers.js';
import { startRegionsStack } from './helpers-regions.js';

const EU_APP = 'd7euapp000007';
const EU_OTHER = 'd8euapp000008';
const specs = [
  { region: 'us-east-1', demo: true },
  { region: 'eu-west-1', apps: [EU_APP, EU_OTHER] },
];

const appsQuery = '{ apps(first: 10) { edges { node { appId region account } } unavailable { account region code } } }';

describe('two regions', () => {
  it('lists the apps of both, the default region first, with one ListApps each', async () => {
    await using stack = await startRegionsStack({ specs });
    const { data, errors } = await stack.graphql(appsQuery);
    expect(errors).toBeUndefined();
    expect(data.apps.edges.map((e: any) => e.node)).toEqual([
      { appId: 'd1todoapp00001', region: 'us-east-1', account: 'default' },
      { appId: 'd2gallery00002', region: 'us-east-1', account: 'default' },
      { appId: EU_APP, region: 'eu-west-1', account: 'default' },
      { appId: EU_OTHER, region: 'eu-west-1', account: 'default' },
    ]);
    expect(data.apps.unavailable).toEqual([]);
    expect(stack.calls()).toEqual({ 'default/us-east-1': { ListApps: 1 }, 'default/eu-west-1': { ListApps: 1 } });
  });

  it('finds an app it was never told of by asking each region, then remembers where it is', async () => {
    await using stack = await startRegionsStack({ specs });
    const first = await stack.graphql(`{ app(appId: "${EU_APP}") { appName region environments { name } } }`);
    expect(first).toEqual({ data: { app: { appName: `app-${EU_APP}`, region: 'eu-west-1', environments: [{ name: 'dev' }] } } });
    // The default region is asked first and does not know it; eu-west-1's answer is the query's.
    expect(stack.calls()).toEqual({ 'default/us-east-1': { GetBackend: 1 }, 'default/eu-west-1': { GetBackend: 1 } });
    stack.resetCalls();
    await stack.graphql(`{ app(appId: "${EU_APP}") { appName region } }`);
    expect(stack.calls()).toEqual({ 'default/eu-west-1': { GetBackend: 1 } });
  });

  it('needs no search for an app ListApps found, and keeps global ids valid', async () => {
    await using stack = await startRegionsStack({ specs });
    const { data } = await stack.graphql('{ apps(first: 10) { edges { node { id appId } } } }');
    const eu = data.apps.edges.find((e: any) => e.node.appId === EU_APP).node;
    // The id names the app only, as with one region: ids made before regions stay valid.
    expect(Buffer.from(eu.id, 'base64').toString('utf8')).toBe(`App:${EU_APP}`);
    stack.resetCalls();
    const byId = await stack.graphql('query ($id: ID!) { node(id: $id) { ... on App { appId region appName } } }', { id: eu.id });
    expect(byId).toEqual({ data: { node: { appId: EU_APP, region: 'eu-west-1', appName: `app-${EU_APP}` } } });
    expect(stack.calls()).toEqual({ 'default/eu-west-1': { GetBackend: 1 } });
  });

  it('answers an app no region has as not found, after asking each once', async () => {
    await using stack = await startRegionsStack({ specs });
    expect(await stack.graphql('{ app(appId: "d9nowhere00009") { appId } }')).toEqual({ data: { app: null } });
    expect(stack.calls()).toEqual({ 'default/us-east-1': { GetBackend: 1 }, 'default/eu-west-1': { GetBackend: 1 } });
  });

  it('sends a mutation to the app\'s region, and a new app to the default one', async () => {
    await using stack = await startRegionsStack({ specs });
    const created = await stack.graphql(
      `mutation { createBackend(input: { appId: "${EU_APP}", appName: "eu", environmentName: "prod" }) { job { jobId } app { region } } }`,
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createBackend.app.region).toBe('eu-west-1');
    expect(stack.calls()['default/eu-west-1']).toMatchObject({ CreateBackend: 1 });
    expect(stack.calls()['default/us-east-1']).not.toHaveProperty('CreateBackend');

    stack.resetCalls();
    const fresh = await stack.graphql('mutation { createBackend(input: { appId: "d0fresh00000", appName: "f", environmentName: "dev" }) { app { region } } }');
    expect(fresh.data.createBackend.app.region).toBe('us-east-1');
    expect(stack.calls()['default/us-east-1']).toMatchObject({ CreateBackend: 1 });
    const listed = await stack.graphql(appsQuery);
    expect(listed.data.apps.edges.map((e: any) => e.node.appId)).toContain('d0fresh00000');
  });

  it("polls a subscribed job in its app's region", async () => {
    const scheduler = createManualScheduler();
    await using stack = await startRegionsStack({ specs, scheduler });
    const ws = createWsClients();
    try {
      const url = (await stack.gateway.start(0)).replace('http://', 'ws://');
      const started = await stack.graphql(
        `mutation { createBackend(input: { appId: "${EU_APP}", appName: "eu", environmentName: "prod" }) { job { jobId } } }`,
      );
      const jobId = started.data.createBackend.job.jobId;
      stack.resetCalls();
      const events = ws.connect(url).iterate({
        query: `subscription { backendJob(appId: "${EU_APP}", environmentName: "prod", jobId: "${jobId}") { jobId state isDone } }`,
      });
      await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the subscription');
      await scheduler.advance(0);
      expect((await events.next()).value).toEqual({ data: { backendJob: { jobId, state: 'IN_PROGRESS', isDone: false } } });
      await stack.emulator('eu-west-1').advance(60_000);
      await scheduler.advance(60_000);
      expect((await events.next()).value).toEqual({ data: { backendJob: { jobId, state: 'COMPLETED', isDone: true } } });
      expect(stack.calls()['default/us-east-1'] ?? {}).not.toHaveProperty('GetBackendJob');
      expect(stack.calls()['default/eu-west-1']!.GetBackendJob).toBeGreaterThanOrEqual(2);
    } finally {
      await ws.disposeAll();
    }
  });

  it('keeps serving one region while the other fails: its breaker opens alone, its apps are listed as unavailable', async () => {
    await using stack = await startRegionsStack({
      specs,
      gateway: { resilience: { breakerMinCalls: 2, breakerErrorPercent: 50, breakerResetMs: 600_000 } },
    });
    await stack.graphql(appsQuery);
    stack.emulator('us-east-1').faults.inject({ operation: '*', type: 'internal', forever: true });
    for (let i = 0; i < 3; i++) {
      const failing = await stack.graphql('{ app(appId: "d1todoapp00001") { appName } }');
      expect(failing.errors?.[0].extensions?.code).toMatch(/^UPSTREAM_(ERROR|UNAVAILABLE)$/);
    }
    const [us, eu] = stack.gateway.upstream.router.sources;
    expect([us.aws.health().circuit, eu.aws.health().circuit]).toEqual(['open', 'closed']);
    const gauge = await stack.gateway.metrics.registry.getSingleMetricAsString('amplifybackend_upstream_source_circuit_open');
    expect(gauge).toContain('amplifybackend_upstream_source_circuit_open{source="default/us-east-1"} 1');
    expect(gauge).toContain('amplifybackend_upstream_source_circuit_open{source="default/eu-west-1"} 0');

    stack.resetCalls();
    expect(await stack.graphql(`{ app(appId: "${EU_APP}") { appName region } }`)).toEqual({
      data: { app: { appName: `app-${EU_APP}`, region: 'eu-west-1' } },
    });
    const listed = await stack.graphql(appsQuery);
    expect(listed.data.apps.edges.map((e: any) => e.node.appId)).toEqual([EU_APP, EU_OTHER]);
    expect(listed.data.apps.unavailable).toEqual([{ account: 'default', region: 'us-east-1', code: 'UPSTREAM_UNAVAILABLE' }]);
    // The open breaker sends nothing to the failing region.
    expect(stack.calls()).toEqual({ 'default/eu-west-1': { GetBackend: 1, ListApps: 1 } });
  });

  it.each(['..', '.', '', 'a/b', 'x'.repeat(300), '\ud800', '__proto__ '])(
    'refuses the app id %j before any region is asked',
    async (appId) => {
      await using stack = await startRegionsStack({ specs });
      const answer = await stack.graphql('query ($a: ID!) { app(appId: $a) { appId } }', { a: appId });
      expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(stack.calls()).toEqual({});
      expect(stack.gateway.upstream.router.remembered()).toBe(0);
    },
  );

  it('says degraded on /ready, naming the region, when a region other than the default fails', async () => {
    await using stack = await startRegionsStack({
      specs,
      gateway: { resilience: { breakerMinCalls: 2, breakerErrorPercent: 50, breakerResetMs: 600_000 } },
    });
    const url = await stack.gateway.start(0, '127.0.0.1');
    const ready = async () => {
      const res = await fetch(url.replace(/\/graphql$/, '/ready'));
      return { status: res.status, body: await res.json() };
    };
    expect(await ready()).toEqual({ status: 200, body: { status: 'ready', checks: { upstream: 'ok', 'upstream default/eu-west-1': 'ok' } } });
    stack.emulator('eu-west-1').faults.inject({ operation: '*', type: 'internal', forever: true });
    for (let i = 0; i < 3; i++) await stack.graphql(`{ app(appId: "${EU_APP}") { appName } }`);
    expect(await ready()).toEqual({
      status: 200,
      body: { status: 'degraded', checks: { upstream: 'ok', 'upstream default/eu-west-1': 'circuit open' } },
    });
  });

  it('lists an app id two regions both list once, in the first region, and routes it there', async () => {
    await using stack = await startRegionsStack({ specs: [{ region: 'us-east-1', apps: ['d5both00005'] }, { region: 'eu-west-1', apps: ['d5both00005', EU_APP] }] });
    const { data } = await stack.graphql(appsQuery);
    expect(data.apps.edges.map((e: any) => e.node)).toEqual([
      { appId: 'd5both00005', region: 'us-east-1', account: 'default' },
      { appId: EU_APP, region: 'eu-west-1', account: 'default' },
    ]);
  });

  it('makes one SDK client pair per region, once, whatever the traffic', async () => {
    await using stack = await startRegionsStack({ specs });
    const before = stack.gateway.upstream.router.sources.map((s) => s.aws);
    await stack.graphql(appsQuery);
    await stack.graphql(`{ app(appId: "${EU_APP}") { appName } }`);
    expect(stack.gateway.upstream.router.sources.map((s) => s.aws)).toEqual(before);
    expect(stack.gateway.upstream.router.sources.map((s) => s.key)).toEqual(['default/us-east-1', 'default/eu-west-1']);
  });
});
