import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deferred, startStack, until, type GraphQLResponse, type Stack, nothingKept } from './helpers.js';
import { readmeExample } from './helpers-readme.js';
import { incrementalTransports, runOver, transports, type IncrementalTransport, type Transport, type TransportOptions } from './helpers-transport.js';
import { startProbedStack } from './helpers-upstream.js';

const OWN = 'd1todoapp00001';
const OTHER = 'd2gallery00002';
const MISSING = 'd9nosuchapp0009';

/** A part of an incremental result: the first has `data`, the later ones `incremental` entries. */
type Part = GraphQLResponse & {
  hasNext?: boolean;
  incremental?: { path: (string | number)[]; data?: Record<string, unknown>; items?: unknown[]; label?: string }[];
};

/** The result the parts add up to: each deferred `data` merged in at its path, each streamed item put at its index. */
function assembled(parts: Part[]) {
  const [first, ...rest] = parts;
  const data = structuredClone(first.data) as Record<string | number, any>;
  const at = (path: (string | number)[]) => path.reduce((value: any, key) => value[key], data);
  const merge = (target: any, source: any) => {
    for (const [key, value] of Object.entries(source)) {
      if (value && typeof value === 'object' && target[key] && typeof target[key] === 'object') merge(target[key], value);
      else target[key] = value;
    }
  };
  for (const part of rest) {
    for (const entry of part.incremental ?? []) {
      if (entry.items) at(entry.path.slice(0, -1)).splice(entry.path.at(-1), 0, ...entry.items);
      else merge(at(entry.path), entry.data);
    }
  }
  return data;
}

/** The JSON objects of a README block that shows parts: one a line, among boundaries and headers. */
const partsShown = (body: string) => body.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Part);

const nodeId = (text: string) => Buffer.from(text).toString('base64');

describe('@defer and @stream', () => {
  let stack: Awaited<ReturnType<typeof startProbedStack>>;
  beforeAll(async () => {
    // Counts upstream calls per request: nothing kept across requests.
    stack = await startProbedStack({ gateway: nothingKept });
    await stack.gateway.start(0);
  });
  afterAll(() => stack.stop());
  beforeEach(() => stack.resetCalls());
  const run = (transport: IncrementalTransport | Transport, query: string, options?: TransportOptions) =>
    runOver(transport, stack.gateway, { query }, options);
  const post = (body: unknown, accept: string) =>
    fetch(stack.gateway.url!, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify(body) });

  describe('the README examples', () => {
    it('defer: over multipart/mixed the response is the README\'s, byte for byte, at the minimum of upstream calls', async () => {
      const [document, response] = readmeExample('defer');
      expect([document.lang, response.lang]).toEqual(['graphql', 'text']);
      const res = await post({ query: document.body }, 'multipart/mixed');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('multipart/mixed; boundary="-"');
      // Multipart lines end in CRLF, and a CRLF comes before the first boundary; the README shows LF.
      expect((await res.text()).replaceAll('\r\n', '\n')).toBe(`\n${response.body}`);
      expect(stack.calls()).toEqual({ GetBackend: 1, ListBackendJobs: 1, GetBackendAPI: 1, GetBackendAuth: 1, GetBackendStorage: 1 });
    });

    it.each(incrementalTransports)('defer over %s: the README\'s two parts, in order', async (transport) => {
      const [document, response] = readmeExample('defer');
      const parts = partsShown(response.body);
      expect(parts.map((p) => p.hasNext)).toEqual([true, false]);
      expect(await run(transport, document.body)).toEqual({ status: 200, results: parts });
    });

    it.each(incrementalTransports)('stream over %s: the README\'s parts, costing what the list costs unstreamed', async (transport) => {
      const [document, response] = readmeExample('stream');
      expect([document.lang, response.lang]).toEqual(['graphql', 'jsonl']);
      const whole = await stack.graphql(document.body.replace('@stream(initialCount: 1)', ''));
      const unstreamed = stack.calls();
      expect(unstreamed).toEqual({ GetBackend: 3, GetBackendStorage: 2 });
      stack.resetCalls();
      const { results } = await run(transport, document.body);
      expect(results).toEqual(partsShown(response.body));
      expect(assembled(results)).toEqual(whole.data);
      expect(stack.calls()).toEqual(unstreamed);
    });
  });

  it.each(incrementalTransports)(
    "over %s the first part arrives while the deferred fragment's calls, sent together, wait for their answers",
    async (transport) => {
      const [document] = readmeExample('defer');
      const hold = stack.probe.hold(/\/(api|auth|storage)\/[^/]+\/details$/);
      await using _released = deferred(() => hold.release());
      const arrived: Part[] = [];
      const answer = run(transport, document.body, { onResult: (result) => arrived.push(result) });
      await until(() => arrived.length > 0 && hold.held() === 3, "the first part, and the deferred fragment's three calls");
      expect(arrived).toEqual([{ data: { backendEnvironment: { name: 'dev', pendingJob: null } }, hasNext: true }]);
      hold.release();
      const { results } = await answer;
      expect(results).toHaveLength(2);
      expect(results[1]).toMatchObject({ incremental: [{ path: ['backendEnvironment'], label: 'resources' }], hasNext: false });
    },
  );

  describe('upstream calls', () => {
    const resources = `apis { config { apiName } } auth { config { authResources } } storages { config { bucketName } }
      jobs(first: 5) { edges { node { jobId } } }`;
    const perEnvironment = (directive: string) =>
      `{ app(appId: "${OWN}") { appName environments { name ... ${directive} { ${resources} } } } }`;

    it.each(incrementalTransports)('over %s, a fragment deferred in every environment costs what it costs undeferred: the minimum', async (transport) => {
      const whole = await stack.graphql(perEnvironment(''));
      expect(whole.errors).toBeUndefined();
      const undeferred = stack.calls();
      // 1 GetBackend for the app, 1 per environment; 1 Get* per resource; 1 ListBackendJobs per environment.
      expect(undeferred).toEqual({ GetBackend: 3, GetBackendAPI: 2, GetBackendAuth: 2, GetBackendStorage: 2, ListBackendJobs: 2 });
      stack.resetCalls();
      const { results } = await run(transport, perEnvironment('@defer'));
      expect(results[0]).toEqual({ data: { app: { appName: 'todo-app', environments: [{ name: 'dev' }, { name: 'prod' }] } }, hasNext: true });
      expect(results.at(-1)).toMatchObject({ hasNext: false });
      expect(assembled(results)).toEqual(whole.data);
      expect(stack.calls()).toEqual(undeferred);
    });

    it.each(incrementalTransports)('over %s, what one part has read no later part reads again: one request, one set of loaders', async (transport) => {
      const { results } = await run(
        transport,
        `{ backendEnvironment(appId: "${OWN}", name: "dev") {
          apis { resourceName config { apiName } }
          ... @defer(label: "a") { apis { config { apiName service } } auth { config { authResources } } }
          ... @defer(label: "b") { apis { config { transformSchema } } auth { config { service } } }
        } }`,
      );
      expect(results.at(-1)).toMatchObject({ hasNext: false });
      expect(assembled(results).backendEnvironment).toMatchObject({
        apis: [{ resourceName: 'todoappapi', config: { apiName: 'todoappapi', service: expect.any(String), transformSchema: expect.any(String) } }],
        auth: { config: { authResources: expect.any(String), service: 'COGNITO' } },
      });
      expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAPI: 1, GetBackendAuth: 1 });
    });
  });

  describe('what a client must ask for', () => {
    const query = `{ app(appId: "${OWN}") { appName ... @defer { environments { name } } } }`;

    it.each(['application/json', 'application/graphql-response+json'])('a result in parts is refused to accept: %s with a 406 that says what to ask for', async (accept) => {
      const res = await post({ query }, accept);
      expect(res.status).toBe(406);
      expect(await res.json()).toEqual({
        errors: [
          {
            message: `This operation's result is a stream (a subscription, @defer or @stream), which accept "${accept}" cannot carry: ask for text/event-stream or multipart/mixed`,
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
      expect(stack.calls()).toEqual({ GetBackend: 1 });
    });

    it("answers Apollo Client's Accept in parts, and a query without the directives in one JSON", async () => {
      const apollo = 'multipart/mixed;deferSpec=20220824,application/graphql-response+json,application/json;q=0.9';
      const deferredAnswer = await post({ query }, apollo);
      expect(deferredAnswer.headers.get('content-type')).toBe('multipart/mixed; boundary="-"');
      await deferredAnswer.body?.cancel();
      const plain = await post({ query: '{ __typename }' }, apollo);
      expect(plain.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
      expect(await plain.json()).toEqual({ data: { __typename: 'Query' } });
    });
  });

  describe('in subscriptions', () => {
    const subscription = (selection: string) =>
      `subscription { backendJob(appId: "${OWN}", environmentName: "dev", jobId: "j-none") { ${selection} } }`;
    const everywhere = [...transports, 'multipart'] as const;

    it.each(everywhere)('@defer and @stream are refused over %s, in the operation or a fragment it spreads', async (transport) => {
      const deferInside = subscription('state ... @defer { environment { name } }');
      const streamInFragment = `fragment Resources on BackendEnvironment { apis @stream { resourceName } } ${subscription('state environment { ...Resources }')}`;
      const refusal = (directive: 'defer' | 'stream', query: string) => ({
        message:
          `${directive === 'defer' ? 'Defer' : 'Stream'} directive not supported on subscription operations. ` +
          `Disable \`@${directive}\` by setting the \`if\` argument to \`false\`.`,
        locations: [{ line: 1, column: query.indexOf(`@${directive}`) + 1 }],
        extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      });
      expect((await run(transport, deferInside)).results).toEqual([{ errors: [refusal('defer', deferInside)] }]);
      expect((await run(transport, streamInFragment)).results).toEqual([{ errors: [refusal('stream', streamInFragment)] }]);
      expect(stack.calls()).toEqual({});
    });

    it.each(['sse', 'ws'] as const)('@defer(if: false) in a subscription is no @defer: it runs over %s', async (transport) => {
      const { results } = await run(transport, subscription('state ... @defer(if: false) { jobId }'), { take: 1 });
      expect(results).toEqual([{ data: null, errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })] }]);
    });

    it('a subscription over multipart is refused with a 406 that names text/event-stream', async () => {
      const res = await post({ query: subscription('state') }, 'multipart/mixed');
      expect(res.status).toBe(406);
      expect(await res.json()).toEqual({
        errors: [
          {
            message:
              'This operation\'s result is a stream (a subscription, @defer or @stream), which accept "multipart/mixed" ' +
              'cannot carry: ask for text/event-stream',
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
    });
  });
});

describe('the limits count what is deferred or streamed', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { limits: { maxDepth: 5, maxAliases: 1, maxDirectives: 2, maxCost: 40, maxListItems: 2 } } });
    await stack.gateway.start(0);
  });
  afterAll(() => stack.stop());
  beforeEach(() => stack.resetCalls());

  const validation = (message: string) => ({ message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  const cases: [string, { query: string; variables?: Record<string, unknown> }, unknown[]][] = [
    [
      'depth, in a deferred fragment',
      { query: `{ app(appId: "${OWN}") { appName ... @defer { environments { apis { config { apiName } } } } } }` },
      [validation('Query depth limit of 5 exceeded, found 6.')],
    ],
    [
      'aliases, in a deferred fragment',
      { query: `{ app(appId: "${OWN}") { appName ... @defer { a: environments { name } b: environments { name } } } }` },
      [validation('Aliases limit of 1 exceeded, found 2.')],
    ],
    [
      'cost, in a deferred fragment',
      { query: `{ app(appId: "${OWN}") { appName ... @defer { environments { name apis { resourceName } auth { resourceName } storages { resourceName } } } } }` },
      [validation('Query Cost limit of 40 exceeded, found 49.8125.')],
    ],
    [
      'directives: each @defer counts',
      { query: `{ app(appId: "${OWN}") { ... @defer { appName } ... @defer { appId } ... @defer { environments { name } } } }` },
      [validation('Directives limit of 2 exceeded, found 3.')],
    ],
    [
      'list items, of a streamed list',
      {
        query: 'query ($ids: [ID!]!) { nodes(ids: $ids) @stream(initialCount: 1) { id } }',
        variables: { ids: [nodeId(`App:${OWN}`), nodeId(`App:${OTHER}`), nodeId(`App:${MISSING}`)] },
      },
      [
        {
          message: 'The list nodes(ids) has 3 items; at most 2 are allowed in one list (MAX_LIST_ITEMS)',
          extensions: { code: 'MAX_LIST_ITEMS_EXCEEDED', maxListItems: 2, list: 'nodes(ids)', items: 3 },
        },
      ],
    ],
    [
      'cost with first from a variable, of a streamed list',
      {
        query: `query ($first: Int) { backendEnvironment(appId: "${OWN}", name: "dev") { jobs(first: $first) { edges @stream(initialCount: 1) { cursor } } } }`,
        variables: { first: 50 },
      },
      [
        {
          message: "Query Cost limit of 40 exceeded, found 545.75: each item of a list argument, and first/last, multiply their field's cost (MAX_COST)",
          extensions: { code: 'MAX_COST_EXCEEDED', maxCost: 40, cost: 545.75 },
        },
      ],
    ],
  ];

  it.each(cases.flatMap(([name, operation, errors]) => [...transports, 'multipart' as const].map((t) => [name, t, operation, errors] as const)))(
    '%s, over %s: refused before any part or upstream call',
    async (_name, transport, operation, errors) => {
      const { results } = await runOver(transport, stack.gateway, operation);
      expect(results).toEqual([{ errors }]);
      expect(stack.calls()).toEqual({});
    },
  );
});

describe('per-app access in deferred and streamed parts', () => {
  const ownKey = 'key-defer-own-apps-000001';
  const everyKey = 'key-defer-every-app-00002';
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      gateway: {
        ...nothingKept,
        access: {
          insecure: false,
          apiKeys: [
            { key: ownKey, scopes: ['read'], apps: [OWN] },
            { key: everyKey, scopes: ['read'] },
          ],
        },
      },
    });
    await stack.gateway.start(0);
  });
  afterAll(() => stack.stop());
  beforeEach(() => stack.resetCalls());
  const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

  it.each(incrementalTransports)('over %s, a deferred fragment naming an app outside the credential answers as for an app that does not exist, with no call', async (transport) => {
    const query = (appId: string) =>
      `{ own: app(appId: "${OWN}") { appName } ... @defer(label: "other") { other: app(appId: "${appId}") { appName environments { name } } } }`;
    const missing = await runOver(transport, stack.gateway, { query: query(MISSING) }, as(ownKey));
    stack.resetCalls();
    const refused = await runOver(transport, stack.gateway, { query: query(OTHER) }, as(ownKey));
    expect(refused).toEqual(missing);
    expect(refused.results).toEqual([
      { data: { own: { appName: 'todo-app' } }, hasNext: true },
      { incremental: [{ data: { other: null }, path: [], label: 'other' }], hasNext: false },
    ]);
    // OWN's GetBackend only.
    expect(stack.calls()).toEqual({ GetBackend: 1 });
    const allowed = await runOver(transport, stack.gateway, { query: query(OTHER) }, as(everyKey));
    expect(allowed.results[1]).toMatchObject({ incremental: [{ data: { other: { appName: expect.any(String) } } }] });
  });

  it.each(incrementalTransports)('over %s, a streamed item of an app outside the credential is null, the others answered', async (transport) => {
    const operation = {
      query: 'query ($ids: [ID!]!) { nodes(ids: $ids) @stream(initialCount: 0) { id ... on App { appName } } }',
      variables: { ids: [nodeId(`App:${OWN}`), nodeId(`App:${OTHER}`)] },
    };
    const { results } = await runOver(transport, stack.gateway, operation, as(ownKey));
    expect(results).toEqual([
      { data: { nodes: [] }, hasNext: true },
      { incremental: [{ items: [{ id: nodeId(`App:${OWN}`), appName: 'todo-app' }], path: ['nodes', 0] }], hasNext: true },
      { incremental: [{ items: [null], path: ['nodes', 1] }], hasNext: false },
    ]);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });
});
