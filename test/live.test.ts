import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { NoLiveWithDeferStreamRule } from '../src/live/no-live-defer-rule.js';
import { createRunGate } from '../src/live/run-gate.js';
import { writtenResources } from '../src/live/resources.js';
import {
  createManualScheduler,
  readEvents,
  startStorageJob,
  startStorageJobUpstream,
  until,
  type GraphQLResponse,
  type Stack,
} from './helpers.js';
import { configError } from './helpers-config.js';
import { readmeExample, shellCommands, startProcess } from './helpers-readme.js';
import { useScheduledStack, type ManualScheduler } from './helpers-stack.js';
import { incrementalTransports, runOver } from './helpers-transport.js';

const APP = 'd1todoapp00001';
const OTHER = 'd2gallery00002';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

/** A dashboard's view of one environment: its storage and its newest job. */
const environmentView = (env = 'dev') =>
  `query @live { backendEnvironment(appId: "${APP}", name: "${env}") { storages { resourceName } jobs(first: 1) { edges { node { operation state } } } } }`;

/** What `environmentView` answers, from its parts. */
const view = (storages: string[], operation: string, state: string) => ({
  data: {
    backendEnvironment: {
      storages: storages.map((resourceName) => ({ resourceName })),
      jobs: { edges: [{ node: { operation, state } }] },
    },
  },
  isLive: true,
});

const streaming = ['sse', 'ws'] as const;
type Streaming = (typeof streaming)[number];

let stack: Stack;
let scheduler: ManualScheduler;
let wsUrl: string;
const stacks = useScheduledStack();

async function start(liveQueries = { maxPerClient: 10, minIntervalMs: 0 }, access?: Parameters<typeof stacks.start>[0]) {
  ({ stack, scheduler, url: wsUrl } = await stacks.start({ ...access, gateway: { jobPolling: polling, liveQueries, ...access?.gateway } }));
}

const live = () => stack.gateway.liveQueries();

/**
 * A live query held open over SSE or graphql-ws: its results read one by one, as they come, and
 * `close` to end it the way the client would (SSE: the request aborted; graphql-ws: `complete`).
 */
async function openLive(transport: Streaming, query: string, credential?: string) {
  if (transport === 'ws') {
    const client = stacks.ws.connect(wsUrl, credential ? { 'x-api-key': credential } : undefined);
    const results = client.iterate({ query });
    return {
      next: async () => (await results.next()).value as GraphQLResponse,
      close: async () => void (await results.return?.()),
    };
  }
  const abort = new AbortController();
  const res = await fetch(wsUrl.replace('ws://', 'http://'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(credential ? { 'x-api-key': credential } : {}) },
    body: JSON.stringify({ query }),
    signal: abort.signal,
  });
  const results = readEvents(res);
  return {
    next: async () => (await results.next()).value as GraphQLResponse,
    close: async () => {
      abort.abort();
      await results.return(undefined).catch(() => undefined);
    },
  };
}

/** The job the poller will find next: one started on the emulator itself, which nothing tells the gateway of. */
async function jobOutsideTheGateway(resourceName: string) {
  await startStorageJobUpstream(stack.emulator.url, resourceName);
  await scheduler.advance(polling.maxIntervalMs);
}

/** The emulator's jobs end, and the poller sees it. */
async function jobsEnd() {
  await stack.emulator.advance(3000);
  await scheduler.advance(polling.maxIntervalMs);
}

describe('@live queries', () => {
  it('are refused over plain JSON (406, with what to ask for); without @live, or with @live(if: false), the query answers as ever', async () => {
    await start();
    const refused = await runOver('http', stack.gateway, { query: environmentView() });
    expect(refused).toEqual({
      status: 406,
      results: [
        {
          errors: [
            {
              message:
                'A @live query sends its result again on every change: ask for a stream with accept: text/event-stream ' +
                '(or multipart/mixed), or send it over graphql-ws',
              extensions: { code: 'BAD_REQUEST' },
            },
          ],
        },
      ],
    });
    const once = await runOver('http', stack.gateway, { query: environmentView().replace('@live', '@live(if: false)') });
    expect(once).toEqual({ status: 200, results: [{ data: view(['todoappstorage'], 'CreateBackendStorage', 'COMPLETED').data }] });
    expect(live()).toEqual({ open: 0, runs: 0, watching: 0 });
  });

  it('over multipart/mixed too; in a batch it is refused, on any transport, and nothing is held open', async () => {
    await start();
    const fetchWith = (accept: string, body: unknown) =>
      stack.gateway.yoga.fetch('http://yoga/graphql', { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });

    const multipart = await fetchWith('multipart/mixed', { query: environmentView() });
    expect(multipart.headers.get('content-type')).toContain('multipart/mixed');
    const reader = multipart.body!.getReader();
    let text = '';
    while (!text.includes('"isLive":true')) text += new TextDecoder().decode((await reader.read()).value);
    expect(live().open).toBe(1);
    await reader.cancel();
    await until(() => live().open === 0, 'the multipart live query to end');

    const refusal = { errors: [{ message: 'A @live query streams its results: send it alone, not in a batch', extensions: { code: 'BAD_REQUEST' } }] };
    const plain = { query: `{ app(appId: "${APP}") { appName } }` };
    const json = await runOver('http', stack.gateway, [{ query: environmentView() }, plain]);
    expect(json.results).toEqual([[refusal, { data: { app: { appName: 'todo-app' } } }]]);
    const sse = await (await fetchWith('text/event-stream', [{ query: environmentView() }, plain])).text();
    expect(sse).toContain(JSON.stringify(refusal));
    expect(live()).toEqual({ open: 0, runs: 1, watching: 0 });
  });

  it.each(incrementalTransports)('%s: @defer and @stream in a live query, or a fragment it spreads, are refused before any upstream call', async (transport) => {
    await start();
    stack.resetCalls();
    const deferred = `query @live { app(appId: "${APP}") { appName ... @defer { environments { name } } } }`;
    const streamed = `fragment Names on App { environments @stream { name } } query @live { app(appId: "${APP}") { ...Names } }`;
    for (const [query, directive] of [[deferred, 'defer'], [streamed, 'stream']]) {
      const { results } = await runOver(transport, stack.gateway, { query }, { take: 1 });
      expect(results).toEqual([
        {
          errors: [
            {
              message: `A @live query is sent whole every time: it cannot use @${directive}`,
              locations: [{ line: 1, column: query.indexOf(`@${directive}`) + 1 }],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
            },
          ],
        },
      ]);
    }
    expect(stack.calls()).toEqual({});
    expect(live().open).toBe(0);
  });

  it.each(streaming)('%s: a view of an environment is sent again after a mutation through the gateway, and when its job ends', async (transport) => {
    await start();
    const results = await openLive(transport, environmentView());
    expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'COMPLETED'));
    await scheduler.advance(0);

    await startStorageJob(stack, 'photos');
    expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'IN_PROGRESS'));
    await jobsEnd();
    expect(await results.next()).toEqual(view(['todoappstorage', 'photos'], 'CreateBackendStorage', 'COMPLETED'));
    // One run each: the first, the mutation's, the job's end (the poller's report of the job the
    // mutation started is what the mutation's run already read).
    expect(live()).toEqual({ open: 1, runs: 3, watching: 1 });

    await results.close();
    await until(() => live().open === 0, 'the live query to end');
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 0, pollers: 0, subscribers: 0 });
  });

  it.each(streaming)('%s: it is sent again when a job started outside the gateway runs and ends', async (transport) => {
    await start();
    const results = await openLive(transport, environmentView());
    expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'COMPLETED'));
    await scheduler.advance(0);

    await jobOutsideTheGateway('outside');
    expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'IN_PROGRESS'));
    await jobsEnd();
    expect(await results.next()).toEqual(view(['todoappstorage', 'outside'], 'CreateBackendStorage', 'COMPLETED'));
    expect(live().runs).toBe(3);
    await results.close();
  });

  it.each(streaming)('%s: the list of apps is sent again when a write adds an app, listed afresh each run', async (transport) => {
    await start();
    const appIds = (result: GraphQLResponse) => result.data.apps.edges.map((e: { node: { appId: string } }) => e.node.appId);
    const results = await openLive(transport, 'query @live { apps(first: 100) { edges { node { appId } } } }');
    const first = appIds(await results.next());
    expect(first).toContain(APP);
    expect(first).not.toContain('d0newapp00000');

    const created = await stack.graphql('mutation { createBackend(input: { appId: "d0newapp00000", appName: "new", environmentName: "dev" }) { job { jobId } } }');
    expect(created.errors).toBeUndefined();
    expect(appIds(await results.next())).toEqual([...first, 'd0newapp00000'].sort());
    await results.close();
  });

  it.each(streaming)('%s: a view of an app is sent again when an environment created through the gateway exists, at its job end', async (transport) => {
    await start();
    const environments = (...names: string[]) => ({ data: { app: { environments: names.map((name) => ({ name })) } }, isLive: true });
    const results = await openLive(transport, `query @live { app(appId: "${APP}") { environments { name } } }`);
    expect(await results.next()).toEqual(environments('dev', 'prod'));

    const created = await stack.graphql(`mutation { createBackend(input: { appId: "${APP}", appName: "todo-app", environmentName: "qa" }) { job { jobId } } }`);
    expect(created.errors).toBeUndefined();
    // The write, at once; the service adds the environment when its job ends, which is followed.
    expect(await results.next()).toEqual(environments('dev', 'prod'));
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 1 });
    await jobsEnd();
    expect(await results.next()).toEqual(environments('dev', 'prod', 'qa'));
    expect(live().runs).toBe(3);
    await until(() => stack.gateway.jobs.stats().watches === 0, 'the follow to end with the job');
    await results.close();
  });

  it('an app-wide write with no live query open starts no watch of its job', async () => {
    await start();
    const created = await stack.graphql(`mutation { createBackend(input: { appId: "${APP}", appName: "todo-app", environmentName: "qa" }) { job { jobId } } }`);
    expect(created.errors).toBeUndefined();
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 0, pollers: 0 });
  });

  it('one poller serves 20 live queries of an environment (10 over SSE, 10 over graphql-ws); a change runs each once', async () => {
    await start({ maxPerClient: 20, minIntervalMs: 0 });
    const all = await Promise.all(Array.from({ length: 20 }, (_, i) => openLive(streaming[i % 2], environmentView())));
    for (const results of all) expect((await results.next()).data).toBeDefined();
    await scheduler.advance(0);
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 1, pollers: 1, subscribers: 20 });
    expect(live()).toEqual({ open: 20, runs: 20, watching: 20 });

    await jobOutsideTheGateway('outside');
    for (const results of all) expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'IN_PROGRESS'));
    expect(live().runs).toBe(40);
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 1, pollers: 1 });
    await Promise.all(all.map((results) => results.close()));
    await until(() => live().open === 0, 'every live query to end');
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 0, pollers: 0 });
  });

  it.each(streaming)('%s: a client holds at most MAX_LIVE_QUERIES_PER_CLIENT; others have their own', async (transport) => {
    const keys = { a: 'key-live-client-a-000001', b: 'key-live-client-b-000002' };
    await start({ maxPerClient: 2, minIntervalMs: 0 }, {
      gateway: { access: { apiKeys: Object.values(keys).map((key) => ({ key, scopes: ['read' as const] })) } },
    });
    const first = await openLive(transport, environmentView('dev'), keys.a);
    const second = await openLive(transport, environmentView('prod'), keys.a);
    for (const results of [first, second]) expect((await results.next()).data).toBeDefined();

    const third = await openLive(transport, environmentView('dev'), keys.a);
    expect(await third.next()).toEqual({
      errors: [
        {
          message: 'This client holds 2 live queries, the most MAX_LIVE_QUERIES_PER_CLIENT allows (2): end one first',
          extensions: { code: 'MAX_LIVE_QUERIES_EXCEEDED', limit: 2 },
        },
      ],
    });
    const otherClient = await openLive(transport, environmentView('dev'), keys.b);
    expect((await otherClient.next()).data).toBeDefined();
    expect(live().open).toBe(3);

    await first.close();
    await until(() => live().open === 2, 'the first live query to end');
    const again = await openLive(transport, environmentView('dev'), keys.a);
    expect((await again.next()).data).toBeDefined();
    for (const results of [second, otherClient, again, third]) await results.close();
  });

  it('runs one live query at most once per LIVE_QUERY_MIN_INTERVAL_MS: changes meanwhile make one run at its end', async () => {
    await start({ maxPerClient: 10, minIntervalMs: 1000 });
    const appView = `query @live { app(appId: "${APP}") { environments { name jobs(first: 1) { edges { node { operation state } } } } } }`;
    const results = await openLive('ws', appView);
    expect((await results.next()).data.app.environments).toHaveLength(2);
    await scheduler.advance(0);

    // Two writes and what the pollers then see of them, all within the interval.
    await startStorageJob(stack, 'photos', 'dev');
    await startStorageJob(stack, 'videos', 'prod');
    await scheduler.advance(999);
    expect(live().runs).toBe(1);
    await scheduler.advance(1);
    expect(live().runs).toBe(2);
    expect((await results.next()).data.app.environments).toEqual([
      { name: 'dev', jobs: { edges: [{ node: { operation: 'CreateBackendStorage', state: 'IN_PROGRESS' } }] } },
      { name: 'prod', jobs: { edges: [{ node: { operation: 'CreateBackendStorage', state: 'IN_PROGRESS' } }] } },
    ]);
    await results.close();
  });

  it('@live(throttle: ms) asks for a longer interval, not a shorter one', async () => {
    await start({ maxPerClient: 10, minIntervalMs: 1000 });
    const slower = await openLive('ws', environmentView().replace('@live', '@live(throttle: 5000)'));
    const faster = await openLive('ws', environmentView('prod').replace('@live', '@live(throttle: 10)'));
    for (const results of [slower, faster]) await results.next();
    await scheduler.advance(0);

    await startStorageJob(stack, 'photos', 'dev');
    await startStorageJob(stack, 'videos', 'prod');
    await scheduler.advance(999);
    expect(live().runs).toBe(2);
    await scheduler.advance(1);
    expect((await faster.next()).data.backendEnvironment.jobs.edges[0].node.state).toBe('IN_PROGRESS');
    expect(live().runs).toBe(3);
    await scheduler.advance(3999);
    expect(live().runs).toBe(3);
    await scheduler.advance(1);
    expect((await slower.next()).data.backendEnvironment.jobs.edges[0].node.state).toBe('IN_PROGRESS');
    for (const results of [slower, faster]) await results.close();
  });

  it.each(streaming)("%s: every run holds the client's per-app access; a write to an app it may not use runs nothing", async (transport) => {
    const keys = { own: 'key-live-own-app-0000001', every: 'key-live-every-app-000002' };
    await start(undefined, {
      gateway: {
        access: {
          apiKeys: [
            { key: keys.own, scopes: ['read'], apps: [APP] },
            { key: keys.every, scopes: ['read', 'write'] },
          ],
        },
      },
    });
    const both = `query @live {
      own: backendEnvironment(appId: "${APP}", name: "dev") { name }
      other: backendEnvironment(appId: "${OTHER}", name: "staging") { name }
    }`;
    const results = await openLive(transport, both, keys.own);
    // The other app reads as one that does not exist, as it does without @live.
    const refusedOther = { data: { own: { name: 'dev' }, other: null }, isLive: true };
    expect(await results.next()).toEqual(refusedOther);
    // Its environment is not watched either.
    await until(() => live().watching === 1, 'the refused watch to end');
    expect(stack.gateway.jobs.stats()).toMatchObject({ watches: 1 });

    const write = (appId: string, environmentName: string) =>
      stack.request(
        {
          query: `mutation { createBackendStorage(input: { appId: "${appId}", environmentName: "${environmentName}", resourceName: "photos"
            config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
        },
        { 'x-api-key': keys.every },
      );
    expect((await write(OTHER, 'staging')).body.errors).toBeUndefined();
    expect(live().runs).toBe(1);
    expect((await write(APP, 'dev')).body.errors).toBeUndefined();
    expect(await results.next()).toEqual(refusedOther);
    expect(live().runs).toBe(2);
    await results.close();
  });

  it('end with the gateway: a stop completes them at once', async () => {
    await start();
    const results = await openLive('sse', environmentView());
    await results.next();
    await stack.gateway.stop();
    expect(await results.next()).toBeUndefined();
    expect(live().open).toBe(0);
  });
});

describe('README: Live queries', () => {
  it('live-query: the document is sent at once, and again after a job starts, over SSE and graphql-ws', async () => {
    await start();
    const [example] = readmeExample('live-query');
    const all = await Promise.all(streaming.map((transport) => openLive(transport, example.body)));
    for (const results of all) expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'COMPLETED'));
    await startStorageJob(stack, 'photos');
    for (const results of all) expect(await results.next()).toEqual(view(['todoappstorage'], 'CreateBackendStorage', 'IN_PROGRESS'));
    for (const results of all) await results.close();
  });

  it('live-query-sse: curl prints the view, and again when a job starts', async () => {
    await start();
    const [command, printed] = readmeExample('live-query-sse');
    const [curl] = shellCommands(command.body);
    expect(curl).toContain('http://127.0.0.1:4000/graphql');
    const curlRun = startProcess('sh', ['-c', curl.replace('http://127.0.0.1:4000/graphql', wsUrl.replace('ws://', 'http://'))]);
    const events = (text: string) => text.split('\n').filter((line) => /^(event|data):/.test(line));
    try {
      await curlRun.waitFor(/^data: .*\n/m);
      await startStorageJob(stack, 'photos');
      await curlRun.waitFor(/^data: .*\n[\s\S]*^data: .*\n/m);
      expect(events(curlRun.output())).toEqual(events(printed.body));
    } finally {
      await curlRun.stop();
    }
  });
});

describe('the run gate', () => {
  it('never runs twice at once: a change during a run makes one more run, the interval after its start', async () => {
    const scheduler = createManualScheduler();
    let starts = 0;
    const gate = createRunGate(scheduler, 1000, () => starts++);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    gate.started();
    gate.request();
    gate.request();
    await turn();
    expect(starts).toBe(0);
    gate.finished();
    await turn();
    await scheduler.advance(999);
    expect(starts).toBe(0);
    await scheduler.advance(1);
    expect(starts).toBe(1);
    gate.started();
    gate.finished();
    await turn();
    await scheduler.advance(5000);
    expect(starts).toBe(1);
  });
});

describe('@live with @defer and @stream', () => {
  const schema = buildSchema(`
    directive @live(if: Boolean = true, throttle: Int) on QUERY
    directive @defer(if: Boolean! = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
    directive @stream(if: Boolean! = true, label: String, initialCount: Int = 0) on FIELD
    type Query { app: App }
    type App { name: String environments: [String] }
  `);
  const problems = (document: string) => validate(schema, parse(document), [NoLiveWithDeferStreamRule]).map((e) => e.message);

  it.each([
    ['in the live query', 'query @live { app { ... @defer { name } } }', ['A @live query is sent whole every time: it cannot use @defer']],
    [
      'in a fragment it spreads, defined before it',
      'fragment F on App { environments @stream } query @live { app { ...F } }',
      ['A @live query is sent whole every time: it cannot use @stream'],
    ],
    ['in a fragment only another operation spreads', 'fragment F on App { environments @stream } query A { app { ...F } } query B @live { app { name } }', []],
    ['in a query without @live', 'query { app { ... @defer { name } } }', []],
  ])('%s: %s', (_where, document, expected) => {
    expect(problems(document)).toEqual(expected);
  });
});

describe('what a write invalidates', () => {
  it.each([
    ['CreateBackendStorage', { appId: 'a', backendEnvironmentName: 'dev', resourceName: 'photos' }, ['BackendEnvironment:a/dev'], false],
    ['UpdateBackendJob', { appId: 'a', backendEnvironmentName: 'dev', jobId: 'j' }, ['BackendEnvironment:a/dev'], false],
    // A write that may add or remove an app changes the list of apps too.
    ['CreateBackend', { appId: 'a', backendEnvironmentName: 'qa', appName: 'x' }, ['App:a', 'Apps'], true],
    ['CloneBackend', { appId: 'a', backendEnvironmentName: 'dev', targetEnvironmentName: 'qa' }, ['App:a'], true],
    ['RemoveAllBackends', { appId: 'a' }, ['App:a', 'Apps'], true],
    ['CreateToken', { appId: 'a' }, ['App:a'], true],
  ] as const)('%s %o: %o', (operation, input, resources, wholeApp) => {
    expect(writtenResources(operation, input)).toEqual({ appId: 'a', resources, wholeApp });
  });

  it.each(['GetBackend', 'ListBackendJobs', 'ListS3Buckets'] as const)('%s: a read, nothing', (operation) => {
    expect(writtenResources(operation, { appId: 'a', backendEnvironmentName: 'dev' })).toBeUndefined();
  });
});

describe('settings', () => {
  it('MAX_LIVE_QUERIES_PER_CLIENT and LIVE_QUERY_MIN_INTERVAL_MS: 10 and 1000 by default', () => {
    expect(loadConfig({}).liveQueries).toEqual({ maxPerClient: 10, minIntervalMs: 1000 });
    expect(loadConfig({ MAX_LIVE_QUERIES_PER_CLIENT: '0', LIVE_QUERY_MIN_INTERVAL_MS: '0' }).liveQueries).toEqual({
      maxPerClient: 0,
      minIntervalMs: 0,
    });
  });

  it.each([
    [{ MAX_LIVE_QUERIES_PER_CLIENT: '-1' }, 'MAX_LIVE_QUERIES_PER_CLIENT must be a whole number from 0 to 10000'],
    [{ MAX_LIVE_QUERIES_PER_CLIENT: 'many' }, 'MAX_LIVE_QUERIES_PER_CLIENT must be a whole number from 0 to 10000'],
    [{ LIVE_QUERY_MIN_INTERVAL_MS: '1.5' }, 'LIVE_QUERY_MIN_INTERVAL_MS must be a whole number from 0 to 3600000'],
  ])('rejects %o', (env, problem) => {
    expect(configError(env).message).toBe(`invalid configuration:\n  - ${problem}`);
  });

  it('0 live queries per client refuses @live, naming the setting', async () => {
    await start({ maxPerClient: 0, minIntervalMs: 0 });
    const results = await openLive('sse', environmentView());
    expect((await results.next()).errors?.[0]).toMatchObject({
      message: 'Live queries are off on this gateway (MAX_LIVE_QUERIES_PER_CLIENT=0): send the query without @live',
      extensions: { code: 'MAX_LIVE_QUERIES_EXCEEDED', limit: 0 },
    });
    await results.close();
  });
});
