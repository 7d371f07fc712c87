import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineConfig,
  loadConfig,
  type GatewayConfig,
  type LimitsConfig,
} from '../src/config.js';
import { createGateway } from '../src/server.js';
import { readEvents, startStack, type GraphQLResponse, type Stack } from './helpers.js';
import { firstOver, persistedQuery, runOver, transports, type Operation, type Transport } from './helpers-transport.js';
import { configError } from './helpers-config.js';
import { useFileStack } from './helpers-stack.js';
import { graphqlError, requestError, type Refusal } from './helpers-errors.js';

const APP = 'd1todoapp00001';
const normalQuery = `{ app(appId: "${APP}") { appName environments { name } } }`;
const normalData = {
  app: { appName: 'todo-app', environments: [{ name: 'dev' }, { name: 'prod' }] },
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: GraphQLResponse;
}

/** A POST through `yoga.fetch` with any body and content type; the body parsed when it is JSON. */
async function post(stack: Stack, body: string, headers: Record<string, string> = {}) {
  const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let parsed: GraphQLResponse = {};
  try {
    parsed = JSON.parse(text) as GraphQLResponse;
  } catch {
    // Left empty: the test looks at `text`.
  }
  return { status: res.status, headers: res.headers, text, body: parsed } satisfies Answer;
}

/** The gateway answers an ordinary query, upstream included. */
async function expectServing(stack: Stack, headers: Record<string, string> = {}) {
  const res = await post(stack, JSON.stringify({ query: normalQuery }), headers);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ data: normalData });
}

/** Sends what must be refused: no upstream call is made, and the gateway serves on afterwards. */
async function refused<T>(stack: Stack, send: () => Promise<T>): Promise<T> {
  stack.resetCalls();
  const answer = await send();
  expect(stack.calls()).toEqual({});
  await expectServing(stack);
  return answer;
}

/**
 * `{ app { environment(name: "dev") { app { environment(name: "dev") … appId } } } }`, `depth`
 * fields deep: one upstream call, and an estimate that grows with the depth, not exponentially.
 */
function deepQuery(depth: number) {
  let selection = 'appId';
  for (let level = depth - 1; level > 1; level--) {
    selection = level % 2 === 0 ? `environment(name: "dev") { ${selection} }` : `app { ${selection} }`;
  }
  return `{ app(appId: "${APP}") { ${selection} } }`;
}

/** The demo query that persisted operations files in this file hold. */
const persistedAppQuery = `query Persisted { app(appId: "${APP}") { appName } }`;
const persistedAppHash = createHash('sha256').update(persistedAppQuery).digest('hex');

/**
 * A persisted operations file holding `persistedAppQuery`, written before the enclosing describe's
 * stacks start (register it first) and removed after them: the path of the file.
 */
function usePersistedOperationsFile() {
  let dir = '';
  const where = { file: '' };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'limits-persisted-'));
    where.file = join(dir, 'operations.json');
    writeFileSync(where.file, JSON.stringify({ [persistedAppHash]: persistedAppQuery }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return where;
}

/** A validation error over the whole document: no location. */
const overLimit = (message: string) => requestError('GRAPHQL_VALIDATION_FAILED', message);
const tooLarge = requestError('REQUEST_ENTITY_TOO_LARGE', 'Request body is larger than 2097152 bytes');
const persistedOnly = 'Only persisted operations are accepted: send extensions.persistedQuery { version: 1, sha256Hash } instead of a query';

describe('request limits with the default query limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { limits: { maxBatch: 3, maxVariablesBytes: 1024 } } });
  });
  afterAll(() => stack.stop());

  it('answers a normal query within every limit', async () => {
    await expectServing(stack);
  });

  const fiveMegabytes = () => JSON.stringify({ query: '{ __typename }', variables: { x: 'a'.repeat(5 << 20) } });
  const withApp = (selection: string) => ({ query: `{ app(appId: "${APP}") { ${selection} } }` });
  const jobs = (alias: string) => `${alias}: jobs(first: 100) { edges { node { jobId environment { featureFlags } } } }`;

  // Each refused with this status and exactly these errors, before any upstream call.
  // prettier-ignore
  const refusals: { name: string; send: () => Promise<{ status: number; body: unknown }>; status: number; errors: unknown[] }[] = [
    { name: 'refuses a malformed JSON body with 400', send: () => post(stack, '{"query": "{ __typename }"'), status: 400, errors: [
      requestError('BAD_REQUEST', 'POST body sent invalid JSON.', { originalError: {
        message: 'Expected \',\' or \'}\' after property value in JSON at position 26, "{"query": "{ __typename }"" is not valid JSON',
        name: 'SyntaxError',
      } })] },
    { name: 'refuses an application/xml POST with 415', send: () => post(stack, '<query>{ __typename }</query>', { 'content-type': 'application/xml' }),
      status: 415, errors: [requestError('BAD_REQUEST', 'Unsupported content-type "application/xml": send application/json (or application/graphql, multipart/form-data)')] },
    { name: 'refuses a 5 MB body with 413', send: () => post(stack, fiveMegabytes()), status: 413, errors: [tooLarge] },
    { name: 'refuses a query 50 fields deep', send: () => stack.request({ query: deepQuery(50) }), status: 200,
      errors: [overLimit('Query depth limit of 15 exceeded, found 50.')] },
    { name: 'refuses 1,000 aliases', send: () => stack.request(withApp(Array.from({ length: 1000 }, (_, i) => `a${i}: appName`).join(' '))),
      status: 200, errors: [overLimit('Aliases limit of 50 exceeded, found 1000.')] },
    { name: 'refuses a query of too many tokens before it is even parsed', send: () => stack.request(withApp('appName '.repeat(6000))),
      status: 200, errors: [requestError('GRAPHQL_PARSE_FAILED', 'Syntax Error: Token limit of 5000 exceeded.')] },
    { name: 'refuses a query that may make too many upstream calls', send: () => stack.request(withApp(`environments { ${['a', 'b', 'c', 'd'].map(jobs).join(' ')} }`)),
      status: 200, errors: [requestError('MAX_UPSTREAM_CALLS_EXCEEDED',
        'This operation may make 1669 upstream calls; at most 250 are allowed in one request (MAX_UPSTREAM_CALLS)',
        { maxUpstreamCalls: 250, estimated: 1669 })] },
    { name: 'refuses too many directives', send: () => stack.request(withApp(Array.from({ length: 60 }, () => 'appName @include(if: true)').join(' '))),
      status: 200, errors: [overLimit('Directives limit of 50 exceeded, found 60.')] },
    { name: 'refuses variables over the limit with 413', send: () => stack.request({ query: 'query ($name: String!) { app(appId: $name) { appName } }', variables: { name: 'x'.repeat(2000) } }),
      status: 413, errors: [requestError('BAD_USER_INPUT', 'Variables are 2011 bytes; at most 1024 are accepted')] },
  ];
  it.each(refusals.map((row) => [row.name, row] as const))('%s', async (_, { send, status, errors }) => {
    const res = await refused(stack, send);
    expect({ status: res.status, body: res.body }).toStrictEqual({ status, body: { errors } });
  });

  it('refuses a text/plain POST with 415 and says what to send', async () => {
    const res = await refused(stack, () => post(stack, JSON.stringify({ query: '{ __typename }' }), { 'content-type': 'text/plain' }));
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toStrictEqual({
      errors: [requestError('BAD_REQUEST', 'Unsupported content-type "text/plain": send application/json (or application/graphql, multipart/form-data)')],
    });
  });

  it('refuses a query 16 fields deep on depth alone', async () => {
    // 16 levels of cheap objects: within MAX_UPSTREAM_CALLS, over the depth of 15.
    expect((await stack.request({ query: deepQuery(15) })).body.data).toBeDefined();
    const res = await refused(stack, () => stack.request({ query: deepQuery(16) }));
    expect(res.body).toStrictEqual({ errors: [overLimit('Query depth limit of 15 exceeded, found 16.')] });
  });

  /** The same input refused written in the document (a validation error) and in a variable (400). */
  async function refusedBothWays(literal: { query: string; error: Refusal }, variable: { query: string; input: unknown; message: string }) {
    const inDocument = await refused(stack, () => stack.request({ query: literal.query }));
    expect(inDocument).toStrictEqual({ status: 200, body: { errors: [graphqlError(literal.error)] } });
    const inVariable = await refused(stack, () => stack.request({ query: variable.query, variables: { input: variable.input } }));
    expect(inVariable).toStrictEqual({
      status: 400,
      body: { errors: [graphqlError({ code: 'BAD_USER_INPUT', column: 11, message: variable.message })] },
    });
  }

  it('refuses a wrong enum value, in the document and in variables', async () => {
    await refusedBothWays(
      {
        query: `mutation { createBackendApi(input: { appId: "${APP}", environmentName: "dev",
          resourceName: "api", config: { defaultAuthType: { mode: PASSWORD } } }) { __typename } }`,
        error: { code: 'GRAPHQL_VALIDATION_FAILED', column: 67, line: 2, message: 'Value "PASSWORD" does not exist in "ApiAuthMode" enum.' },
      },
      {
        query: `mutation ($input: CreateBackendApiInput!) {
          createBackendApi(input: $input) { __typename }
        }`,
        input: { appId: APP, environmentName: 'dev', resourceName: 'api', config: { defaultAuthType: { mode: 'PASSWORD' } } },
        message: 'Variable "$input" got invalid value at "input.config.defaultAuthType.mode"; Value "PASSWORD" does not exist in "ApiAuthMode" enum.',
      },
    );
  });

  it('refuses a missing required input field, in the document and in variables', async () => {
    await refusedBothWays(
      {
        query: `mutation {
          cloneBackend(input: { appId: "${APP}", environmentName: "dev" }) { __typename }
        }`,
        error: {
          code: 'GRAPHQL_VALIDATION_FAILED',
          column: 31,
          line: 2,
          message: 'Field "CloneBackendInput.targetEnvironmentName" of required type "String!" was not provided.',
        },
      },
      {
        query: `mutation ($input: CloneBackendInput!) {
          cloneBackend(input: $input) { __typename }
        }`,
        input: { appId: APP, environmentName: 'dev' },
        message: 'Variable "$input" got invalid value at "input"; Field "targetEnvironmentName" of required type "String!" was not provided.',
      },
    );
  });

  it('refuses an operationName not in the document, or none where it has several', async () => {
    const twoOperations = 'query A { __typename } query B { __typename }';
    const unknown = await refused(stack, () => stack.request({ query: twoOperations, operationName: 'C' }));
    expect(unknown).toStrictEqual({
      status: 400,
      body: { errors: [requestError('OPERATION_RESOLUTION_FAILURE', 'Unknown operation named "C": the document has "A", "B"')] },
    });
    const missing = await refused(stack, () => stack.request({ query: twoOperations }));
    expect(missing).toStrictEqual({
      status: 400,
      body: { errors: [requestError('OPERATION_RESOLUTION_FAILURE', 'The document has 2 operations: send operationName (it has "A", "B")')] },
    });

    const chosen = await stack.request({ query: 'query A { a: __typename } query B { b: __typename }', operationName: 'B' });
    expect(chosen).toEqual({ status: 200, body: { data: { b: 'Query' } } });
  });

  it('refuses an invalid global id in node(id:) without asking upstream', async () => {
    const res = await refused(stack, () => stack.request({ query: '{ node(id: "not-an-id") { id } }' }));
    expect(res.status).toBe(200);
    expect(res.body).toStrictEqual({
      data: { node: null },
      errors: [graphqlError({ code: 'BAD_USER_INPUT', field: 'id', column: 3, path: 'node', message: 'Invalid global id "not-an-id"' })],
    });
  });

  it('refuses a batch over the limit, and answers each operation of one within it', async () => {
    const op = (i: number) => ({ query: `query Op${i} { app(appId: "${APP}") { appName } }` });
    const over = await refused(stack, () => stack.request([0, 1, 2, 3].map(op)));
    expect(over).toStrictEqual({ status: 413, body: { errors: [requestError('BAD_REQUEST', 'Batching is limited to 3 operations per request.')] } });

    const within = await stack.request([0, 1, 2].map(op));
    expect(within.status).toBe(200);
    expect(within.body).toEqual([0, 1, 2].map(() => ({ data: { app: { appName: 'todo-app' } } })));
  });

  it('allows introspection by default', async () => {
    const res = await stack.request({ query: '{ __schema { queryType { name } } }' });
    expect(res).toEqual({
      status: 200,
      body: { data: { __schema: { queryType: { name: 'Query' } } } },
    });
  });

  describe('over real HTTP', () => {
    let url: string;
    beforeAll(async () => {
      url = await stack.gateway.start(0);
    });

    /** Refused with 413 before any upstream call, and the gateway serves on over HTTP. */
    async function expectTooLarge(send: () => Promise<{ status: number; text: string }>) {
      stack.resetCalls();
      const res = await send();
      expect(res.status).toBe(413);
      expect(JSON.parse(res.text)).toStrictEqual({ errors: [tooLarge] });
      expect(stack.calls()).toEqual({});
      const served = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: normalQuery }),
      });
      expect(served.status).toBe(200);
      expect(await served.json()).toEqual({ data: normalData });
    }

    it('refuses a 5 MB body with a content-length with 413', async () => {
      await expectTooLarge(async () => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: fiveMegabytes() });
        return { status: res.status, text: await res.text() };
      });
    });

    it('refuses a 5 MB chunked body (no content-length) with 413', async () => {
      const big = fiveMegabytes();
      await expectTooLarge(
        () =>
          new Promise((resolve, reject) => {
            const req = httpRequest(url, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
            });
            req.on('response', (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (chunk: string) => (text += chunk));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
            });
            // The server may answer and close before the whole body is written.
            req.on('error', reject);
            for (let at = 0; at < big.length; at += 1 << 20) req.write(big.slice(at, at + (1 << 20)));
            req.end();
          }),
      );
    });
  });
});

describe('introspection off, with persisted operations', () => {
  const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: persistedAppHash } } };
  const operations = usePersistedOperationsFile();
  let stack: Stack;
  let strict: Stack;

  beforeAll(async () => {
    const file = operations.file;
    stack = await startStack({ gateway: { limits: { introspection: false, persistedOperationsFile: file } } });
    strict = await startStack({ gateway: { limits: { persistedOperationsFile: file, requirePersistedOperations: true } } });
  });
  afterAll(async () => {
    await stack?.stop();
    await strict?.stop();
  });

  it('refuses introspection, and hides field suggestions', async () => {
    const invalid = (column: number, message: string) => graphqlError({ code: 'GRAPHQL_VALIDATION_FAILED', column, message });
    const disabled = (field: string) => `GraphQL introspection has been disabled, but the requested query contained the field "${field}".`;
    const answers = async (query: string) => (await refused(stack, () => stack.request({ query }))).body;

    const schema = await refused(stack, () => stack.request({ query: '{ __schema { queryType { name } } }' }));
    expect(schema.status).toBe(200);
    expect(schema.body).toStrictEqual({ errors: [invalid(3, disabled('__schema')), invalid(14, disabled('queryType'))] });
    expect(await answers('{ __type(name: "App") { name } }')).toStrictEqual({ errors: [invalid(3, disabled('__type'))] });
    expect(await answers('{ ap(appId: "x") { appName } }')).toStrictEqual({
      errors: [invalid(3, 'Cannot query field "ap" on type "Query". [Suggestion hidden]')],
    });

    // __typename is no introspection.
    expect((await stack.request({ query: '{ __typename }' })).body).toEqual({
      data: { __typename: 'Query' },
    });
  });

  it('runs a persisted operation by its hash', async () => {
    const res = await stack.request(persisted);
    expect(res).toEqual({ status: 200, body: { data: { app: { appName: 'todo-app' } } } });
  });

  it('refuses an unknown hash', async () => {
    const res = await refused(stack, () =>
      stack.request({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }),
    );
    expect(res).toStrictEqual({
      status: 200,
      body: { errors: [requestError('PERSISTED_QUERY_NOT_IN_LIST', 'Unknown persisted operation: no operation has this sha256Hash')] },
    });
  });

  it('refuses a request with neither query nor hash', async () => {
    const res = await refused(stack, () => stack.request({ variables: {} }));
    expect(res.body).toStrictEqual({
      errors: [requestError('PERSISTED_QUERY_ID_REQUIRED', 'Send a query, or extensions.persistedQuery { version: 1, sha256Hash }')],
    });
  });

  it('still runs arbitrary queries when persisted operations are not required', async () => {
    await expectServing(stack);
  });

  it('with requirePersistedOperations, refuses a query and runs a persisted one', async () => {
    strict.resetCalls();
    const res = await strict.request({ query: normalQuery });
    expect(strict.calls()).toEqual({});
    expect(res).toStrictEqual({ status: 200, body: { errors: [requestError('PERSISTED_QUERY_ONLY', persistedOnly)] } });
    expect(await strict.request(persisted)).toEqual({
      status: 200,
      body: { data: { app: { appName: 'todo-app' } } },
    });
  });
});

describe('per-client rate limit', () => {
  const keyA = 'a'.repeat(20);
  const keyB = 'b'.repeat(20);
  let stack: Stack;
  useFileStack((started) => (stack = started), {
    start: {
      gateway: {
        access: { apiKeys: [keyA, keyB].map((key) => ({ key, scopes: ['read' as const] })) },
        limits: { rateLimitBurst: 5, rateLimitPerMinute: 1 },
      },
    },
  });

  it('answers 429 with retry-after past the burst, while another client gets through', async () => {
    const query = JSON.stringify({ query: '{ __typename }' });
    for (let i = 0; i < 5; i++) {
      const ok = await post(stack, query, { 'x-api-key': keyA });
      expect(ok.status).toBe(200);
    }
    stack.resetCalls();
    const limited = await post(stack, JSON.stringify({ query: normalQuery }), {
      'x-api-key': keyA,
    });
    expect(limited.status).toBe(429);
    // One token a minute: the next comes in about 60 s.
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(limited.body).toStrictEqual({ errors: [requestError('RATE_LIMITED', 'Rate limit exceeded: retry in 60 s', { retryAfterSeconds: 60 })] });
    expect(stack.calls()).toEqual({});

    await expectServing(stack, { 'x-api-key': keyB });
    expect((await post(stack, query, { 'x-api-key': keyA })).status).toBe(429);
  });
});

describe('limit settings', () => {
  it('refuses bad values, naming the setting', () => {
    expect(configError({ MAX_DEPTH: '0' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - MAX_DEPTH must be a whole number from 1 to 100"
    `);
    expect(configError({ RATE_LIMIT_PER_MINUTE: '-1' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - RATE_LIMIT_PER_MINUTE must be a whole number from 0 to 1000000"
    `);
    expect(configError({ INTROSPECTION: 'maybe' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - INTROSPECTION must be true or false"
    `);
    expect(configError({ REQUIRE_PERSISTED_OPERATIONS: 'true' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - REQUIRE_PERSISTED_OPERATIONS needs PERSISTED_OPERATIONS_FILE"
    `);
    expect(configError({ MAX_BATCH: 'ten' }).message).toContain('MAX_BATCH');
    expect(configError({ MAX_BODY_BYTES: '10' }).message).toContain('MAX_BODY_BYTES');
  });

  it('reads the limit settings', () => {
    expect(
      loadConfig({
        MAX_DEPTH: '8',
        MAX_ALIASES: '5',
        MAX_TOKENS: '300',
        MAX_COST: '1000',
        MAX_UPSTREAM_CALLS: '40',
        UPSTREAM_CALLS_PER_MINUTE: '100',
        UPSTREAM_CALLS_BURST: '50',
        COST_EXTENSIONS: 'false',
        MAX_DIRECTIVES: '3',
        MAX_LIST_ITEMS: '20',
        MAX_BODY_BYTES: '4096',
        MAX_BATCH: '0',
        MAX_VARIABLES_BYTES: '2048',
        RATE_LIMIT_PER_MINUTE: '0',
        RATE_LIMIT_BURST: '7',
        INTROSPECTION: 'false',
        PERSISTED_OPERATIONS_FILE: '/tmp/ops.json',
        REQUIRE_PERSISTED_OPERATIONS: '1',
      }).limits,
    ).toEqual({
      maxDepth: 8,
      maxAliases: 5,
      maxTokens: 300,
      maxCost: 1000,
      maxUpstreamCalls: 40,
      upstreamCallsPerMinute: 100,
      upstreamCallsBurst: 50,
      costExtensions: false,
      maxDirectives: 3,
      maxListItems: 20,
      maxBodyBytes: 4096,
      maxBatch: 0,
      maxVariablesBytes: 2048,
      rateLimitPerMinute: 0,
      rateLimitBurst: 7,
      introspection: false,
      persistedOperationsFile: '/tmp/ops.json',
      requirePersistedOperations: true,
    });
  });

  describe('the persisted operations file', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'limits-config-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The ConfigError creating a gateway rejects with; the message with `dir` left out. */
    async function rejection(config: GatewayConfig) {
      let error: unknown;
      try {
        const gateway = await createGateway(config);
        await gateway.stop();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      return (error as ConfigError).message.replaceAll(dir, '<dir>');
    }

    /** A gateway that would talk to nothing: each of these must fail before it starts. */
    const startError = (limits: Partial<LimitsConfig>) =>
      rejection(
        defineConfig({
          upstream: { kind: 'aws', endpoint: 'http://127.0.0.1:9', region: 'us-east-1' },
          access: { insecure: true },
          logLevel: 'silent',
          limits,
        }),
      );

    it('refuses a file that is not JSON, naming it', async () => {
      const file = join(dir, 'not-json.json');
      writeFileSync(file, 'query A { __typename }');
      // Through loadConfig as from the environment: the setting is read when the gateway starts.
      const config = loadConfig({
        PERSISTED_OPERATIONS_FILE: file,
        AWS_ENDPOINT_URL_AMPLIFYBACKEND: 'http://127.0.0.1:9',
        AWS_REGION: 'us-east-1',
        GATEWAY_INSECURE: 'true',
        LOG_LEVEL: 'silent',
      });
      expect(await rejection(config)).toContain('PERSISTED_OPERATIONS_FILE <dir>/not-json.json');
      expect(await startError({ persistedOperationsFile: file })).toMatchInlineSnapshot(`"PERSISTED_OPERATIONS_FILE <dir>/not-json.json cannot be read as JSON: Unexpected token 'q', "query A { "... is not valid JSON"`);
    });

    it('refuses a missing file, and one of the wrong shape', async () => {
      expect(
        await startError({ persistedOperationsFile: join(dir, 'missing.json') }),
      ).toMatchInlineSnapshot(`"PERSISTED_OPERATIONS_FILE <dir>/missing.json cannot be read as JSON: ENOENT: no such file or directory, open '<dir>/missing.json'"`);
      const file = join(dir, 'array.json');
      writeFileSync(file, JSON.stringify(['query A { __typename }']));
      expect(await startError({ persistedOperationsFile: file })).toMatchInlineSnapshot(`"PERSISTED_OPERATIONS_FILE <dir>/array.json must be a JSON object of hash: "query" pairs"`);
    });

    it('refuses requirePersistedOperations without a file', async () => {
      expect(await startError({ requirePersistedOperations: true })).toMatchInlineSnapshot(`"REQUIRE_PERSISTED_OPERATIONS needs PERSISTED_OPERATIONS_FILE"`);
    });
  });
});

describe('every limit on every transport: HTTP, SSE and graphql-ws', () => {
  const query = persistedAppQuery;
  const hash = persistedAppHash;
  const operations = usePersistedOperationsFile();
  /** Default limits, but small variables. */
  let plain: Stack;
  /** Introspection off, persisted operations allowed. */
  let closed: Stack;
  /** Persisted operations only. */
  let strict: Stack;

  beforeAll(async () => {
    const file = operations.file;
    [plain, closed, strict] = await Promise.all([
      startStack({ gateway: { limits: { maxVariablesBytes: 1024 } } }),
      startStack({ gateway: { limits: { introspection: false, persistedOperationsFile: file } } }),
      startStack({ gateway: { limits: { persistedOperationsFile: file, requirePersistedOperations: true } } }),
    ]);
    await Promise.all([plain, closed, strict].map((s) => s.gateway.start(0, '127.0.0.1')));
  });
  afterAll(async () => {
    await Promise.all([plain, closed, strict].map((s) => s?.stop()));
  });

  const stacks = { plain: () => plain, closed: () => closed, strict: () => strict };
  const costly = ['a', 'b', 'c', 'd']
    .map((alias) => `${alias}: jobs(first: 100) { edges { node { jobId environment { featureFlags } } } }`)
    .join(' ');

  // prettier-ignore
  const refusals: [string, keyof typeof stacks, Operation, { message: string; code: string }[]][] = [
    ['depth', 'plain', { query: deepQuery(16) }, [
      { message: 'Query depth limit of 15 exceeded, found 16.', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['aliases', 'plain', { query: `{ app(appId: "${APP}") { ${Array.from({ length: 1000 }, (_, i) => `a${i}: appName`).join(' ')} } }` }, [
      { message: 'Aliases limit of 50 exceeded, found 1000.', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['tokens', 'plain', { query: `{ app(appId: "${APP}") { ${'appName '.repeat(6000)} } }` }, [
      { message: 'Syntax Error: Token limit of 5000 exceeded.', code: 'GRAPHQL_PARSE_FAILED' }]],
    ['upstream calls', 'plain', { query: `{ app(appId: "${APP}") { environments { ${costly} } } }` }, [
      { message: 'This operation may make 1669 upstream calls; at most 250 are allowed in one request (MAX_UPSTREAM_CALLS)', code: 'MAX_UPSTREAM_CALLS_EXCEEDED' }]],
    ['directives', 'plain', { query: `{ app(appId: "${APP}") { ${Array.from({ length: 60 }, () => 'appName @include(if: true)').join(' ')} } }` }, [
      { message: 'Directives limit of 50 exceeded, found 60.', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['the size of variables', 'plain', { query: 'query ($name: String!) { app(appId: $name) { appName } }', variables: { name: 'x'.repeat(2000) } }, [
      { message: 'Variables are 2011 bytes; at most 1024 are accepted', code: 'BAD_USER_INPUT' }]],
    ['introspection (__schema)', 'closed', { query: '{ __schema { queryType { name } } }' }, [
      { message: 'GraphQL introspection has been disabled, but the requested query contained the field "__schema".', code: 'GRAPHQL_VALIDATION_FAILED' },
      { message: 'GraphQL introspection has been disabled, but the requested query contained the field "queryType".', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['introspection (__type)', 'closed', { query: '{ __type(name: "App") { name } }' }, [
      { message: 'GraphQL introspection has been disabled, but the requested query contained the field "__type".', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['field suggestions where introspection is off', 'closed', { query: '{ ap(appId: "x") { appName } }' }, [
      { message: 'Cannot query field "ap" on type "Query". [Suggestion hidden]', code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['an unknown persisted operation', 'closed', persistedQuery('f'.repeat(64)), [
      { message: 'Unknown persisted operation: no operation has this sha256Hash', code: 'PERSISTED_QUERY_NOT_IN_LIST' }]],
    ['a query where only persisted operations are accepted', 'strict', { query: normalQuery }, [
      { message: 'Only persisted operations are accepted: send extensions.persistedQuery { version: 1, sha256Hash } instead of a query', code: 'PERSISTED_QUERY_ONLY' }]],
    ['a subscription where only persisted operations are accepted', 'strict', { query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "j") { jobId } }` }, [
      { message: 'Only persisted operations are accepted: send extensions.persistedQuery { version: 1, sha256Hash } instead of a query', code: 'PERSISTED_QUERY_ONLY' }]],
  ];

  /** What a transport answers, reduced to what every transport shares: messages and codes. */
  const refusal = (result: GraphQLResponse) => ({
    data: result.data,
    errors: result.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })),
  });

  describe.each(transports)('over %s', (transport: Transport) => {
    it.each(refusals)('refuses what breaks the limit on %s, before any upstream call', async (_limit, which, operation, errors) => {
      const stack = stacks[which]();
      stack.resetCalls();
      // A subscription needs a stream: over plain HTTP it is refused anyway, for want of one.
      const skip = transport === 'http' && String(operation.query).startsWith('subscription');
      if (skip) return;
      const result = await firstOver(transport, stack.gateway, operation);
      expect(refusal(result)).toEqual({ data: undefined, errors });
      // No internal extension (yoga's `http` status) reaches a client.
      for (const error of result.errors ?? []) expect(error.extensions).not.toHaveProperty('http');
      expect(stack.calls()).toEqual({});
      // The same client is served next.
      const persisted = which === 'strict' ? persistedQuery(hash) : { query };
      expect(await firstOver(transport, stack.gateway, persisted)).toEqual({ data: { app: { appName: 'todo-app' } } });
    });

    it('answers what is within every limit', async () => {
      const deep = await firstOver(transport, plain.gateway, { query: deepQuery(15) });
      expect(deep.errors).toBeUndefined();
      expect(deep.data.app).toBeTruthy();
      expect(await firstOver(transport, plain.gateway, { query: normalQuery })).toEqual({ data: normalData });
      expect(await firstOver(transport, closed.gateway, { query: '{ __typename }' })).toEqual({ data: { __typename: 'Query' } });
      expect(await firstOver(transport, plain.gateway, { query: '{ __schema { queryType { name } } }' })).toEqual({
        data: { __schema: { queryType: { name: 'Query' } } },
      });
    });

    it('runs a persisted operation by its hash, with or without arbitrary queries allowed', async () => {
      for (const stack of [closed, strict]) {
        for (const operation of [persistedQuery(hash), persistedQuery(hash, { query: '' })]) {
          const answer = await runOver(transport, stack.gateway, operation);
          expect(answer.results).toEqual([{ data: { app: { appName: 'todo-app' } } }]);
        }
      }
    });
  });
});

describe('clear answers to malformed params, on every transport', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.gateway.start(0, '127.0.0.1');
  });
  afterAll(() => stack.stop());

  const badRequest = (message: string) => [{ message, code: 'BAD_REQUEST' }];
  // prettier-ignore
  const cases: [string, Operation, { message: string; code: string }[]][] = [
    ['800 repeats of one field', { query: `{ ${'__typename '.repeat(800)} }` }, [{
      message: 'Validation work limit exceeded: the document selects the same fields or fragments too many times ' +
        "for graphql-js's validation budget (comparing fields that share a response name, and fragment spreads). " +
        'Select each field once per selection set.',
      code: 'GRAPHQL_VALIDATION_FAILED' }]],
    ['an empty operationName', { query: '{ __typename }', operationName: '' },
      badRequest('"operationName" is empty: send the name of an operation in the document, or leave it out')],
    ['an operationName that is no string', { query: '{ __typename }', operationName: 5 },
      badRequest('"operationName" must be a string; got number')],
    ['no query', { variables: {} }, badRequest('Must provide query string.')],
    ['a query that is null', { query: null }, badRequest('Must provide query string.')],
    ['a query that is no string', { query: 5 }, badRequest('Expected "query" param to be a string, but given number.')],
    ['variables that are an array', { query: '{ __typename }', variables: [1] },
      badRequest('Expected "variables" param to be empty or an object, but given array.')],
    ['variables that are a string', { query: '{ __typename }', variables: '{}' },
      badRequest('Expected "variables" param to be empty or an object, but given string.')],
    ['extensions that are a number', { query: '{ __typename }', extensions: 1 },
      badRequest('Expected "extensions" param to be empty or an object, but given number.')],
    ['a required variable not provided', { query: 'query Q($id: ID!) { app(appId: $id) { appName } }' },
      [{ message: 'Variable "$id" of required type "ID!" was not provided.', code: 'BAD_USER_INPUT' }]],
    ['a non-null variable that is null', { query: 'query Q($id: ID!) { app(appId: $id) { appName } }', variables: { id: null } },
      [{ message: 'Variable "$id" of non-null type "ID!" must not be null.', code: 'BAD_USER_INPUT' }]],
  ];

  describe.each(transports)('over %s', (transport: Transport) => {
    it.each(cases)('answers %s with an error that says what is wrong', async (_what, operation, errors) => {
      stack.resetCalls();
      const answer = await runOver(transport, stack.gateway, operation);
      expect(answer.closed).toBeUndefined();
      expect(answer.results.map((r) => ({ data: r.data, errors: r.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })) }))).toEqual([
        { data: undefined, errors },
      ]);
      expect(stack.calls()).toEqual({});
    });
  });

  describe('over HTTP only', () => {
    it.each(['application/json', 'text/event-stream'])('answers an empty batch with an error, accept: %s', async (accept) => {
      const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: '[]',
      });
      const results: unknown[] = [];
      if (accept === 'application/json') results.push(await res.json());
      else for await (const event of readEvents(res)) results.push(event);
      expect(results).toEqual([{ errors: [{ message: 'The batch is empty: send at least one operation', extensions: { code: 'BAD_REQUEST' } }] }]);
      if (accept === 'application/json') expect(res.status).toBe(400);
    });

    it('answers a batch entry that is null in its own slot, beside the others', async () => {
      const res = await stack.request([null, { query: '{ __typename }' }]);
      expect(res).toEqual({
        status: 200,
        body: [
          { errors: [{ message: 'Each operation must be a JSON object with "query"; got null', extensions: { code: 'BAD_REQUEST' } }] },
          { data: { __typename: 'Query' } },
        ],
      });
    });

    it.each(['text/html', 'application/xml', 'image/*'])('answers accept: %s, which no format matches, with a 406 that says what can be had', async (accept) => {
      const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.status).toBe(406);
      expect(await res.json()).toEqual({
        errors: [
          {
            message: `Nothing this gateway answers matches accept "${accept}": ask for application/graphql-response+json, application/json, text/event-stream or multipart/mixed`,
            extensions: { code: 'BAD_REQUEST' },
          },
        ],
      });
    });

    // What node:http refuses itself, before any handler: once a bare status line with no body.
    it.each([
      ['a URL past node:http\'s header limit', `GET /graphql?query=${'a'.repeat(100_000)} HTTP/1.1\r\nhost: x\r\n\r\n`, 431,
        'The request line and headers are too large (the URL included): send a long query or variables in a POST body'],
      ['a body with no framing after a request (read as the next request)', 'DELETE /graphql HTTP/1.1\r\nhost: x\r\n\r\n[]', 400,
        'Malformed HTTP request (HPE_INVALID_METHOD): check the request line, headers and body framing'],
    ])('answers %s with a message', async (_what, raw, status, message) => {
      const { port } = new URL(stack.gateway.url!);
      const socket = connect(Number(port), '127.0.0.1');
      socket.end(raw);
      let text = '';
      for await (const chunk of socket) text += String(chunk);
      const last = text.slice(text.lastIndexOf('HTTP/1.1 '));
      expect(last.split('\r\n')[0]).toBe(`HTTP/1.1 ${status} ${STATUS_CODES[status]}`);
      expect(JSON.parse(last.slice(last.indexOf('\r\n\r\n') + 4))).toEqual({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    });

    it.each([
      ['variables', 'query={__typename}&variables={bad', 'The query parameter "variables" is not valid JSON: Expected property name or \'}\' in JSON at position 1'],
      ['extensions', 'query={__typename}&extensions=[', 'The query parameter "extensions" is not valid JSON: Unexpected end of JSON input'],
    ])('answers GET with %s that are not JSON with 400, naming the parameter', async (_what, search, message) => {
      const res = await stack.gateway.yoga.fetch(`http://yoga/graphql?${search}`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
    });
  });
});
