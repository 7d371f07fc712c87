import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Kind, parse, print, type ObjectTypeDefinitionNode } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { composeServices as composeApollo } from '@apollo/composition';
import { composeSupergraph } from '../scripts/compose-supergraph.js';
import { printSubgraph } from '../src/schema/index.js';
import { startStack, type Stack, nothingKept } from './helpers.js';
import { createCrashGuard } from './helpers-adversarial.js';

const APP = 'd1todoapp00001';

let stack: Stack;
beforeAll(async () => {
  // A FUZZ_RUNS property sends thousands of requests; the rate limit has tests of its own.
  // Counts upstream calls per request: nothing kept across requests.
  stack = await startStack({ gateway: { ...nothingKept, limits: { rateLimitPerMinute: 0 } } });
});
afterAll(() => stack.stop());
beforeEach(() => stack.resetCalls());

const committed = () => readFileSync(new URL('../subgraph.graphql', import.meta.url), 'utf8');

// A rejection nobody handles ends the gateway's process: none may follow from any request here.
const guard = createCrashGuard();
afterAll(() => guard.dispose());
afterEach(() => guard.check());

function entities(representations: unknown[], selection: string) {
  return stack.graphql(
    `query ($r: [_Any!]!) { _entities(representations: $r) { __typename ${selection} } }`,
    {
      r: representations,
    },
  );
}

/** Upstream calls by operation, as the emulator reports them at /_emulator/stats. */
async function upstreamStats() {
  return (await (await fetch(`${stack.emulator.url}/_emulator/stats`)).json()) as Record<
    string,
    number
  >;
}

async function jobIds(environmentName: string, first: number): Promise<string[]> {
  const res = await stack.graphql(`{
    backendEnvironment(appId: "${APP}", name: "${environmentName}") {
      jobs(first: ${first}) { edges { node { jobId } } }
    }
  }`);
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment.jobs.edges.map((e: any) => e.node.jobId);
}

describe('subgraph SDL', () => {
  it('matches the committed subgraph.graphql (run `npm run subgraph` after changing the schema)', () => {
    expect(printSubgraph()).toBe(committed());
  });

  it('is what _service { sdl } answers', async () => {
    const res = await stack.graphql('{ _service { sdl } }');
    expect(res.data._service.sdl).toBe(committed());
  });

  it('links Federation v2.9 (for @cost and @listSize) and keys every entity', () => {
    const doc = parse(committed());
    const link = doc.definitions.find((d) => d.kind === Kind.SCHEMA_EXTENSION);
    expect(link && print(link)).toBe(
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@cost", "@listSize"])',
    );
    const keys = Object.fromEntries(
      doc.definitions
        .filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION)
        .flatMap((type) =>
          (type.directives ?? [])
            .filter((d) => d.name.value === 'key')
            .map((d) => [type.name.value, print(d.arguments![0].value)]),
        ),
    );
    expect(keys).toEqual({
      App: '"appId"',
      BackendEnvironment: '"appId name"',
      BackendJob: '"appId environmentName jobId"',
      BackendApi: '"appId environmentName resourceName"',
      BackendAuth: '"appId environmentName resourceName"',
      BackendStorage: '"appId environmentName resourceName"',
    });
  });

  it('adds _entities and _service to the graph and leaves the rest as it was', async () => {
    const res = await stack.graphql('{ __type(name: "Query") { fields { name } } }');
    const fields = res.data.__type.fields.map((f: any) => f.name);
    // The graph's own fields first, in the order the code defines them, not sorted.
    expect(fields.slice(0, 2)).toEqual(['node', 'nodes']);
    expect(fields.slice(-2)).toEqual(['_entities', '_service']);
  });
});

describe('_entities', () => {
  it('resolves every entity by its key', async () => {
    const [jobId] = await jobIds('dev', 1);
    stack.resetCalls();
    const res = await entities(
      [
        { __typename: 'App', appId: APP },
        { __typename: 'BackendEnvironment', appId: APP, name: 'prod' },
        { __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId },
        {
          __typename: 'BackendApi',
          appId: APP,
          environmentName: 'dev',
          resourceName: 'todoappapi',
        },
        {
          __typename: 'BackendAuth',
          appId: APP,
          environmentName: 'dev',
          resourceName: 'todoappauth',
        },
        {
          __typename: 'BackendStorage',
          appId: APP,
          environmentName: 'dev',
          resourceName: 'todoappstorage',
        },
      ],
      `
      ... on App { appName }
      ... on BackendEnvironment { name app { appId } }
      ... on BackendJob { jobId state }
      ... on BackendApi { resourceName config { apiName } }
      ... on BackendAuth { resourceName }
      ... on BackendStorage { resourceName config { bucketName } }
      `,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities).toEqual([
      { __typename: 'App', appName: 'todo-app' },
      { __typename: 'BackendEnvironment', name: 'prod', app: { appId: APP } },
      { __typename: 'BackendJob', jobId, state: 'COMPLETED' },
      { __typename: 'BackendApi', resourceName: 'todoappapi', config: { apiName: 'todoappapi' } },
      { __typename: 'BackendAuth', resourceName: 'todoappauth' },
      {
        __typename: 'BackendStorage',
        resourceName: 'todoappstorage',
        config: { bucketName: expect.any(String) },
      },
    ]);
  });

  it('resolves unknown keys to null with a NOT_FOUND error at their slot, and the known ones still resolve', async () => {
    const [jobId] = await jobIds('dev', 1);
    const res = await entities(
      [
        { __typename: 'App', appId: 'd9nosuchapp999' },
        { __typename: 'BackendEnvironment', appId: APP, name: 'nosuch' },
        { __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId: 'nosuchjob' },
        { __typename: 'BackendJob', appId: APP, environmentName: 'nosuch', jobId },
        { __typename: 'BackendApi', appId: APP, environmentName: 'dev', resourceName: 'nosuchapi' },
        {
          __typename: 'BackendStorage',
          appId: 'd9nosuchapp999',
          environmentName: 'dev',
          resourceName: 'x',
        },
        { __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId },
      ],
      '... on BackendJob { jobId }',
    );
    expect(res.data._entities).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      { __typename: 'BackendJob', jobId },
    ]);
    // A router reads each error back to the reference that asked; a bare null would say nothing.
    const errors = res.errors?.toSorted((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
    expect(errors?.map(({ message, path, extensions }) => ({ message, path, extensions }))).toEqual([
      'App not found: appId "d9nosuchapp999"',
      `BackendEnvironment not found: appId "${APP}", name "nosuch"`,
      `BackendJob not found: appId "${APP}", environmentName "dev", jobId "nosuchjob"`,
      `BackendJob not found: appId "${APP}", environmentName "nosuch", jobId "${jobId}"`,
      `BackendApi not found: appId "${APP}", environmentName "dev", resourceName "nosuchapi"`,
      'BackendStorage not found: appId "d9nosuchapp999", environmentName "dev", resourceName "x"',
    ].map((message, slot) => ({ message, path: ['_entities', slot], extensions: { code: 'NOT_FOUND' } })));
  });

  it('fails only the slot of a malformed representation', async () => {
    const res = await entities(
      [
        { __typename: 'App', appId: APP },
        { __typename: 'App', appID: APP },
        { __typename: 'BackendEnvironment', appId: APP, name: 'a/b' },
      ],
      '... on App { appId }',
    );
    expect(res.data._entities).toEqual([{ __typename: 'App', appId: APP }, null, null]);
    expect(res.errors).toMatchObject([
      { path: ['_entities', 1], extensions: { code: 'BAD_USER_INPUT', field: 'appId' } },
      { path: ['_entities', 2], extensions: { code: 'BAD_USER_INPUT', field: 'name' } },
    ]);
  });

  it('a rejected reference beside an unknown __typename: both slots fail alone, nothing goes unhandled', async () => {
    const res = await entities(
      [{ __typename: 'App' }, { __typename: 'Nope', appId: 'x' }, { __typename: 'App', appId: APP }],
      '... on App { appId }',
    );
    await guard.check();
    expect(res.data._entities).toEqual([null, null, { __typename: 'App', appId: APP }]);
    const errors = res.errors?.toSorted((a, b) => Number(a.path?.[1]) - Number(b.path?.[1]));
    expect(errors).toMatchObject([
      { path: ['_entities', 0], extensions: { code: 'BAD_USER_INPUT', field: 'appId' } },
      { path: ['_entities', 1], extensions: { code: 'BAD_USER_INPUT', field: '__typename' } },
    ]);
    expect(errors?.[1].message).toBe(
      'Invalid representation: __typename "Nope" is no entity of this subgraph ' +
        '(App, BackendApi, BackendAuth, BackendEnvironment, BackendJob, BackendStorage)',
    );
  });

  const ownProto = JSON.parse(`{ "__proto__": { "__typename": "App" }, "appId": "${APP}" }`);
  it.each<{ name: string; bad: unknown; field: string }>([
    { name: 'a number', bad: 42, field: '__typename' },
    { name: 'a string', bad: 'App', field: '__typename' },
    { name: 'a boolean', bad: true, field: '__typename' },
    { name: 'an array', bad: [{ __typename: 'App', appId: APP }], field: '__typename' },
    { name: 'an object without __typename', bad: { appId: APP }, field: '__typename' },
    { name: '__typename a number', bad: { __typename: 7, appId: APP }, field: '__typename' },
    { name: '__typename null', bad: { __typename: null, appId: APP }, field: '__typename' },
    { name: '__typename only inherited, through an own "__proto__" key', bad: ownProto, field: '__typename' },
    { name: 'an unknown __typename', bad: { __typename: 'Nope', appId: APP }, field: '__typename' },
    { name: '__typename "__proto__"', bad: { __typename: '__proto__', appId: APP }, field: '__typename' },
    { name: '__typename "constructor"', bad: { __typename: 'constructor', appId: APP }, field: '__typename' },
    { name: '__typename "toString"', bad: { __typename: 'toString', appId: APP }, field: '__typename' },
    { name: 'a type of the schema that is no entity', bad: { __typename: 'Query', appId: APP }, field: '__typename' },
    { name: 'a scalar of the schema', bad: { __typename: 'String', appId: APP }, field: '__typename' },
    { name: 'an empty __typename', bad: { __typename: '', appId: APP }, field: '__typename' },
    { name: 'a key field missing', bad: { __typename: 'App' }, field: 'appId' },
    { name: 'a key field a number', bad: { __typename: 'App', appId: 5 }, field: 'appId' },
    { name: 'a key field an object', bad: { __typename: 'App', appId: { toString: APP } }, field: 'appId' },
    { name: 'a key field empty', bad: { __typename: 'App', appId: '' }, field: 'appId' },
    { name: 'a key field with a slash', bad: { __typename: 'App', appId: 'a/b' }, field: 'appId' },
    { name: 'one of several key fields missing', bad: { __typename: 'BackendJob', appId: APP, environmentName: 'dev' }, field: 'jobId' },
    { name: 'a resource key field null', bad: { __typename: 'BackendApi', appId: APP, environmentName: 'dev', resourceName: null }, field: 'resourceName' },
  ])('$name: fails only its own slot, BAD_USER_INPUT on $field, with no upstream call', async ({ bad, field }) => {
    const res = await entities([{ __typename: 'App', appId: APP }, bad, { __typename: 'App', appId: APP }], '... on App { appId }');
    expect(res.data._entities).toEqual([{ __typename: 'App', appId: APP }, null, { __typename: 'App', appId: APP }]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]).toMatchObject({ path: ['_entities', 1], extensions: { code: 'BAD_USER_INPUT', field } });
    expect(res.errors?.[0].message).toMatch(/^Invalid representation: /);
    // The two good ones share one read; the bad one costs nothing.
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it.each([
    [{ __typename: 'App' }, 'Invalid representation: appId is missing'],
    [{ __typename: 'App', appId: 5 }, 'Invalid representation: appId must be a string'],
    [{ __typename: 'App', appId: '..' }, 'Invalid representation: appId must not be "." or ".." (a relative path segment)'],
  ])('says what is wrong with a key field: %j', async (bad, message) => {
    const res = await entities([bad], '... on App { appId }');
    expect(res.errors?.map((e) => e.message)).toEqual([message]);
  });

  it('random representations: every slot is an entity, or null with BAD_USER_INPUT or NOT_FOUND of its own; nothing unexpected', async () => {
    const names = ['App', 'BackendEnvironment', 'BackendJob', 'BackendApi', 'BackendAuth', 'BackendStorage'];
    const text = fc.oneof(
      fc.constantFrom(APP, 'd9nosuchapp999', 'dev', 'prod', 'todoappapi', 'todoappauth', 'todoappstorage'),
      fc.string({ maxLength: 12 }),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const entityLike = fc.record(
      {
        __typename: fc.oneof(fc.constantFrom(...names, 'Nope', '__proto__', 'constructor', 'Query'), fc.jsonValue({ maxDepth: 1 })),
        appId: text,
        name: text,
        environmentName: text,
        jobId: text,
        resourceName: text,
      },
      { requiredKeys: ['__typename'] },
    );
    // Not null itself: `[_Any!]!` refuses that before any resolver runs.
    const representation = fc.oneof(entityLike, fc.jsonValue({ maxDepth: 2 }).filter((v) => v !== null));
    await fc.assert(
      fc.asyncProperty(fc.array(representation, { maxLength: 8 }), async (representations) => {
        const res = await entities(representations, '');
        await guard.check();
        const slots = res.data?._entities as unknown[];
        expect(slots).toHaveLength(representations.length);
        for (const error of res.errors ?? []) {
          expect(error.path).toEqual(['_entities', expect.any(Number)]);
          const sent = representations[error.path![1] as number] as { __typename?: unknown };
          // NOT_FOUND only for a well-formed reference of one of our entities.
          if (error.extensions?.code === 'NOT_FOUND') expect(names).toContain(sent.__typename);
          else expect(error.extensions?.code).toBe('BAD_USER_INPUT');
          expect(slots[error.path![1] as number]).toBeNull();
        }
        // And every null slot says why, once.
        const nullSlots = slots.flatMap((slot, i) => (slot === null ? [i] : []));
        expect((res.errors ?? []).map((e) => e.path![1]).toSorted()).toEqual(nullSlots.toSorted());
        for (const slot of slots) {
          if (slot !== null) expect(names).toContain((slot as { __typename: string }).__typename);
        }
      }),
      { seed: 12, numRuns: Number(process.env.FUZZ_RUNS) || 100 },
    );
  });

  it('50 jobs of one environment cost one ListBackendJobs walk, not 50 GetBackendJob calls', async () => {
    // The demo's 5 jobs of dev, and 45 more.
    for (let i = 0; i < 45; i++) {
      stack.emulator.store.generateModels(APP, 'dev', 'todoappapi');
      await stack.emulator.advance(3000);
    }
    const ids = await jobIds('dev', 50);
    expect(ids).toHaveLength(50);
    stack.resetCalls();

    const res = await entities(
      ids.map((jobId) => ({ __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId })),
      '... on BackendJob { jobId operation state }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data._entities.map((j: any) => j.jobId)).toEqual(ids);
    expect(res.data._entities.every((j: any) => j.state === 'COMPLETED')).toBe(true);
    // Two pages of 25 jobs.
    expect(await upstreamStats()).toEqual({ ListBackendJobs: 2 });
  });
});

describe('composition', () => {
  it('composes with another subgraph that extends App and references our entities', async () => {
    // The example config: our subgraph.graphql and the deployments subgraph's SDL, from files.
    const result = await composeSupergraph('test/fixtures/supergraph.json');
    expect(result.errors).toBeUndefined();
    const supergraph = result.supergraphSdl!;
    expect(supergraph).toContain(
      'AMPLIFYBACKEND @join__graph(name: "amplifybackend", url: "http://127.0.0.1:4000/graphql")',
    );
    expect(supergraph).toContain(
      'DEPLOYMENTS @join__graph(name: "deployments", url: "http://127.0.0.1:4001/graphql")',
    );
    // App joins both: our fields and theirs.
    const app = /type App[^{]*\{[^}]*\}/.exec(supergraph)![0];
    expect(app).toContain('appName: String @join__field(graph: AMPLIFYBACKEND)');
    expect(app).toContain('deployments: [Deployment!]! @join__field(graph: DEPLOYMENTS)');
    expect(supergraph).toContain(
      '@join__type(graph: DEPLOYMENTS, key: "appId name", resolvable: false)',
    );
    // The whole public graph is there: queries, mutations, subscriptions.
    expect(result.publicSdl).toMatch(/type Subscription \{[^}]*backendJob\(/);
    expect(result.publicSdl).toMatch(/type Mutation \{[^}]*createBackendApi\(/);
  });

  it('carries the cost directives into the supergraph, for a router with demand control', async () => {
    const result = await composeSupergraph('test/fixtures/supergraph.json');
    expect(result.errors).toBeUndefined();
    const supergraph = result.supergraphSdl!;
    expect(supergraph).toMatch(/type BackendJob[^{]*@cost\(weight: 2\)/);
    // It prints @listSize over several lines.
    const oneLine = supergraph.replace(/\s+/g, ' ');
    expect(oneLine).toContain(
      '): BackendJobConnection! @join__field(graph: AMPLIFYBACKEND) @cost(weight: 1) @listSize( requireOneSlicingArgument: false slicingArguments: ["first"] sizedFields: ["edges"] )',
    );
  });

  it('composes with @apollo/composition too, the cost directives included', () => {
    const deployments = readFileSync(new URL('../examples/deployments.graphql', import.meta.url), 'utf8');
    const result = composeApollo([
      { name: 'amplifybackend', url: 'http://127.0.0.1:4000/graphql', typeDefs: parse(committed()) },
      { name: 'deployments', url: 'http://127.0.0.1:4001/graphql', typeDefs: parse(deployments) },
    ]);
    expect(result.errors?.map((e) => e.message)).toBeUndefined();
    const supergraph = result.supergraphSdl!;
    expect(supergraph).toContain('@link(url: "https://specs.apollo.dev/cost/v0.1"');
    expect(supergraph).toMatch(/type BackendJob[^{]*@cost\(weight: 2\)/);
    expect(supergraph).toMatch(/@listSize\(slicingArguments: \["first"\], sizedFields: \["edges"\], requireOneSlicingArgument: false\)/);
    expect(supergraph).toContain('AMPLIFYBACKEND @join__graph(name: "amplifybackend", url: "http://127.0.0.1:4000/graphql")');
  });

  it('composes from a running gateway through _service { sdl } just the same', async () => {
    const url = await stack.gateway.start(0);
    const dir = mkdtempSync(join(tmpdir(), 'supergraph-'));
    const config = join(dir, 'supergraph.json');
    const deployments = new URL('../examples/deployments.graphql', import.meta.url).pathname;
    writeFileSync(
      config,
      JSON.stringify({
        subgraphs: {
          amplifybackend: { routing_url: url, schema: { subgraph_url: url } },
          deployments: {
            routing_url: 'http://127.0.0.1:4001/graphql',
            schema: { file: deployments },
          },
        },
      }),
    );
    const fromService = await composeSupergraph(config);
    expect(fromService.errors).toBeUndefined();
    const fromFiles = await composeSupergraph('test/fixtures/supergraph.json');
    expect(fromService.supergraphSdl!.replace(url, 'http://127.0.0.1:4000/graphql')).toBe(
      fromFiles.supergraphSdl,
    );
  });
});
