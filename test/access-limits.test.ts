import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { createClient } from 'graphql-ws';
import { SignJWT } from 'jose';
import pino from 'pino';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { negotiateEncoding } from '../src/graphiql.js';
import { createAuthFailureGuard } from '../src/security/auth-failures.js';
import { clientAddress } from '../src/security/rate-limit.js';
import { type GraphQLResponse, scoped, type Stack, startStack, nothingKept } from './helpers.js';
import { send } from './helpers-http.js';

const APP = 'd1todoapp00001';
const SECRET = 'a-test-secret-for-hs256-at-least-32-characters';
const KEY = 'key-read-0000000000000001';
const query = `query { app(appId: "${APP}") { appId } }`;

let stacks: Stack[] = [];
afterEach(async () => {
  await Promise.all(stacks.map((s) => s.stop()));
  stacks = [];
});

/** A stack with an API key and HS256 JWTs, listening on 127.0.0.1; its log lines, parsed. */
async function secured(gateway: NonNullable<Parameters<typeof startStack>[0]>['gateway'] = {}) {
  const lines: string[] = [];
  const stack = await startStack({
    logDestination: { write: (line: string) => void lines.push(line) },
    gateway: {
      logLevel: 'info',
      // Counts upstream calls per request: nothing kept across requests.
      ...nothingKept,
      ...gateway,
      access: { apiKeys: [{ key: KEY, scopes: ['read'] }], jwt: { secret: SECRET }, ...gateway.access },
    },
  });
  stacks.push(stack);
  const url = await stack.gateway.start(0, '127.0.0.1');
  const logs = () => lines.map((line) => JSON.parse(line) as Record<string, any>);
  return { stack, url, logs };
}

const post = (url: string, headers: Record<string, string>, extra: { accept?: string; from?: string } = {}) =>
  send(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: extra.accept ?? 'application/json', ...headers },
    body: JSON.stringify({ query }),
    from: extra.from,
  });

const json = (body: Buffer) => JSON.parse(body.toString()) as GraphQLResponse;

/** How the server closes a graphql-ws connection that sends these connectionParams. */
async function wsClose(url: string, connectionParams: Record<string, string>) {
  const options = { url: url.replace('http://', 'ws://'), webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true };
  await using client = scoped(createClient(options), (c) => c.dispose());
  const error = await client
    .iterate({ query })
    .next()
    .then(
      () => undefined,
      (e: { code: number; reason: string }) => e,
    );
  return error && { code: error.code, reason: error.reason };
}

describe('JWTs without a subject', () => {
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT({ scope: 'read', ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

  it('take a bucket per token, or per OAuth client when they name one, never one bucket for all', async () => {
    // One request per bucket and minute: the second request of a bucket is refused.
    const { stack, url, logs } = await secured({ limits: { rateLimitPerMinute: 1, rateLimitBurst: 1 } });
    const tokens = {
      a: await sign({ jti: 'a' }),
      b: await sign({ jti: 'b' }),
      client1: await sign({ jti: 'c', client_id: 'service-1' }),
      client1Again: await sign({ jti: 'd', azp: 'service-1' }),
      user: await sign({ jti: 'e', sub: 'user-9' }),
      userAgain: await sign({ jti: 'f', sub: 'user-9' }),
    };
    const status = async (token: string) => (await post(url, { authorization: `Bearer ${token}` })).status;
    const statuses = [];
    for (const token of [tokens.a, tokens.a, tokens.b, tokens.client1, tokens.client1Again, tokens.user, tokens.userAgain]) {
      statuses.push(await status(token));
    }
    expect(statuses).toEqual([200, 429, 200, 200, 429, 200, 429]);
    await stack.stop();
    // The caller id in the log is never the token: a prefix of its hash.
    const principals = logs()
      .filter((e) => e.msg === 'request' && e.status === 200)
      .map((e) => e.principal);
    expect(principals).toEqual([
      expect.stringMatching(/^jwt-token:[0-9a-f]{32}$/),
      expect.stringMatching(/^jwt-token:[0-9a-f]{32}$/),
      'jwt-client:service-1',
      'jwt:user-9',
    ]);
    expect(principals[0]).not.toBe(principals[1]);
  });
});

describe('failed authentications per client address', () => {
  it('answer 429 past the limit without checking the credential, on HTTP, SSE and graphql-ws, and are logged as a summary', async () => {
    const { stack, url, logs } = await secured({ access: { authFailuresPerMinute: 1, authFailureBurst: 3 } });
    const statuses = [];
    const attempts: Record<string, string>[] = [{ authorization: 'Bearer wrong-key-000000000000' }, { 'x-api-key': 'wrong' }, {}];
    for (const headers of attempts) {
      statuses.push((await post(url, headers)).status);
    }
    expect(statuses).toEqual([401, 401, 401]);

    // The address has used its failures: even a valid key is not looked at.
    const refused = await post(url, { authorization: `Bearer ${KEY}` });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(json(refused.body)).toEqual({
      errors: [
        {
          message: `Too many failed authentications from this address: retry in ${refused.headers['retry-after']} s`,
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(refused.headers['retry-after']) },
        },
      ],
    });
    const sse = await post(url, { authorization: `Bearer ${KEY}` }, { accept: 'text/event-stream' });
    expect(sse.status).toBe(429);
    expect(json(sse.body).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(json(sse.body).errors?.[0]?.extensions?.retryAfterSeconds).toBe(Number(sse.headers['retry-after']));
    expect(await wsClose(url, { authorization: `Bearer ${KEY}` })).toEqual({
      code: 4429,
      reason: expect.stringMatching(/^Too many failed authentications from this address: retry in \d+ s$/),
    });

    // Another address, and an in-process caller, are served as before.
    const other = await post(url, { authorization: `Bearer ${KEY}` }, { from: '127.0.0.2' });
    expect([other.status, json(other.body)]).toEqual([200, { data: { app: { appId: APP } } }]);
    expect((await stack.request({ query }, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect(stack.calls()).toEqual({ GetBackend: 2 });

    await stack.stop();
    const entries = logs();
    expect(entries.filter((e) => e.msg === 'authentication failed').map((e) => [e.address, e.transport, e.reason])).toEqual([
      ['127.0.0.1', 'http', 'The API key or token is not valid'],
    ]);
    expect(
      entries.filter((e) => e.msg === 'authentication failures from one address').map((e) => [e.address, e.failures, e.refused]),
    ).toEqual([['127.0.0.1', 3, 3]]);
  });

  it('count on graphql-ws as on HTTP', async () => {
    const { url } = await secured({ access: { authFailuresPerMinute: 1, authFailureBurst: 2 } });
    expect(await wsClose(url, { authorization: 'Bearer wrong-key-000000000000' })).toMatchObject({ code: 4401 });
    expect((await post(url, { 'x-api-key': 'wrong-key-000000000000' })).status).toBe(401);
    expect(await wsClose(url, { authorization: `Bearer ${KEY}` })).toMatchObject({ code: 4429 });
    expect((await post(url, { 'x-api-key': KEY })).status).toBe(429);
  });
});

describe('the failure guard', () => {
  function guard(options: { burst?: number; perMinute?: number; maxAddresses?: number } = {}) {
    let now = 0;
    const lines: Record<string, any>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const g = createAuthFailureGuard({ perMinute: 60, burst: 2, logger, now: () => now, ...options });
    return { g, lines, advance: (ms: number) => (now += ms) };
  }
  const attempt = (address: string | undefined) => ({ address, transport: 'http' as const });

  it('refuses an address once its failures are used up, until one is refilled', () => {
    const { g, advance } = guard({ burst: 2, perMinute: 60 });
    g.failed(attempt('10.0.0.1'), 'bad');
    expect(g.mayTry('10.0.0.1')).toEqual({ ok: true });
    g.failed(attempt('10.0.0.1'), 'bad');
    expect(g.mayTry('10.0.0.1')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(g.mayTry('10.0.0.2')).toEqual({ ok: true });
    // The same host by its IPv4-mapped IPv6 address is the same client.
    expect(g.mayTry('::ffff:10.0.0.1')).toMatchObject({ ok: false });
    advance(1000);
    expect(g.mayTry('10.0.0.1')).toEqual({ ok: true });
    g.stop();
  });

  it('logs the first failure of an address, then one summary per address and interval', () => {
    const { g, lines } = guard({ burst: 1000, maxAddresses: 2 });
    for (let i = 0; i < 500; i++) g.failed(attempt('10.0.0.1'), 'bad');
    g.failed(attempt('10.0.0.2'), 'bad');
    g.failed(attempt('10.0.0.3'), 'bad');
    g.failed(attempt('10.0.0.4'), 'bad');
    g.flush();
    expect(lines.map((l) => [l.msg, l.address, l.failures])).toEqual([
      ['authentication failed', '10.0.0.1', undefined],
      ['authentication failed', '10.0.0.2', undefined],
      ['authentication failures from one address', '10.0.0.1', 500],
      ['authentication failures from addresses beyond the first 2', undefined, 2],
    ]);
    // A new interval starts afresh.
    g.failed(attempt('10.0.0.1'), 'bad');
    g.stop();
    expect(lines.slice(4).map((l) => [l.msg, l.address])).toEqual([['authentication failed', '10.0.0.1']]);
  });

  it.each([
    ['203.0.113.9', '203.0.113.9'],
    ['::ffff:203.0.113.9', '203.0.113.9'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:ffff::1', '2001:db8:1:2::/64'],
    ['2001:0db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    [undefined, undefined],
  ])('keys the address %s as %s', (address, key) => {
    expect(clientAddress(address)).toBe(key);
  });
});

describe('GraphiQL', () => {
  const page = (url: string, acceptEncoding?: string, from?: string) =>
    send(url, { headers: { accept: 'text/html', ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) }, from });

  it('is served compressed by Accept-Encoding, and rate-limited per client address', async () => {
    const { stack, url } = await secured({ graphiqlPerMinute: 3 });
    const plain = await page(url);
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = plain.body.toString();
    expect(html).toContain('<title>amplifybackend-graphql</title>');

    const br = await page(url, 'gzip, deflate, br');
    expect([br.status, br.headers['content-encoding'], br.headers.vary]).toEqual([200, 'br', 'accept-encoding']);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).toString()).toBe(html);
    expect(br.body.length).toBeLessThan(plain.body.length / 3);

    const gzip = await page(url, 'gzip;q=1, br;q=0');
    expect([gzip.status, gzip.headers['content-encoding'], gzip.headers.vary]).toEqual([200, 'gzip', 'accept-encoding']);
    expect(gunzipSync(gzip.body).toString()).toBe(html);
    expect(gzip.body.length).toBeLessThan(plain.body.length / 3);

    // The fourth view in the minute from this address.
    const refused = await page(url, 'br');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(json(refused.body).errors?.[0]).toEqual({
      message: `Too many GraphiQL page views from this address: retry in ${refused.headers['retry-after']} s`,
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(refused.headers['retry-after']) },
    });
    // Not another address, nor the operations of this one.
    expect((await page(url, 'br', '127.0.0.2')).status).toBe(200);
    expect((await post(url, { authorization: `Bearer ${KEY}` })).status).toBe(200);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it.each([
    [null, 'identity'],
    ['', 'identity'],
    ['gzip, deflate, br', 'br'],
    ['gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['gzip;q=0.5, br;q=0.5', 'br'],
    ['*', 'br'],
    ['*;q=0', 'identity'],
    ['gzip;q=0, *', 'br'],
    ['br;q=0, gzip;q=0, *', 'identity'],
    ['deflate, identity', 'identity'],
    ['br;q=abc', 'identity'],
  ])('negotiates Accept-Encoding %j as %s', (header, encoding) => {
    expect(negotiateEncoding(header)).toBe(encoding);
  });

  it('answers any Accept-Encoding with an encoding the header does not refuse', () => {
    const token = fc.constantFrom('br', 'gzip', 'deflate', 'identity', '*', 'x', '');
    const part = fc.tuple(token, fc.option(fc.oneof(fc.constantFrom('0', '1', '0.5', 'x'), fc.string()), { nil: undefined }));
    const header = fc.oneof(
      fc.string(),
      fc.array(part, { maxLength: 6 }).map((parts) => parts.map(([t, q]) => (q === undefined ? t : `${t};q=${q}`)).join(', ')),
    );
    fc.assert(
      fc.property(header, (h) => {
        const encoding = negotiateEncoding(h);
        expect(['br', 'gzip', 'identity']).toContain(encoding);
        // An encoding chosen is one the header names or covers with `*`.
        if (encoding !== 'identity') expect(h.toLowerCase()).toMatch(new RegExp(`${encoding}|\\*`));
      }),
      { seed: 12, numRuns: 500 },
    );
  });
});
