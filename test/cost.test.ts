import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { estimateUpstreamCalls } from '../src/cost/estimate.js';
import { schema } from '../src/schema/index.js';
import { createRateLimiter } from '../src/security/rate-limit.js';
import { nothingKept, startStack, startStorageJob, until, type Stack } from './helpers.js';
import { readmeExample } from './helpers-readme.js';
import { firstOver, runOver, transports, type Transport } from './helpers-transport.js';

// Cost is upstream calls: the estimate before an operation runs, what it actually called, both
// on the demo data, and the limits built on them.

// The table compares what a request asks for with what the emulator served: nothing kept between reads.
const costOn = { ...nothingKept, limits: { costExtensions: true } };

const appTree = readmeExample('app-tree')[0]!.body;
const pendingJob = readmeExample('pending-job')[0]!.body;
const [startJobMutation, startJobQuery] = readmeExample('start-job')[0]!.body.split(/\n(?=query)/);

const envId = (appId: string, name: string) => Buffer.from(`BackendEnvironment:${JSON.stringify([appId, name])}`).toString('base64');

interface Row {
  query: string;
  variables?: Record<string, unknown>;
  estimated: number;
  actual: number;
  /** One of the README's examples: its estimate is within 2x of what it calls. */
  readme?: true;
}

const table: Record<string, Row> = {
  'README app-tree: an app, its environments, resources and jobs': { query: appTree, estimated: 25, actual: 13, readme: true },
  'README pending-job: pendingJob reads the newest page of jobs': { query: pendingJob, estimated: 2, actual: 2, readme: true },
  'README start-job, its query: a job by key': {
    query: startJobQuery!.replace('"..."', '"$JOB"'),
    estimated: 2,
    actual: 1,
    readme: true,
  },
  'README start-job, its mutation: the write, then the dearer of its refusal lookup and its payload (the environment as a key costs none)': {
    query: startJobMutation!,
    estimated: 2,
    actual: 1,
    readme: true,
  },
  "an app and the names of its environments: the app's GetBackend names them": {
    query: '{ app(appId: "d1todoapp00001") { appName environments { name } } }',
    estimated: 1,
    actual: 1,
  },
  'an environment beyond its name: its own GetBackend, 4 environments assumed': {
    query: '{ app(appId: "d1todoapp00001") { environments { name amplifyMetaConfigRaw } } }',
    estimated: 5,
    actual: 3,
  },
  // 100 apps of what ListApps answers were estimated at 401 and refused (MAX_UPSTREAM_CALLS 250).
  'the apps, with what ListApps answers of each: one ListApps': {
    query: '{ apps(first: 100) { edges { node { appId region defaultDomain platform createTime } } } }',
    estimated: 1,
    actual: 1,
  },
  'the apps and the names of their environments: each app its GetBackend': {
    query: '{ apps(first: 100) { edges { node { appId environments { name } } } } }',
    estimated: 101,
    actual: 3,
  },
  'jobs(first: 30): two pages of 25 at most': {
    query: '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { jobs(first: 30) { edges { node { jobId error } } } } }',
    estimated: 3,
    actual: 2,
  },
  'jobs and pendingJob: counted apart, one call': {
    query: '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { pendingJob { jobId } jobs(first: 5) { edges { node { jobId } } } } }',
    estimated: 3,
    actual: 2,
  },
  'jobs filtered by status, a field the listing leaves out (error): null, not a GetBackendJob each': {
    query:
      '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { jobs(first: 10, status: "COMPLETED") { edges { node { jobId error updateTime } } } } }',
    estimated: 2,
    actual: 2,
  },
  'jobs(first: 0): no call': {
    query: '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { jobs(first: 0) { edges { cursor } } } }',
    estimated: 1,
    actual: 1,
  },
  'nodes(ids:) from a variable: per id, the dearest node type (a job, 2)': {
    query: 'query($ids: [ID!]!) { nodes(ids: $ids) { ... on BackendEnvironment { amplifyMetaConfig } } }',
    variables: { ids: [envId('d1todoapp00001', 'dev'), envId('d1todoapp00001', 'prod'), envId('d2gallery00002', 'staging')] },
    estimated: 6,
    actual: 3,
  },
  '_entities: per representation, the dearest entity type (a job, 2)': {
    query:
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on App { appName } ... on BackendEnvironment { featureFlags } } }',
    variables: {
      r: [
        { __typename: 'App', appId: 'd1todoapp00001' },
        { __typename: 'BackendEnvironment', appId: 'd2gallery00002', name: 'staging' },
      ],
    },
    estimated: 4,
    actual: 2,
  },
  's3Buckets(first: 5): one page': { query: '{ s3Buckets(first: 5) { edges { node { name } } } }', estimated: 1, actual: 1 },
  'a resource config by name: the environment, then GetBackendAPI': {
    query:
      '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { api(resourceName: "todoappapi") { config { apiName } models { status } } } }',
    estimated: 3,
    actual: 3,
  },
  'introspection: no call': { query: '{ __schema { queryType { name } } }', estimated: 0, actual: 0 },
};

/** The id of a job the demo data has, for the query that reads one. */
async function someJobId(stack: Stack) {
  const res = await stack.graphql(
    '{ backendEnvironment(appId: "d1todoapp00001", name: "dev") { jobs(first: 1) { edges { node { jobId } } } } }',
  );
  return res.data.backendEnvironment.jobs.edges[0].node.jobId as string;
}

describe('the estimate and the actual calls, on the demo data', () => {
  it.each(Object.entries(table))('%s', async (_name, row) => {
    await using stack = await startStack({ gateway: costOn });
    const query = row.query.replace('$JOB', await someJobId(stack));
    stack.resetCalls();
    const res = await stack.graphql(query, row.variables);
    expect(res.errors).toBeUndefined();
    expect(stack.totalCalls()).toBe(row.actual);
    expect(res.extensions?.cost).toMatchObject({ estimated: row.estimated, actual: row.actual });
    // The gateway's estimate is the same function a test can call on the schema alone.
    expect(estimateUpstreamCalls(schema, parse(query), undefined, row.variables)).toBe(row.estimated);
    expect(row.actual).toBeLessThanOrEqual(row.estimated);
    if (row.readme) expect(row.estimated).toBeLessThanOrEqual(2 * row.actual);
  });
});

describe('a write: the write, then the dearer of its refusal lookup and its payload', () => {
  const write = (selection: string) => `mutation {
    createBackendStorage(input: {
      appId: "d1todoapp00001", environmentName: "dev", resourceName: "photos2"
      config: { permissions: { authenticated: [READ] } }
    }) { ${selection} }
  }`;
  it.each([
    // Refused: CreateBackendStorage, then the ListBackendJobs that names the job; no payload.
    ['refused for a pending job', true, 'job { jobId } environment { name }', 2, 2],
    ['refused, its payload reading the environment', true, 'environment { amplifyMetaConfigRaw }', 2, 2],
    // Written: its payload's environment beyond its key is one GetBackend.
    ['its payload reading the environment', false, 'environment { name amplifyMetaConfigRaw }', 2, 2],
    // The refusal's lookup is the dearer path.
    ['its payload naming the environment and the resource by key', false, 'environment { id name } storage { id resourceName }', 2, 1],
  ])('%s', async (_name, pending, selection, estimated, actual) => {
    await using stack = await startStack({ gateway: costOn });
    if (pending) await startStorageJob(stack, 'photos1');
    stack.resetCalls();
    const res = await stack.graphql(write(selection));
    expect(res.errors?.[0]?.extensions?.code).toBe(pending ? 'JOB_PENDING' : undefined);
    expect(stack.totalCalls()).toBe(actual);
    expect(res.extensions?.cost).toMatchObject({ estimated, actual });
    expect(actual).toBeLessThanOrEqual(estimated);
  });
});

describe('extensions.cost', () => {
  it('says the estimate, the calls made, and the budget left, its size and its refill per second', async () => {
    await using stack = await startStack({ gateway: { limits: { costExtensions: true, upstreamCallsPerMinute: 6, upstreamCallsBurst: 300 } } });
    const first = await stack.graphql(appTree);
    // The estimate is taken, then what was not spent given back: 300 - 13.
    expect(first.extensions?.cost).toEqual({ estimated: 25, actual: 13, budget: { remaining: 287, max: 300, restorePerSecond: 0.1 } });
  });

  it('is as the README shows for its first example, with the default budget', async () => {
    await using stack = await startStack({ gateway: costOn });
    const shown = JSON.parse(readmeExample('cost-extensions')[0]!.body) as { extensions: { cost: { budget: { remaining: number } } } };
    const res = await stack.graphql(appTree);
    // The bucket refills 20 a second: by the response, maybe one more.
    expect(res.extensions?.cost.budget.remaining - shown.extensions.cost.budget.remaining).toBeOneOf([0, 1]);
    expect({ extensions: res.extensions }).toEqual({
      extensions: { cost: { ...shown.extensions.cost, budget: { ...shown.extensions.cost.budget, remaining: res.extensions?.cost.budget.remaining } } },
    });
  });

  it('is left out with COST_EXTENSIONS=false', async () => {
    await using stack = await startStack({ gateway: { limits: { costExtensions: false } } });
    expect(await stack.graphql('{ app(appId: "d1todoapp00001") { appName } }')).toEqual({ data: { app: { appName: 'todo-app' } } });
  });

  it('has no budget when budgets are off', async () => {
    await using stack = await startStack({ gateway: { limits: { costExtensions: true, upstreamCallsPerMinute: 0 } } });
    const res = await stack.graphql('{ app(appId: "d1todoapp00001") { appName } }');
    expect(res.extensions?.cost).toEqual({ estimated: 1, actual: 1 });
  });
});

describe('MAX_UPSTREAM_CALLS and the budget, on every transport', () => {
  describe.each(transports)('over %s', (transport: Transport) => {
    it('refuses an operation whose estimate is above MAX_UPSTREAM_CALLS, before any upstream call', async () => {
      await using stack = await startStack({ gateway: { limits: { costExtensions: true, maxUpstreamCalls: 20 } } });
      await stack.gateway.start(0, '127.0.0.1');
      stack.resetCalls();
      const res = await firstOver(transport, stack.gateway, { query: appTree });
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'This operation may make 25 upstream calls; at most 20 are allowed in one request (MAX_UPSTREAM_CALLS)',
          extensions: expect.objectContaining({ code: 'MAX_UPSTREAM_CALLS_EXCEEDED', maxUpstreamCalls: 20, estimated: 25 }),
        }),
      ]);
      expect(stack.totalCalls()).toBe(0);
      // One under the limit runs.
      expect((await firstOver(transport, stack.gateway, { query: pendingJob })).errors).toBeUndefined();
    });

    it('refuses an operation the budget cannot hold with RATE_LIMITED and the time to wait, before any upstream call', async () => {
      await using stack = await startStack({
        gateway: { limits: { costExtensions: true, maxUpstreamCalls: 30, upstreamCallsBurst: 30, upstreamCallsPerMinute: 60 } },
      });
      await stack.gateway.start(0, '127.0.0.1');
      // 25 taken, 12 given back: 18 left (and a little refill since).
      expect((await firstOver(transport, stack.gateway, { query: appTree })).errors).toBeUndefined();
      stack.resetCalls();
      const res = await firstOver(transport, stack.gateway, { query: appTree });
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^This operation may make 25 upstream calls and your budget holds 1[7-9]: retry in [6-8] s$/),
          extensions: expect.objectContaining({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) }),
        }),
      ]);
      expect(res.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThanOrEqual(6);
      expect(res.extensions?.cost).toMatchObject({ estimated: 25, actual: 0, budget: { max: 30, restorePerSecond: 1 } });
      expect(stack.totalCalls()).toBe(0);
      // A cheaper operation still fits.
      expect((await firstOver(transport, stack.gateway, { query: pendingJob })).errors).toBeUndefined();
    });
  });

  it('answers a budget refusal on HTTP with 429 and retry-after', async () => {
    await using stack = await startStack({
      gateway: { limits: { maxUpstreamCalls: 30, upstreamCallsBurst: 30, upstreamCallsPerMinute: 60 } },
    });
    await stack.graphql(appTree);
    const res = await stack.request({ query: appTree });
    expect(res.status).toBe(429);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('charges each client its own budget', async () => {
    const keys = ['k'.repeat(20), 'j'.repeat(20)];
    await using stack = await startStack({
      gateway: {
        access: { apiKeys: keys.map((key) => ({ key, scopes: ['read' as const] })) },
        limits: { maxUpstreamCalls: 30, upstreamCallsBurst: 30, upstreamCallsPerMinute: 60 },
      },
    });
    const ask = (key: string) => stack.request({ query: appTree }, { 'x-api-key': key });
    expect((await ask(keys[0]!)).status).toBe(200);
    expect((await ask(keys[0]!)).status).toBe(429);
    expect((await ask(keys[1]!)).status).toBe(200);
  });
});

describe('while it runs', () => {
  it('stops a request at MAX_UPSTREAM_CALLS even when lists upstream are longer than the schema assumes', async () => {
    await using stack = await startStack({ gateway: { limits: { costExtensions: true, maxUpstreamCalls: 6 } } });
    // Six environments where the schema assumes four: estimated 5, but 1 + 6 calls asked.
    for (const name of ['ea', 'eb', 'ec', 'ed']) {
      await stack.graphql(`mutation { createBackend(input: { appId: "d1todoapp00001", appName: "todo-app", environmentName: "${name}" }) { job { jobId } } }`);
      await stack.emulator.advance(60_000);
    }
    stack.resetCalls();
    const res = await stack.graphql('{ app(appId: "d1todoapp00001") { environments { featureFlags } } }');
    expect(res.extensions?.cost).toMatchObject({ estimated: 5, actual: 6 });
    expect(stack.totalCalls()).toBe(6);
    expect(res.errors).toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'MAX_UPSTREAM_CALLS_EXCEEDED', maxUpstreamCalls: 6 }) }),
    ]);
  });

  it('does not count a refused request toward the circuit breaker', async () => {
    await using stack = await startStack({
      gateway: {
        limits: { maxUpstreamCalls: 30, upstreamCallsBurst: 30, upstreamCallsPerMinute: 1 },
        resilience: { breakerMinCalls: 2, breakerErrorPercent: 50 },
      },
    });
    await stack.graphql(appTree);
    for (let i = 0; i < 20; i++) expect((await stack.request({ query: appTree })).status).toBe(429);
    expect(stack.gateway.aws.health().circuit).toBe('closed');
  });
});

describe('subscriptions and live queries', () => {
  it.each(['sse', 'ws'] as const)(
    'over %s, a subscription event costs what resolving it calls: a job as its poller read it calls nothing',
    async (transport) => {
      await using stack = await startStack({ gateway: { limits: { costExtensions: true } } });
      await stack.gateway.start(0, '127.0.0.1');
      const jobId = await startStorageJob(stack, 'photos');
      // `error` and `updateTime` are not set on a running job: null, not a GetBackendJob.
      const query = `subscription { backendJob(appId: "d1todoapp00001", environmentName: "dev", jobId: "${jobId}") { jobId state error updateTime } }`;
      const answer = await runOver(transport, stack.gateway, { query }, { take: 1 });
      expect(answer.results[0]).toMatchObject({
        data: { backendJob: { jobId, state: 'IN_PROGRESS', error: null } },
        extensions: { cost: { estimated: 0, actual: 0 } },
      });
    },
  );

  it.each(['sse', 'ws'] as const)(
    'over %s, refuses a subscription whose events may cost more than MAX_UPSTREAM_CALLS before it starts: no poll',
    async (transport) => {
      await using stack = await startStack({ gateway: { limits: { costExtensions: true, maxUpstreamCalls: 1 } } });
      await stack.gateway.start(0, '127.0.0.1');
      stack.resetCalls();
      // Each event: the environment's GetBackend and the API's GetBackendAPI.
      const query =
        'subscription { backendJobs(appId: "d1todoapp00001", environmentName: "dev") { jobId environment { apis { config { apiName } } } } }';
      const answer = await runOver(transport, stack.gateway, { query });
      expect(answer.results).toEqual([
        expect.objectContaining({
          errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'MAX_UPSTREAM_CALLS_EXCEEDED', estimated: 2 }) })],
        }),
      ]);
      expect(stack.totalCalls()).toBe(0);
    },
  );

  it('charges the budget what each run of a live query calls', async () => {
    await using stack = await startStack({
      gateway: { limits: { costExtensions: true, upstreamCallsPerMinute: 1, upstreamCallsBurst: 300 } },
    });
    await stack.gateway.start(0, '127.0.0.1');
    const query = 'query @live { backendEnvironment(appId: "d1todoapp00001", name: "dev") { amplifyMetaConfigRaw } }';
    const results: { extensions?: Record<string, any> }[] = [];
    const seen = runOver('sse', stack.gateway, { query }, { take: 2, onResult: (r) => void results.push(r) });
    await until(() => results.length === 1, 'the first run');
    // A write through the gateway changes the environment: the live query runs again.
    await startStorageJob(stack, 'photos');
    await seen;
    // 300, less 1 for the first run, and 1 for the second, as it ran (the write was another client's:
    // in-process, without an address).
    expect(results.map((r) => r.extensions?.cost)).toEqual([
      { estimated: 1, actual: 1, budget: { remaining: 299, max: 300, restorePerSecond: 1 / 60 } },
      { estimated: 1, actual: 1, budget: { remaining: 298, max: 300, restorePerSecond: 1 / 60 } },
    ]);
  });
});

describe('the bucket of n tokens (src/security/rate-limit.ts)', () => {
  it('takes n tokens or none, gives back with a negative n up to its size, and with force goes below empty', () => {
    let now = 0;
    const bucket = createRateLimiter({ perMinute: 60, burst: 10, now: () => now });
    expect(bucket.takeNow('c', 7)).toEqual({ ok: true, remaining: 3 });
    // All or none: 5 is more than the 3 left, and nothing is taken; 2 s until there are 5.
    expect(bucket.takeNow('c', 5)).toEqual({ ok: false, retryAfterMs: 2000, remaining: 3 });
    expect(bucket.takeNow('c', -100)).toEqual({ ok: true, remaining: 10 });
    expect(bucket.takeNow('c', 12, true)).toEqual({ ok: true, remaining: -2 });
    expect(bucket.takeNow('c', 1)).toEqual({ ok: false, retryAfterMs: 3000, remaining: -2 });
    now += 3000;
    expect(bucket.takeNow('c', 1)).toEqual({ ok: true, remaining: 0 });
  });
});

describe('the estimate of a document that spreads its fragments many times', () => {
  // Each fragment spreads the next one many times: walked spread by spread, 5 levels of 40 spreads
  // kept the event loop for 15 s, and these took minutes. Each fragment is now costed once per type.
  const bomb = (levels: number, spreads: number) => {
    let query = 'query { ...F0 }\n';
    for (let i = 0; i < levels; i++) query += `fragment F${i} on Query { ${Array(spreads).fill(`...F${i + 1}`).join(' ')} }\n`;
    return query + `fragment F${levels} on Query { app(appId: "d1todoapp00001") { appName } }\n`;
  };

  it('is the cost of what it selects, the fragments costed once each', () => {
    expect(estimateUpstreamCalls(schema, parse(bomb(6, 30)), undefined, {})).toBe(30 ** 6);
  });

  // 5 levels: within the depth limit, so the estimate is what refuses it.
  it.each(transports)('over %s, is refused for its estimate at once, before any call', async (transport) => {
    await using stack = await startStack({ gateway: costOn });
    await stack.gateway.start(0, '127.0.0.1');
    stack.resetCalls();
    const { results } = await runOver(transport, stack.gateway, { query: bomb(5, 50) });
    expect(results[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'MAX_UPSTREAM_CALLS_EXCEEDED', estimated: 50 ** 5 });
    expect(stack.totalCalls()).toBe(0);
  });
});
