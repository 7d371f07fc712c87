import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';
import { send, type RawAnswer } from './helpers-http.js';
import { readmeBlocks } from './helpers-readme.js';

// The differential test of src/fast-path.ts: a corpus of requests (the README's operations, every
// error class, bad inputs, limits, access refusals, rate limits, CORS, persisted operations, other
// methods and media types) sent over real HTTP, one by one, to two gateways alike but for
// FAST_PATH, each with an emulator of its own seeded alike. Status, headers (but Date) and body
// must be the same bytes. Afterwards both emulators saw the same upstream calls and both
// gateways counted the same operations.

const secret = 'fast-path-differential-secret-0001';
const keys = { admin: 'fp-admin-key-0001', read: 'fp-read-key-0001', scoped: 'fp-scoped-key-0001' };
const persisted = '{ apps { items { appId } } }';
const persistedHash = createHash('sha256').update(persisted).digest('hex');

async function startGateway(fastPath: boolean, options: { requirePersistedOperations?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fast-path-'));
  const file = join(dir, 'persisted.json');
  writeFileSync(file, JSON.stringify({ [persistedHash]: persisted }));
  const stack = await startStack({
    gateway: {
      fastPath,
      corsOrigins: ['https://app.example.com'],
      limits: {
        persistedOperationsFile: file,
        requirePersistedOperations: options.requirePersistedOperations ?? false,
        maxBodyBytes: 20_000,
        maxVariablesBytes: 2_000,
        rateLimitPerMinute: 1,
        rateLimitBurst: 12,
      },
      access: {
        insecure: false,
        apiKeys: [
          { key: keys.admin, scopes: ['read', 'write', 'admin'] },
          { key: keys.read, scopes: ['read'] },
          { key: keys.scoped, scopes: ['read', 'write'], apps: ['d1todoapp00001'] },
        ],
        jwt: { secret, appsClaim: 'apps', appsDefault: 'all' },
        authFailuresPerMinute: 1,
        authFailureBurst: 8,
      },
    },
  });
  const url = await stack.gateway.start(0, '127.0.0.1');
  return { stack, url };
}

let fast: { stack: Stack; url: string };
let slow: { stack: Stack; url: string };
beforeAll(async () => {
  [fast, slow] = await Promise.all([startGateway(true), startGateway(false)]);
}, 30_000);
afterAll(async () => {
  await Promise.all([fast?.stack.stop(), slow?.stack.stop()]);
});

const encoder = new TextEncoder();
let tokens = 0;
/** A JWT of its own subject (its own rate-limit bucket) unless `sub` is given. */
const jwt = (claims: { scope: string; apps?: string[]; sub?: string; exp?: number | false }) => {
  let token = new SignJWT({ scope: claims.scope, ...(claims.apps ? { apps: claims.apps } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? `subject-${++tokens}`);
  // A fixed expiry: both gateways must see the same token.
  if (claims.exp !== false) token = token.setExpirationTime(claims.exp ?? 4_102_444_800);
  return token.sign(encoder.encode(secret)).then((signed) => `Bearer ${signed}`);
};

interface Case {
  name: string;
  method?: string;
  path?: string;
  headers?: Record<string, string | (() => Promise<string>)>;
  body?: string;
  from?: string;
}

const json = (value: unknown) => JSON.stringify(value);
const op = (query: string, extra: Record<string, unknown> = {}) => json({ query, ...extra });
const deep = (n: number) => `{ app(appId: "d1todoapp00001") { ${'environments { app { '.repeat(n)}appId${' } }'.repeat(n)} } }`;

/** One operation's bodies: the README's, each kind of answer and each kind of refusal. */
function operationBodies(): [string, string][] {
  const readme = readmeBlocks()
    .filter((b) => b.lang === 'graphql')
    .map((b, i): [string, string] => [`readme ${i + 1} (line ${b.line})`, op(b.body)]);
  return [
    ...readme,
    ['small query', op('{ app(appId: "d1todoapp00001") { appName } }')],
    ['named with operationName', op('query A { apps { items { appId } } }', { operationName: 'A' })],
    ['two operations, one chosen', op('query A { apps { items { appId } } } query B { __typename }', { operationName: 'B' })],
    ['two operations, none chosen', op('query A { __typename } query B { __typename }')],
    ['unknown operationName', op('query A { __typename }', { operationName: 'Z' })],
    ['empty operationName', op('{ __typename }', { operationName: '' })],
    ['operationName not a string', op('{ __typename }', { operationName: 7 })],
    ['operationName null', op('{ __typename }', { operationName: null })],
    ['variables', op('query Q($id: String!) { app(appId: $id) { appName } }', { variables: { id: 'd1todoapp00001' } })],
    ['variables null', op('{ __typename }', { variables: null })],
    ['variables an array', op('{ __typename }', { variables: [1] })],
    ['variables a string', op('{ __typename }', { variables: '{}' })],
    ['variable missing', op('query Q($id: String!) { app(appId: $id) { appName } }')],
    ['variable of the wrong type', op('query Q($id: String!) { app(appId: $id) { appName } }', { variables: { id: 5 } })],
    ['variables too large', op('query Q($id: String!) { app(appId: $id) { appName } }', { variables: { id: 'x'.repeat(3000) } })],
    ['unknown app (upstream NotFound)', op('{ app(appId: "nosuchapp0000") { appName } }')],
    ['app id invalid', op('{ app(appId: "..") { appName } }')],
    ['app id with a lone surrogate', op('{ app(appId: "\\ud800") { appName } }')],
    ['nested', op('{ app(appId: "d1todoapp00001") { appName environments { name apis { resourceName } jobs(first: 2) { edges { node { jobId status } } } } } }')],
    ['node', op('{ node(id: "nope") { id } }')],
    ['federation _service', op('{ _service { sdl } }')],
    ['federation _entities', op('{ _entities(representations: [{ __typename: "App", appId: "d1todoapp00001" }]) { ... on App { appName } } }')],
    ['introspection', op('{ __schema { queryType { name } } }')],
    ['__typename', op('{ __typename }')],
    ['syntax error', op('{ app(appId: ')],
    ['unknown field', op('{ nope }')],
    ['field suggestion', op('{ ap { appName } }')],
    ['empty document', op('')],
    ['fragment only', op('fragment F on Query { __typename }')],
    ['too deep', op(deep(16))],
    ['too many aliases', op(`{ ${Array.from({ length: 60 }, (_, i) => `a${i}: __typename`).join(' ')} }`)],
    ['too many tokens', op(`{ ${'__typename '.repeat(5100)} }`)],
    ['too many directives', op(`{ __typename ${'@include(if: true) '.repeat(60)} }`)],
    ['too costly', op(`{ apps { items { ${'environments { apis { resourceName } } '.repeat(1)} } } ${Array.from({ length: 40 }, (_, i) => `x${i}: apps { items { environments { apis { config { apiName } } jobs(first: 50) { edges { node { jobId } } } } } }`).join(' ')} }`)],
    ['list too long', op('query Q($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { variables: { r: Array.from({ length: 150 }, () => ({ __typename: 'App', appId: 'd1todoapp00001' })) } })],
    ['validation budget', op(`{ ${'app(appId: "d1todoapp00001") { appName } '.repeat(900)} }`)],
    ['mutation, write scope', op('mutation { createBackendStorage(input: { appId: "nosuchapp0000", environmentName: "dev", resourceName: "fp", config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }')],
    ['destructive mutation', op('mutation { deleteBackend(appId: "nosuchapp0000", environmentName: "dev") { job { jobId } } }')],
    ['mutation of another app', op('mutation { deleteBackendStorage(input: { appId: "d2otherapp0002", environmentName: "dev", resourceName: "x" }) { job { jobId } } }')],
    ['subscription over POST', op('subscription { backendJob(appId: "d1todoapp00001", environmentName: "dev", jobId: "x") { isDone } }')],
    ['@defer', op('{ app(appId: "d1todoapp00001") { appName ... @defer { environments { name } } } }')],
    ['@stream', op('{ apps { items @stream(initialCount: 1) { appId } } }')],
    ['@live', op('query @live { app(appId: "d1todoapp00001") { appName } }')],
    ['persisted operation', json({ extensions: { persistedQuery: { version: 1, sha256Hash: persistedHash } } })],
    ['unknown persisted operation', json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } } })],
    ['documentId', json({ documentId: `sha256:${persistedHash}` })],
    ['extensions empty', op('{ __typename }', { extensions: {} })],
    ['extensions not an object', op('{ __typename }', { extensions: 'x' })],
    ['unknown parameter', op('{ __typename }', { other: 1 })],
    ['__proto__ parameter', '{"query":"{ __typename }","__proto__":{"x":1}}'],
    ['query not a string', json({ query: 5 })],
    ['query missing', json({ variables: {} })],
    ['body null', 'null'],
    ['body a number', '5'],
    ['body a string', '"{ __typename }"'],
    ['batch', json([{ query: '{ __typename }' }, { query: '{ apps { items { appId } } }' }])],
    ['empty batch', '[]'],
    ['batch with null', '[null]'],
    ['invalid JSON', '{"query": '],
    ['byte-order mark', `\ufeff${op('{ __typename }')}`],
    ['trailing garbage', `${op('{ __typename }')}x`],
    ['duplicate keys', '{"query":"{ nope }","query":"{ __typename }"}'],
    ['unicode escapes', '{"query":"{ \\u005f_typename }"}'],
  ];
}

function corpus(): Case[] {
  const cases: Case[] = [];
  const bodies = operationBodies();
  const credentials: [string, Case['headers']][] = [
    ['jwt all scopes', { authorization: () => jwt({ scope: 'read write admin' }) }],
    ['jwt read', { authorization: () => jwt({ scope: 'read' }) }],
    ['jwt one app', { authorization: () => jwt({ scope: 'read write', apps: ['d1todoapp00001'] }) }],
    ['jwt other app', { authorization: () => jwt({ scope: 'read write admin', apps: ['d2otherapp0002'] }) }],
  ];
  const accepts: (string | undefined)[] = [undefined, 'application/json', 'application/graphql-response+json'];
  for (const [body, text] of bodies) {
    for (const [credential, headers] of credentials) {
      for (const accept of accepts) {
        // A live query or a subscription never ends: asked for as a stream (any accept), it is not
        // one answer to compare.
        if (!accept && /@live|subscription/.test(text)) continue;
        cases.push({
          name: `${body} | ${credential} | accept ${accept}`,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}), ...headers },
          body: text,
        });
      }
    }
  }
  const admin = { authorization: `Bearer ${keys.admin}` };
  const small = op('{ app(appId: "d1todoapp00001") { appName } }');
  const post = (name: string, headers: Case['headers'], body = small, extra: Partial<Case> = {}): Case => ({
    name,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    ...extra,
  });
  const withJwt = { authorization: () => jwt({ scope: 'read write admin' }) };
  // Media types, accept headers and charsets.
  for (const type of ['application/json; charset=utf-8', 'application/json;charset=UTF-8', 'APPLICATION/JSON', 'application/graphql+json', 'application/graphql', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
    cases.push(post(`content-type ${type || 'none'}`, { ...withJwt, 'content-type': type }));
  }
  for (const accept of ['*/*', 'application/*', 'application/json, application/graphql-response+json', 'application/graphql-response+json, application/json;q=0.9', 'application/json; charset=utf-8', 'text/html', 'application/xml', 'text/event-stream', 'multipart/mixed', 'text/event-stream, application/json', 'garbage;;;', '']) {
    cases.push(post(`accept ${accept || 'empty'}`, { ...withJwt, accept }));
    cases.push(post(`accept ${accept || 'empty'}, an error`, { ...withJwt, accept }, op('{ nope }')));
  }
  // Body sizes and framing.
  cases.push(post('body over the limit', withJwt, op(`{ __typename } # ${'x'.repeat(21_000)}`)));
  cases.push(post('body at the limit', withJwt, op(`{ __typename } #${'x'.repeat(20_000 - 40)}`)));
  cases.push(post('empty body', withJwt, ''));
  cases.push(post('whitespace body', withJwt, '   '));
  cases.push(post('content-length invalid', { ...withJwt, 'content-length': '+5' }, '{}'));
  // Paths, query strings and methods.
  cases.push(post('query string', withJwt, small, { path: '/graphql?x=1' }));
  cases.push(post('trailing slash', withJwt, small, { path: '/graphql/' }));
  cases.push(post('other path', withJwt, small, { path: '/other' }));
  for (const method of ['PUT', 'DELETE', 'PATCH']) cases.push(post(`method ${method}`, withJwt, small, { method }));
  cases.push({ name: 'GET query', method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __typename }')}`, headers: admin });
  cases.push({ name: 'GET mutation', method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { __typename }')}`, headers: admin });
  cases.push({ name: 'GET bad variables', method: 'GET', path: `/graphql?query=${encodeURIComponent('{ __typename }')}&variables=%7B`, headers: admin });
  cases.push({ name: 'GET GraphiQL page', method: 'GET', path: '/graphql', headers: { accept: 'text/html' } });
  cases.push({ name: 'health', method: 'GET', path: '/health' });
  // CORS: preflights and origins, allowed and not.
  for (const origin of ['https://app.example.com', 'https://evil.example.com', 'null']) {
    cases.push({
      name: `preflight from ${origin}`,
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
    });
    cases.push(post(`POST from ${origin}`, { ...withJwt, origin }));
    cases.push(post(`POST from ${origin}, no credential`, { origin }));
  }
  // Credentials: API keys, in both headers, and every way of failing (from an address of their
  // own: failures there are limited per address, and the last ones are refused as too many).
  cases.push(post('admin key', admin));
  cases.push(post('read key, a mutation', { 'x-api-key': keys.read }, op('mutation { deleteBackend(appId: "x1", environmentName: "dev") { job { jobId } } }')));
  cases.push(post('scoped key, its app', { authorization: `Bearer ${keys.scoped}` }));
  cases.push(post('scoped key, another app', { authorization: `Bearer ${keys.scoped}` }, op('{ app(appId: "d2otherapp0002") { appName } }')));
  const failing: [string, Case['headers']][] = [
    ['no credential', {}],
    ['wrong key', { authorization: 'Bearer not-a-key' }],
    ['wrong x-api-key', { 'x-api-key': 'not-a-key' }],
    ['not Bearer', { authorization: 'Basic abc' }],
    ['empty bearer', { authorization: 'Bearer ' }],
    ['expired token', { authorization: () => jwt({ scope: 'read', exp: 1_000_000 }) }],
    ['token without exp', { authorization: () => jwt({ scope: 'read', exp: false }) }],
    ['token of another secret', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl' }],
    ['token with a bad apps claim', { authorization: () => jwt({ scope: 'read', apps: ['..'] }) }],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [name, headers] of failing) cases.push(post(`${name} (round ${round + 1})`, headers, small, { from: '127.0.0.2' }));
  }
  // One principal past its rate: 12 let in, then 429 with retry-after.
  for (let i = 0; i < 15; i++) cases.push(post(`rate limit ${i + 1}`, { authorization: () => jwt({ scope: 'read', sub: 'rate-limited' }) }));
  // Host headers that are no host: refused in front of both paths (src/http.ts).
  for (const host of ['exa mple', 'a/b', '[::1', 'x:99999999']) cases.push(post(`host ${host}`, { ...withJwt, host }));
  // Request ids: a valid one is echoed; an invalid one is replaced (compared as a uuid).
  cases.push(post('request id with spaces', { ...withJwt, 'x-request-id': 'a b' }));
  cases.push(post('request id too long', { ...withJwt, 'x-request-id': 'x'.repeat(200) }));
  return cases;
}

const ignoredHeaders = new Set(['date']);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// The emulators' own random ids (jobs, upstream request ids): the same length, compared as a placeholder.
const uuids = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function comparable(answer: RawAnswer) {
  const headers = Object.fromEntries(
    Object.entries(answer.headers)
      .filter(([name]) => !ignoredHeaders.has(name))
      .map(([name, value]) => [name, name === 'x-request-id' && typeof value === 'string' && uuid.test(value) ? '<uuid>' : value]),
  );
  return { status: answer.status, headers, body: answer.body.toString('latin1').replace(uuids, '<uuid>') };
}

async function resolved(headers: Case['headers'] = {}): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.entries(headers).map(async ([name, value]) => [name, typeof value === 'function' ? await value() : value] as const),
  );
  return Object.fromEntries(entries);
}

/** Sends every case to both gateways in turn; the cases whose answers differ, with where they start to. */
async function differences(cases: Case[], a: { url: string }, b: { url: string }): Promise<string[]> {
  const found: string[] = [];
  for (const [i, c] of cases.entries()) {
    const headers = await resolved(c.headers);
    // A fixed id unless the case is about it.
    if (!('x-request-id' in headers) && i % 7 !== 0) headers['x-request-id'] = `case-${i}`;
    const options = { method: c.method ?? 'POST', headers, body: c.body, from: c.from };
    const path = c.path ?? '/graphql';
    const x = JSON.stringify(comparable(await send(a.url.replace('/graphql', path), options)));
    const y = JSON.stringify(comparable(await send(b.url.replace('/graphql', path), options)));
    if (x === y) continue;
    let at = 0;
    while (x[at] === y[at]) at++;
    found.push(`${c.name}:\n  fast …${x.slice(Math.max(0, at - 100), at + 300)}\n  yoga …${y.slice(Math.max(0, at - 100), at + 300)}`);
  }
  return found;
}

it('answers a corpus of requests byte for byte as yoga does', { timeout: 120_000 }, async () => {
  const cases = corpus();
  expect(cases.length).toBeGreaterThanOrEqual(500);
  expect(await differences(cases, fast, slow)).toEqual([]);
  // The same upstream calls and the same operations counted.
  expect(fast.stack.calls()).toEqual(slow.stack.calls());
  const counted = async (url: string) =>
    (await send(url.replace('/graphql', '/metrics'))).body
      .toString()
      .split('\n')
      .filter((line) => /^(graphql_operations_total|amplifybackend_upstream_calls_total)\{/.test(line))
      .sort();
  expect(await counted(fast.url)).toEqual(await counted(slow.url));
  // Most of the corpus took the fast path (589 of 949 requests when written).
  const served = fast.stack.gateway.fastPath?.served();
  expect(served?.fast).toBeGreaterThan(cases.length / 3);
  expect(slow.stack.gateway.fastPath).toBeUndefined();
});

// The yoga-level hooks the fast path either runs as yoga does (onRequest, onParams, onResultProcess,
// onResponse, onExecutionResult) or skips, having checked that none acts on the requests it takes
// (onRequestParse: see src/fast-path.ts). A plugin that adds one changes these counts: look at
// what it does to the requests the fast path takes before changing them.
it('knows every yoga-level hook of the gateway', () => {
  const plugins = (fast.stack.gateway.yoga as unknown as { plugins: (Record<string, unknown> | false)[] }).plugins.filter(
    (p): p is Record<string, unknown> => Boolean(p),
  );
  const hooks = ['onRequest', 'onRequestParse', 'onParams', 'onExecutionResult', 'onResultProcess', 'onResponse', 'instrumentation'];
  const counts = Object.fromEntries(hooks.map((hook) => [hook, plugins.filter((p) => p[hook] !== undefined).length]));
  expect(counts).toEqual({
    onRequest: 5,
    onRequestParse: 12,
    onParams: 5,
    onExecutionResult: 0,
    onResultProcess: 2,
    onResponse: 1,
    instrumentation: 0,
  });
});

// With only persisted operations accepted, a plain query is refused by an onParams hook: on the
// fast path that refusal is answered as yoga's handler answers what an onParams hook throws.
it('refuses what persisted operations refuse, as yoga does', { timeout: 60_000 }, async () => {
  const [strictFast, strictSlow] = await Promise.all([
    startGateway(true, { requirePersistedOperations: true }),
    startGateway(false, { requirePersistedOperations: true }),
  ]);
  try {
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${keys.admin}` };
    const cases: Case[] = [
      { name: 'a plain query', headers, body: op('{ __typename }') },
      { name: 'a plain query, graphql-response+json', headers: { ...headers, accept: 'application/graphql-response+json' }, body: op('{ __typename }') },
      { name: 'persisted', headers, body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: persistedHash } } }) },
      { name: 'unknown hash', headers, body: json({ extensions: { persistedQuery: { version: 1, sha256Hash: 'cd'.repeat(32) } } }) },
      { name: 'a plain query with variables too large', headers, body: op('{ __typename }', { variables: { x: 'y'.repeat(3000) } }) },
    ];
    expect(await differences(cases, strictFast, strictSlow)).toEqual([]);
    expect(strictFast.stack.gateway.fastPath?.served().fast).toBeGreaterThanOrEqual(2);
  } finally {
    await Promise.all([strictFast.stack.stop(), strictSlow.stack.stop()]);
  }
});
