import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, defineConfig, loadConfig, type Scope } from '../src/config.js';
import { createGateway } from '../src/server.js';
import { createManualScheduler, createWsClients, type GraphQLResponse, readEvents, scoped, type Stack, startStack, until, nothingKept } from './helpers.js';
import { configError } from './helpers-config.js';
import { requestError } from './helpers-errors.js';

const APP = 'd1todoapp00001';
const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'amplifybackend-graphql';
const SECRET = 'a-test-secret-for-hs256-at-least-32-characters';

// One API key per scope set; `write` alone shows that write does not imply read.
const keys = {
  read: 'key-read-0000000000000001',
  'read+write': 'key-read-write-000000000002',
  'read+write+admin': 'key-read-write-admin-00003',
  write: 'key-write-only-0000000004',
} as const;
type ScopeSet = keyof typeof keys | '(none)';
const scopesOf = (set: ScopeSet) => (set === '(none)' ? [] : (set.split('+') as Scope[]));

const apiKeys = Object.entries(keys).map(([set, key]) => ({
  key,
  scopes: scopesOf(set as ScopeSet),
}));
const jwtConfig = { secret: SECRET, issuer: ISSUER, audience: AUDIENCE };

function signHs256(
  claims: Record<string, unknown>,
  options: { secret?: string; expiresAt?: number } = {},
) {
  const token = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(options.expiresAt ?? Math.floor(Date.now() / 1000) + 3600);
  return token.sign(new TextEncoder().encode(options.secret ?? SECRET));
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

const forbidden = (scope: Scope) => [
  requestError('FORBIDDEN', `This operation needs the "${scope}" scope, which your credential does not grant`, { requiredScope: scope }),
];

const noCredential =
  'Authentication required: send Authorization: Bearer <API key or token>, or x-api-key';
const malformed = 'Authorization must be "Bearer <API key or token>"';
const noExp = 'The token has no expiry (exp claim), which this gateway requires of every token';

const unauthenticated = (message: string) => ({ errors: [requestError('UNAUTHENTICATED', message)] });

let stack: Stack;
let scheduler: ReturnType<typeof createManualScheduler>;
let url: string;
let cleanups: (() => unknown)[] = [];

const watchers = () => stack.gateway.jobs.stats();

const ws = createWsClients();
const wsClient = (connectionParams: Record<string, unknown>, headers?: Record<string, string>) =>
  ws.connect(url.replace('http://', 'ws://'), connectionParams, { headers, lazy: true });

afterEach(async () => {
  await Promise.all(cleanups.map((c) => c()));
  cleanups = [];
  await ws.disposeAll();
  if (stack) await until(() => watchers().subscribers === 0, 'every subscription to end');
});

/**
 * The first result of an operation: for a subscription, what it emits once its first poll ran
 * (the manual scheduler only polls when told), or its refusal, which comes without a poll.
 */
async function first(
  next: Promise<IteratorResult<any>>,
  subscription: boolean,
): Promise<GraphQLResponse> {
  if (!subscription) return (await next).value;
  let settled = false;
  next.then(
    () => (settled = true),
    () => (settled = true),
  );
  await until(() => settled || watchers().subscribers > 0, 'a result or a subscription', 100_000);
  if (!settled) await scheduler.advance(0);
  const { value, done } = await next;
  expect(done).toBe(false);
  return value;
}

type OperationName = 'query' | 'mutation' | 'destructive mutation' | 'subscription';
/** An operation to send, the upstream call it makes when it runs, and a check of its data. */
type Prepare = () => Promise<{ query: string; upstream: string; check: (data: any) => void }>;

let jobId: string;

const operations: Record<OperationName, Prepare> = {
  query: async () => ({
    query: `query { app(appId: "${APP}") { appId appName } }`,
    upstream: 'GetBackend',
    check: (data) => expect(data).toEqual({ app: { appId: APP, appName: 'todo-app' } }),
  }),
  mutation: async () => ({
    query: `mutation { createToken(input: { appId: "${APP}" }) { token { appId } } }`,
    upstream: 'CreateToken',
    check: (data) => expect(data).toEqual({ createToken: { token: { appId: APP } } }),
  }),
  'destructive mutation': async () => {
    // A session to delete, made with the admin key before the calls are counted.
    const made = await stack.request(
      { query: `mutation { createToken(input: { appId: "${APP}" }) { token { sessionId } } }` },
      bearer(keys['read+write+admin']),
    );
    const sessionId = made.body.data.createToken.token.sessionId as string;
    return {
      query: `mutation { deleteToken(input: { appId: "${APP}", sessionId: "${sessionId}" }) { isSuccess } }`,
      upstream: 'DeleteToken',
      check: (data) => expect(data).toEqual({ deleteToken: { isSuccess: true } }),
    };
  },
  subscription: async () => ({
    query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { jobId state } }`,
    upstream: 'GetBackendJob',
    check: (data) => expect(data).toEqual({ backendJob: { jobId, state: 'IN_PROGRESS' } }),
  }),
};

/** Sends an operation with a credential and answers its first result. */
type Transport = (query: string, credential: string) => Promise<GraphQLResponse>;

async function sse(
  fetcher: typeof fetch,
  target: string,
  query: string,
  headers: Record<string, string>,
) {
  const abort = new AbortController();
  const res = await fetcher(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query }),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const events = readEvents(res);
  // Ending the read cancels the body: in-process, that is what ends the subscription.
  cleanups.push(async () => {
    await events.return(undefined);
    abort.abort();
  });
  return first(events.next(), query.startsWith('subscription'));
}

const transports: Record<string, Transport> = {
  // Queries and mutations as application/json; a subscription needs a stream, even in-process.
  HTTP: async (query, credential) => {
    if (query.startsWith('subscription')) {
      return sse(
        stack.gateway.yoga.fetch as typeof fetch,
        'http://yoga/graphql',
        query,
        bearer(credential),
      );
    }
    const res = await stack.request({ query }, bearer(credential));
    expect(res.status).toBe(200);
    return res.body;
  },
  SSE: (query, credential) => sse(fetch, url, query, bearer(credential)),
  'graphql-ws': (query, credential) => {
    const events = wsClient({ authorization: `Bearer ${credential}` }).iterate({ query });
    cleanups.push(() => events.return?.());
    return first(events.next(), query.startsWith('subscription'));
  },
};

type Outcome = 'ok' | Scope;
// prettier-ignore
//   granted             query    mutation  destructive  subscription
const matrix: [ScopeSet, Outcome, Outcome, Outcome, Outcome][] = [
  ['read',               'ok',    'write',  'write',     'ok'],
  ['read+write',         'ok',    'ok',     'admin',     'ok'],
  ['read+write+admin',   'ok',    'ok',     'ok',        'ok'],
  ['write',              'read',  'ok',     'admin',     'read'],
  ['(none)',             'read',  'write',  'write',     'read'],
];

const tokens = {} as Record<ScopeSet, string>;
const cases = (['API key', 'JWT'] as const).flatMap((credential) =>
  matrix
    // A key always grants a scope; a token may grant none.
    .filter(([granted]) => credential === 'JWT' || granted !== '(none)')
    .flatMap(([granted, ...outcomes]) =>
      (Object.keys(operations) as OperationName[]).map((operation, i) => ({
        credential,
        granted,
        operation,
        missing: outcomes[i] === 'ok' ? undefined : (outcomes[i] as Scope),
      })),
    ),
);
const titled = cases.map((c) => {
  const expected = c.missing ? `FORBIDDEN naming "${c.missing}"` : 'allowed';
  return [`${c.credential} granting ${c.granted}: ${c.operation} is ${expected}`, c] as const;
});

describe('the access matrix', () => {
  beforeAll(async () => {
    scheduler = createManualScheduler();
    stack = await startStack({ scheduler, gateway: { access: { apiKeys, jwt: jwtConfig } } });
    url = await stack.gateway.start(0);
    for (const [granted] of matrix) {
      tokens[granted] = await signHs256({ scope: scopesOf(granted).join(' ') });
    }
    const started = await stack.request(
      {
        query: `mutation { createBackendStorage(input: {
          appId: "${APP}", environmentName: "dev", resourceName: "matrix"
          config: { permissions: { authenticated: [READ] } }
        }) { job { jobId } } }`,
      },
      bearer(keys['read+write+admin']),
    );
    expect(started.body.errors).toBeUndefined();
    jobId = started.body.data.createBackendStorage.job.jobId;
  });
  afterAll(() => stack.stop());

  it('refuses alike over HTTP, SSE and graphql-ws, naming the missing scope', async () => {
    const refusals: [Scope, Prepare, string][] = [
      ['read', operations.query, keys.write],
      ['write', operations.mutation, keys.read],
      ['admin', operations['destructive mutation'], keys['read+write']],
    ];
    const errors: Partial<Record<Scope, unknown>> = {};
    for (const [scope, prepare, key] of refusals) {
      const { query } = await prepare();
      const results = [];
      for (const transport of Object.values(transports)) results.push(await transport(query, key));
      expect(results).toEqual([results[0], results[0], results[0]]);
      errors[scope] = results[0].errors;
    }
    expect(errors).toStrictEqual({ admin: forbidden('admin'), read: forbidden('read'), write: forbidden('write') });
  });

  describe.each(Object.keys(transports))('over %s', (transport) => {
    it.each(titled)('%s', async (_title, { credential, granted, operation, missing }) => {
      const { query, upstream, check } = await operations[operation]();
      const secret = credential === 'JWT' ? tokens[granted] : keys[granted as keyof typeof keys];
      stack.resetCalls();
      const result = await transports[transport](query, secret);
      if (missing) {
        expect(result).toEqual({ errors: forbidden(missing) });
        expect(stack.calls()).toEqual({});
        expect(watchers().subscribers).toBe(0);
      } else {
        expect(result.errors).toBeUndefined();
        check(result.data);
        expect(stack.calls()).toMatchObject({ [upstream]: 1 });
      }
    });
  });
});

describe('what the scopes are checked against', () => {
  beforeAll(async () => {
    scheduler = createManualScheduler();
    // Counts upstream calls per request: nothing kept across requests.
    stack = await startStack({ scheduler, gateway: { ...nothingKept, access: { apiKeys, jwt: jwtConfig } } });
  });
  afterAll(() => stack.stop());

  const deleteToken = `deleteToken(input: { appId: "${APP}", sessionId: "00000000-0000-0000-0000-000000000000" }) { isSuccess }`;

  it.each([
    ['an alias', `mutation { keep: ${deleteToken} }`],
    ['a fragment spread', `mutation { ...Remove } fragment Remove on Mutation { ${deleteToken} }`],
    ['an inline fragment', `mutation { ... on Mutation { ${deleteToken} } }`],
    ['an untyped inline fragment', `mutation { ... @include(if: true) { ${deleteToken} } }`],
    [
      'a nested fragment',
      `mutation { ...Outer } fragment Outer on Mutation { ...Inner } fragment Inner on Mutation { ${deleteToken} }`,
    ],
    [
      'a second field',
      `mutation { createToken(input: { appId: "${APP}" }) { app { appId } } ${deleteToken} }`,
    ],
  ])('needs admin for a destructive mutation behind %s', async (_how, query) => {
    stack.resetCalls();
    const res = await stack.request({ query }, bearer(keys['read+write']));
    expect(res.body).toEqual({ errors: forbidden('admin') });
    expect(stack.calls()).toEqual({});
  });

  it('checks the operation that runs, by operationName', async () => {
    const query = `query Read { app(appId: "${APP}") { appId } } mutation Remove { ${deleteToken} }`;
    stack.resetCalls();
    const refused = await stack.request(
      { query, operationName: 'Remove' },
      bearer(keys['read+write']),
    );
    expect(refused.body.errors).toStrictEqual(forbidden('admin'));
    expect(stack.calls()).toEqual({});
    const allowed = await stack.request({ query, operationName: 'Read' }, bearer(keys.read));
    expect(allowed.body).toEqual({ data: { app: { appId: APP } } });
  });

  it('checks each operation of a batch on its own', async () => {
    stack.resetCalls();
    const res = await stack.request(
      [
        { query: `query { app(appId: "${APP}") { appId } }` },
        { query: `mutation { ${deleteToken} }` },
      ],
      bearer(keys['read+write']),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual([{ data: { app: { appId: APP } } }, { errors: forbidden('admin') }]);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('reads scopes from an `scp` array claim as from a `scope` string, and ignores unknown ones', async () => {
    const scp = await signHs256({ scp: ['read', 'write'] });
    const mixed = await signHs256({ scope: 'read  superuser openid' });
    const mutation = `mutation { createToken(input: { appId: "${APP}" }) { token { appId } } }`;
    const byScp = await stack.request({ query: mutation }, bearer(scp));
    expect(byScp.body).toEqual({ data: { createToken: { token: { appId: APP } } } });
    const destructive = await stack.request({ query: `mutation { ${deleteToken} }` }, bearer(scp));
    expect(destructive.body).toEqual({ errors: forbidden('admin') });
    const byMixed = await stack.request({ query: mutation }, bearer(mixed));
    expect(byMixed.body).toEqual({ errors: forbidden('write') });
  });
});

describe('credentials', () => {
  let tokens: Record<string, string>;
  const query = `query { app(appId: "${APP}") { appId } }`;

  beforeAll(async () => {
    scheduler = createManualScheduler();
    // Every case here fails from 127.0.0.1: the failure limit (test/access-limits.test.ts) must not
    // answer for them.
    stack = await startStack({ scheduler, gateway: { access: { apiKeys, jwt: jwtConfig, authFailureBurst: 1000 } } });
    url = await stack.gateway.start(0);
    const now = Math.floor(Date.now() / 1000);
    const unsigned = (claims: object) =>
      [{ alg: 'none' }, claims]
        .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
        .join('.') + '.';
    tokens = {
      valid: await signHs256({ scope: 'read' }),
      expired: await signHs256({ scope: 'read' }, { expiresAt: now - 60 }),
      wrongSignature: await signHs256(
        { scope: 'read' },
        { secret: 'another-secret-also-at-least-32-characters' },
      ),
      wrongIssuer: await new SignJWT({ scope: 'read' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://someone-else.test/')
        .setAudience(AUDIENCE)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
      wrongAudience: await new SignJWT({ scope: 'read' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience('another-service')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
      unsigned: unsigned({
        scope: 'read write admin',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: now + 3600,
      }),
      // Signed and otherwise valid, but good forever.
      noExp: await new SignJWT({ scope: 'read' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('user-1')
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .sign(new TextEncoder().encode(SECRET)),
      hs512: await new SignJWT({ scope: 'read' })
        .setProtectedHeader({ alg: 'HS512' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(SECRET)),
    };
  });
  afterAll(() => stack.stop());

  async function post(headers: Record<string, string>, accept = 'application/json') {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...headers },
      body: JSON.stringify({ query }),
    });
    return {
      status: res.status,
      headers: res.headers,
      body: (await res.json()) as GraphQLResponse,
    };
  }

  it('answers 401 UNAUTHENTICATED with www-authenticate to a request with no credential', async () => {
    stack.resetCalls();
    const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(((await res.json()) as GraphQLResponse).errors).toStrictEqual(unauthenticated(noCredential).errors);
    expect(stack.calls()).toEqual({});
  });

  it('answers 401 to an SSE request with no credential, before any stream', async () => {
    stack.resetCalls();
    const res = await post({}, 'text/event-stream');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body.errors).toStrictEqual(unauthenticated(noCredential).errors);
    const subscription = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId } }`,
      }),
    });
    expect(subscription.status).toBe(401);
    await subscription.body?.cancel();
    expect(watchers().subscribers).toBe(0);
    expect(stack.calls()).toEqual({});
  });

  it('answers 401 to an SSE subscription with a JWT without exp, naming the missing claim, before any stream', async () => {
    stack.resetCalls();
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...bearer(tokens.noExp) },
      body: JSON.stringify({
        query: `subscription { backendJobs(appId: "${APP}", environmentName: "dev") { jobId } }`,
      }),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(unauthenticated(noExp));
    expect(watchers().subscribers).toBe(0);
    expect(stack.calls()).toEqual({});
  });

  it.each([
    [
      'an unknown API key',
      () => bearer('key-unknown-00000000000000'),
      'The API key or token is not valid',
    ],
    [
      'an unknown x-api-key',
      () => ({ 'x-api-key': 'key-unknown-00000000000000' }),
      'The API key or token is not valid',
    ],
    ['a key sent without "Bearer"', () => ({ authorization: keys.read }), malformed],
    ['a Basic authorization', () => ({ authorization: 'Basic dXNlcjpwYXNz' }), malformed],
    ['"Bearer" with nothing after it', () => ({ authorization: 'Bearer ' }), malformed],
    ['an expired JWT', () => bearer(tokens.expired), 'The token has expired'],
    ['a JWT without exp', () => bearer(tokens.noExp), noExp],
    ['a JWT with a wrong signature', () => bearer(tokens.wrongSignature), 'The token is not valid'],
    ['a JWT from another issuer', () => bearer(tokens.wrongIssuer), 'The token is not valid'],
    ['a JWT for another audience', () => bearer(tokens.wrongAudience), 'The token is not valid'],
    ['an unsigned JWT (alg none)', () => bearer(tokens.unsigned), 'The token is not valid'],
    ['a JWT signed with HS512', () => bearer(tokens.hs512), 'The token is not valid'],
    [
      'a wrong bearer, even beside a valid x-api-key',
      () => ({ ...bearer('nope-nope-nope-nope'), 'x-api-key': keys.read }),
      'The API key or token is not valid',
    ],
  ])('answers 401 to %s', async (_what, headers, message) => {
    stack.resetCalls();
    const res = await post(headers());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.body).toEqual(unauthenticated(message));
    expect(stack.calls()).toEqual({});
  });

  it.each([
    ['Authorization: Bearer <key>', () => bearer(keys.read)],
    ['Authorization: bearer <key> (any case)', () => ({ authorization: `bearer ${keys.read}` })],
    ['x-api-key: <key>', () => ({ 'x-api-key': keys.read })],
    ['Authorization: Bearer <JWT>', () => bearer(tokens.valid)],
    ['x-api-key: <JWT>', () => ({ 'x-api-key': tokens.valid })],
  ])('accepts %s with the scopes it grants', async (_how, headers) => {
    const read = await post(headers());
    expect(read).toMatchObject({ status: 200, body: { data: { app: { appId: APP } } } });
    const res = await stack.request(
      { query: `mutation { createToken(input: { appId: "${APP}" }) { token { appId } } }` },
      headers(),
    );
    expect(res.body).toEqual({ errors: forbidden('write') });
  });

  it('serves GraphiQL without a credential, but not the operations it sends', async () => {
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('<title>amplifybackend-graphql</title>');
    // Its assets are in the page: nothing is loaded from a CDN.
    expect(html).not.toMatch(/(?:src|href)=["']?https?:\/\//);

    stack.resetCalls();
    const get = await fetch(`${url}?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json' },
    });
    expect(get.status).toBe(401);
    expect(await get.json()).toEqual(unauthenticated(noCredential));
    const withKey = await fetch(`${url}?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/json', 'x-api-key': keys.read },
    });
    expect(await withKey.json()).toEqual({ data: { app: { appId: APP } } });
  });

  describe('over graphql-ws', () => {
    /** How the server closes a connection that sends `connectionParams` (and upgrade headers). */
    async function closeOf(
      connectionParams: Record<string, unknown>,
      headers?: Record<string, string>,
    ) {
      const events = wsClient(connectionParams, headers).iterate({ query });
      const error = await events.next().then(
        () => undefined,
        (e: { code: number; reason: string }) => e,
      );
      return error && { code: error.code, reason: error.reason };
    }

    it('closes a connection with no credential with 4401', async () => {
      stack.resetCalls();
      expect(await closeOf({})).toEqual({
        code: 4401,
        reason: 'Authentication required: connectionParams.authorization',
      });
      expect(stack.calls()).toEqual({});
    });

    it.each([
      [
        'an unknown key',
        () => ({ authorization: 'Bearer key-unknown-00000000000000' }),
        'The API key or token is not valid',
      ],
      [
        'an unknown apiKey',
        () => ({ apiKey: 'key-unknown-00000000000000' }),
        'The API key or token is not valid',
      ],
      ['a key without "Bearer"', () => ({ authorization: keys.read }), malformed],
      ['an expired JWT', () => bearer(tokens.expired), 'The token has expired'],
      ['a JWT without exp', () => bearer(tokens.noExp), noExp],
      [
        'a JWT with a wrong signature',
        () => bearer(tokens.wrongSignature),
        'The token is not valid',
      ],
    ])('closes a connection with %s with 4401', async (_what, params, reason) => {
      stack.resetCalls();
      expect(await closeOf(params())).toEqual({ code: 4401, reason });
      expect(stack.calls()).toEqual({});
    });

    it.each([
      ['connectionParams.authorization', () => [bearer(keys.read)]],
      ['connectionParams.Authorization', () => [{ Authorization: `Bearer ${keys.read}` }]],
      ['connectionParams["x-api-key"]', () => [{ 'x-api-key': keys.read }]],
      ['connectionParams.apiKey', () => [{ apiKey: keys.read }]],
      ['connectionParams.authorization with a JWT', () => [bearer(tokens.valid)]],
      ["the upgrade request's Authorization header", () => [{}, bearer(keys.read)]],
      ["the upgrade request's x-api-key header", () => [{}, { 'x-api-key': keys.read }]],
    ] as [string, () => [Record<string, unknown>, Record<string, string>?]][])(
      'authenticates from %s',
      async (_from, args) => {
        const [params, headers] = args();
        const client = wsClient(params, headers);
        const read = await client.iterate({ query }).next();
        expect(read.value).toEqual({ data: { app: { appId: APP } } });
        const write = await client
          .iterate({
            query: `mutation { createToken(input: { appId: "${APP}" }) { token { appId } } }`,
          })
          .next();
        expect(write.value).toEqual({ errors: forbidden('write') });
      },
    );
  });
});

describe('JWT from a JWKS URL', () => {
  let jwks: Server;
  let fetches = 0;
  let privateKey: CryptoKey;
  let stranger: CryptoKey;

  const signRs256 = (key: CryptoKey, claims: Record<string, unknown>, kid = 'key-1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('service-account')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    stranger = (await generateKeyPair('RS256')).privateKey;
    const jwk: JWK = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'key-1',
      alg: 'RS256',
      use: 'sig',
    };
    jwks = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    scheduler = createManualScheduler();
    stack = await startStack({
      scheduler,
      gateway: { access: { apiKeys: [], jwt: { jwksUrl, issuer: ISSUER, audience: AUDIENCE } } },
    });
  });
  afterAll(async () => {
    await stack.stop();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('accepts a token signed with a key of the set, with the scopes it grants', async () => {
    const token = await signRs256(privateKey, { scope: 'read write' });
    const read = await stack.request(
      { query: `query { app(appId: "${APP}") { appId } }` },
      bearer(token),
    );
    expect(read).toEqual({ status: 200, body: { data: { app: { appId: APP } } } });
    const write = await stack.request(
      { query: `mutation { createToken(input: { appId: "${APP}" }) { token { appId } } }` },
      bearer(token),
    );
    expect(write.body).toEqual({ data: { createToken: { token: { appId: APP } } } });
    stack.resetCalls();
    const destructive = await stack.request(
      {
        query: `mutation { deleteBackendStorage(input: { appId: "${APP}", environmentName: "dev", resourceName: "todoappstorage" }) { job { jobId } } }`,
      },
      bearer(token),
    );
    expect(destructive.body).toEqual({ errors: forbidden('admin') });
    expect(stack.calls()).toEqual({});
    expect(fetches).toBe(1);
  });

  it('answers 401 to a token signed with a key outside the set', async () => {
    for (const token of [
      await signRs256(stranger, { scope: 'read' }),
      await signRs256(stranger, { scope: 'read' }, 'key-2'),
      await signHs256({ scope: 'read' }),
    ]) {
      const res = await stack.request(
        { query: `query { app(appId: "${APP}") { appId } }` },
        bearer(token),
      );
      expect(res).toEqual({ status: 401, body: unauthenticated('The token is not valid') });
    }
  });
});

/** A gateway whose JWTs are checked against `jwksUrl`, its log lines, and an RS256 token for it. */
async function startWithJwks(jwksUrl: string) {
  const lines: string[] = [];
  const stack = await startStack({
    logDestination: { write: (line: string) => void lines.push(line) },
    gateway: { logLevel: 'info', access: { jwt: { jwksUrl } } },
  });
  const { privateKey } = await generateKeyPair('RS256');
  const token = await new SignJWT({ scope: 'read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
    .setExpirationTime('1h')
    .sign(privateKey);
  return { stack, lines, token };
}

describe('a JWKS URL out of reach', () => {
  it('answers 503 UNAVAILABLE, logs the cause, and keeps the token out of both', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = await startWithJwks(`http://127.0.0.1:${port}/jwks.json`);
    const { lines, token } = started;
    {
      // Stopped before the logs are read.
      await using unreachable = started.stack;
      const target = await unreachable.gateway.start(0);
      const res = await fetch(target, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...bearer(token),
        },
        body: JSON.stringify({ query: `query { app(appId: "${APP}") { appId } }` }),
      });
      expect(res.status).toBe(503);
      expect(await res.json()).toStrictEqual({
        errors: [requestError('UNAVAILABLE', 'Credentials cannot be checked at the moment: retry later')],
      });
    }
    const entries = lines.map((line) => JSON.parse(line) as { msg: string });
    expect(entries.filter((e) => e.msg === 'credentials could not be checked')).toMatchObject([
      { level: 50, err: { message: expect.stringContaining('fetch failed') } },
    ]);
    for (const part of token.split('.')) {
      expect(lines.filter((line) => line.includes(part))).toEqual([]);
    }
  });
});

describe('a JWKS URL that answers no key set', () => {
  /** A key set URL on 127.0.0.1 that answers every request with `status` and `body`, closed after the test. */
  async function jwksServing(status: number, body: string) {
    const served = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((resolve) => served.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => served.close(resolve)));
    return `http://127.0.0.1:${(served.address() as AddressInfo).port}/jwks.json`;
  }

  it.each([
    ['an error status', 500, '{"message":"internal"}'],
    ['a body that is not JSON', 200, '<html>maintenance</html>'],
    ['JSON that is not a key set', 200, '{"keys":"none"}'],
  ])('answers 503 UNAVAILABLE to a token when the key set URL gives %s, not 401', async (_what, status, body) => {
    const started = await startWithJwks(await jwksServing(status, body));
    const { lines, token } = started;
    {
      // Stopped before the logs are read.
      await using broken = started.stack;
      const res = await broken.request({ query: `query { app(appId: "${APP}") { appId } }` }, bearer(token));
      expect(res).toEqual({
        status: 503,
        body: { errors: [requestError('UNAVAILABLE', 'Credentials cannot be checked at the moment: retry later')] },
      });
      expect(broken.calls()).toEqual({});
    }
    const logged = lines.map((line) => JSON.parse(line) as { msg: string }).filter((e) => e.msg === 'credentials could not be checked');
    expect(logged).toHaveLength(1);
  });
});

describe('GATEWAY_JWT_REQUIRE_EXP=false', () => {
  it('accepts a JWT without exp, over HTTP and graphql-ws', async () => {
    scheduler = createManualScheduler();
    await using own = await startStack({ scheduler, gateway: { access: { jwt: { ...jwtConfig, requireExp: false } } } });
    stack = own;
    url = await stack.gateway.start(0);
    const forever = await new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('user-1')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(new TextEncoder().encode(SECRET));
    const query = `query { app(appId: "${APP}") { appId } }`;
    expect((await stack.request({ query }, bearer(forever))).body).toEqual({ data: { app: { appId: APP } } });
    expect((await wsClient(bearer(forever)).iterate({ query }).next()).value).toEqual({ data: { app: { appId: APP } } });
    await ws.disposeAll();
  });
});

describe('API keys only', () => {
  it('answers 401 to a JWT, however well signed', async () => {
    await using keyed = await startStack({ gateway: { access: { apiKeys } } });
    const res = await keyed.request(
      { query: `query { app(appId: "${APP}") { appId } }` },
      bearer(await signHs256({ scope: 'read' })),
    );
    expect(res).toEqual({
      status: 401,
      body: unauthenticated('The API key or token is not valid'),
    });
  });

  // Only GraphiQL's page passes without a credential: with GraphiQL off, a GET asking for HTML is
  // an operation like any other and needs one.
  it('with GraphiQL off, refuses an operation sent as a GET asking for HTML, with no upstream call', async () => {
    await using keyed = await startStack({ gateway: { graphiql: false, access: { apiKeys } } });
    const query = encodeURIComponent(`query { app(appId: "${APP}") { appId } }`);
    const res = await keyed.gateway.yoga.fetch(`http://yoga/graphql?query=${query}`, {
      headers: { accept: 'text/html, application/json' },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toStrictEqual(unauthenticated(noCredential));
    expect(keyed.calls()).toEqual({});
  });
});

describe('start-up', () => {
  const aws = { kind: 'aws' as const, region: 'us-east-1', endpoint: 'http://127.0.0.1:9' };

  it('refuses to serve AWS with no access control', async () => {
    const error = await createGateway(defineConfig({ upstream: aws, logLevel: 'silent' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatchInlineSnapshot(
      `"refusing to serve AWS with no access control: set GATEWAY_API_KEYS, GATEWAY_JWT_SECRET or GATEWAY_JWKS_URL, or start with --insecure (GATEWAY_INSECURE=true) to run open on purpose"`,
    );
  });

  it.each([
    ['AWS with access.insecure', { upstream: aws, access: { insecure: true } }, true],
    ['AWS with an API key', { upstream: aws, access: { apiKeys: [apiKeys[0]] } }, false],
    ['AWS with a JWT secret', { upstream: aws, access: { jwt: { secret: SECRET } } }, false],
    [
      'the embedded emulator with no access settings',
      {
        upstream: {
          kind: 'embedded' as const,
          emulatorPort: 0,
          jobSeconds: 3,
        },
      },
      true,
    ],
  ] as [string, Parameters<typeof defineConfig>[0], boolean][])(
    'starts with %s, open: %s',
    async (_what, config, open) => {
      await using gateway = scoped(await createGateway(defineConfig({ ...config, logLevel: 'silent' })), (g) => g.stop());
      expect(gateway.open).toBe(open);
    },
  );

  it('lets anybody in with every scope when open', async () => {
    await using open = await startStack();
    expect(open.gateway.open).toBe(true);
    const res = await open.request({
      query: `mutation { deleteToken(input: { appId: "${APP}", sessionId: "00000000-0000-0000-0000-000000000000" }) { isSuccess } }`,
    });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('reads --insecure and GATEWAY_INSECURE', () => {
    expect(loadConfig({}).access.insecure).toBe(false);
    expect(loadConfig({}, ['--insecure']).access.insecure).toBe(true);
    expect(loadConfig({ GATEWAY_INSECURE: 'true' }).access.insecure).toBe(true);
    expect(() => loadConfig({}, ['--open'])).toThrow(ConfigError);
  });

  it('reads GATEWAY_API_KEYS and the JWT settings', () => {
    const config = loadConfig({
      GATEWAY_API_KEYS: ` ${keys.read}=read, ${keys['read+write']}=read+write,${keys['read+write+admin']}=read+write+admin `,
      GATEWAY_JWT_SECRET: SECRET,
      GATEWAY_JWT_ISSUER: ISSUER,
      GATEWAY_JWT_AUDIENCE: AUDIENCE,
    });
    expect(config.access).toEqual({
      apiKeys: [
        { key: keys.read, scopes: ['read'], apps: ['*'] },
        { key: keys['read+write'], scopes: ['read', 'write'], apps: ['*'] },
        { key: keys['read+write+admin'], scopes: ['read', 'write', 'admin'], apps: ['*'] },
      ],
      jwt: {
        secret: SECRET,
        jwksUrl: undefined,
        issuer: ISSUER,
        audience: AUDIENCE,
        requireExp: true,
        appsClaim: undefined,
        appsDefault: 'none',
      },
      insecure: false,
      authFailuresPerMinute: 60,
      authFailureBurst: 30,
    });
  });

  it.each([
    [undefined, true],
    ['true', true],
    ['false', false],
    ['0', false],
  ])('reads GATEWAY_JWT_REQUIRE_EXP=%s as %s', (value, requireExp) => {
    const config = loadConfig({ GATEWAY_JWT_SECRET: SECRET, ...(value ? { GATEWAY_JWT_REQUIRE_EXP: value } : {}) });
    expect(config.access.jwt?.requireExp).toBe(requireExp);
  });

  it('rejects a GATEWAY_JWT_REQUIRE_EXP that is not true or false', () => {
    expect(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWT_REQUIRE_EXP: 'sometimes' })).toThrow(
      new ConfigError('invalid configuration:\n  - GATEWAY_JWT_REQUIRE_EXP must be true or false'),
    );
  });

  const secretKey = 'this-key-is-a-secret-0001';
  const tooShort = 'a key must be at least 16 characters, then =scopes';
  const badScopes = 'scopes must be read, write or admin joined with +';
  it.each([
    ['a short key', 'short=read', 'short', `entry 1: ${tooShort}`],
    ['a key with no scopes', secretKey, secretKey, `entry 1: ${tooShort}`],
    ['an unknown scope', `${secretKey}=read+root`, secretKey, `entry 1: ${badScopes}`],
    ['an empty scope', `${secretKey}=read+`, secretKey, `entry 1: ${badScopes}`],
    [
      'a duplicate key',
      `${keys.read}=read,${secretKey}=read,${secretKey}=write`,
      secretKey,
      'entry 3: the same key is listed twice',
    ],
  ])(
    'rejects GATEWAY_API_KEYS with %s, without repeating the key',
    (_what, value, key, problem) => {
      const error = configError({ GATEWAY_API_KEYS: value });
      expect(error.message).toBe(`invalid configuration:\n  - GATEWAY_API_KEYS ${problem}`);
      expect(error.message).not.toContain(key);
    },
  );

  it('rejects a GATEWAY_JWT_SECRET shorter than 32 characters, without repeating it', () => {
    const error = configError({ GATEWAY_JWT_SECRET: 'too-short-a-secret' });
    expect(error.message).not.toContain('too-short-a-secret');
    expect(error.message).toMatchInlineSnapshot(`
      "invalid configuration:
        - GATEWAY_JWT_SECRET must be at least 32 characters"
    `);
  });

  it('rejects GATEWAY_JWT_SECRET with GATEWAY_JWKS_URL, and a JWKS URL that is not http', () => {
    expect(
      configError({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_JWKS_URL: 'https://issuer.test/jwks' })
        .message,
    ).toMatchInlineSnapshot(`
        "invalid configuration:
          - GATEWAY_JWKS_URL and GATEWAY_JWT_SECRET exclude each other: set one"
      `);
    expect(configError({ GATEWAY_JWKS_URL: 'file:///etc/jwks.json' }).message)
      .toMatchInlineSnapshot(`
      "invalid configuration:
        - GATEWAY_JWKS_URL must be an http:// or https:// URL"
    `);
  });
});

describe('logs', () => {
  it('never contain a key, a token or the JWT secret', async () => {
    const lines: string[] = [];
    scheduler = createManualScheduler();
    stack = await startStack({
      scheduler,
      logDestination: { write: (line: string) => void lines.push(line) },
      gateway: { logLevel: 'info', access: { apiKeys, jwt: jwtConfig } },
    });
    url = await stack.gateway.start(0);
    const unknownKey = 'key-unknown-but-secret-0000';
    const token = await signHs256({ scope: 'read write' });
    const expired = await signHs256(
      { scope: 'read' },
      { expiresAt: Math.floor(Date.now() / 1000) - 60 },
    );
    const forged = await signHs256(
      { scope: 'read write admin' },
      { secret: 'a-forged-secret-of-at-least-32-chars' },
    );
    const secrets = [...Object.values(keys), unknownKey, token, expired, forged, SECRET];
    // A token's parts, in case one were logged apart from the others.
    for (const jwt of [token, expired, forged])
      secrets.push(...jwt.split('.').filter((p) => p.length > 20));

    const query = `query Read { app(appId: "${APP}") { appId } }`;
    const mutation = `mutation Write { createToken(input: { appId: "${APP}" }) { token { appId } } }`;
    const post = async (body: object, headers: Record<string, string>) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      await res.text();
      return res.status;
    };
    const statuses = [
      await post({ query, operationName: 'Read' }, bearer(keys.read)),
      await post({ query: mutation, operationName: 'Write' }, bearer(keys.read)),
      await post({ query: mutation, operationName: 'Write' }, { 'x-api-key': keys['read+write'] }),
      await post({ query: mutation, operationName: 'Write' }, bearer(token)),
      await post({ query }, bearer(unknownKey)),
      await post({ query }, { 'x-api-key': unknownKey }),
      await post({ query }, { authorization: keys.read }),
      await post({ query }, bearer(expired)),
      await post({ query }, bearer(forged)),
      await post({ query }, {}),
      (await stack.request({ query }, bearer(forged))).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401]);

    const ok = await wsClient(bearer(token)).iterate({ query }).next();
    expect(ok.value).toEqual({ data: { app: { appId: APP } } });
    for (const params of [
      bearer(unknownKey),
      { apiKey: unknownKey },
      bearer(expired),
      bearer(forged),
    ]) {
      await expect(wsClient(params).iterate({ query }).next()).rejects.toMatchObject({
        code: 4401,
      });
    }
    await ws.disposeAll();
    await stack.stop();

    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = entries.filter((e) => e.msg === 'request');
    // Who called, by an id that is not the credential: a key's number and a prefix of its hash.
    const key = (n: number) => expect.stringMatching(new RegExp(`^apikey:${n}:[0-9a-f]{8}$`));
    expect(requests.map((e) => [e.status, e.principal, e.operationName])).toEqual([
      [200, key(1), 'Read'],
      [200, key(1), 'Write'],
      [200, key(2), 'Write'],
      [200, 'jwt:user-1', 'Write'],
      ...Array.from({ length: 6 }, () => [401, undefined, undefined]),
    ]);
    // One line for the first failure of an address (and for each in-process one, which has no
    // address), then a summary with the count at the end of the interval (here: the stop).
    expect(
      entries.filter((e) => e.msg === 'authentication failed').map((e) => [e.transport, e.address, e.reason]),
    ).toEqual([
      ['http', '127.0.0.1', 'The API key or token is not valid'],
      ['http', undefined, 'The token is not valid'],
    ]);
    expect(
      entries
        .filter((e) => e.msg === 'authentication failures from one address')
        .map((e) => [e.address, e.failures, e.refused]),
    ).toEqual([['127.0.0.1', 10, 0]]);
    for (const secret of secrets) {
      expect(lines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });
});

describe("yoga's own health check", () => {
  // With `healthCheckEndpoint: false` yoga answered 200 to any URL ending in "false" before the
  // access check ran: only the gateway's own /health answers without a credential.
  it.each(['/graphql?x=false', '/graphql?query=false', '/graphql?probe=/health'])('does not answer %s before the access check', async (path) => {
    await using secured = await startStack({ gateway: { access: { apiKeys } } });
    const res = await secured.gateway.yoga.fetch(`http://yoga${path}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(unauthenticated(noCredential));
  });
});
