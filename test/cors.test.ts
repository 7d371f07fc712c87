import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createOriginPolicy, describeOrigins } from '../src/security/cors.js';
import { createGateway } from '../src/server.js';
import { scoped, startStack, type Stack } from './helpers.js';
import { configError } from './helpers-config.js';
import { send, type RawAnswer } from './helpers-http.js';
import { readmeExample, runShell, shellCommands } from './helpers-readme.js';

// CORS_ORIGINS: which browser origins may call the gateway, over HTTP (preflights and the CORS
// headers of every answer) and graphql-ws (the upgrade's Origin).

const KEY = 'cors-test-key-000000000001';
/** A client of its own for the rate limit's test: the burst is 3. */
const LIMITED_KEY = 'cors-test-key-000000000002';
const query = JSON.stringify({ query: '{ __typename }' });

/** What a browser sends before a cross-origin POST with a JSON body and an API key. */
const preflight = (url: string, origin: string) =>
  send(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key' },
  });

const post = (url: string, headers: Record<string, string>) =>
  send(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: query });

/** The CORS headers of an answer, which a browser reads to let a page see it. */
const corsHeaders = (answer: RawAnswer) =>
  Object.fromEntries(Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-') || name === 'vary'));

/** How a WebSocket upgrade with this Origin (none when undefined) is answered: 101, or the refusal's status and body. */
function upgrade(url: string, origin?: string): Promise<{ status: number; body?: unknown }> {
  const socket = new WebSocket(url.replace('http://', 'ws://'), 'graphql-transport-ws', origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    socket.once('error', reject);
  });
}

const listed = ['https://app.example.com', 'https://*.example.org'];
const allowed = (origin: string) => ({
  'access-control-allow-origin': origin,
  'access-control-allow-credentials': 'true',
  'access-control-expose-headers': 'x-request-id, retry-after',
  'access-control-max-age': '600',
  vary: 'Origin',
});

// Three gateways: access control on with a list, on without one, and open (the embedded demo's case).
let stacks: Record<'keyed' | 'unlisted' | 'open', Stack>;
const urls: Record<keyof typeof stacks, string> = { keyed: '', unlisted: '', open: '' };
beforeAll(async () => {
  const access = { apiKeys: [KEY, LIMITED_KEY].map((key) => ({ key, scopes: ['read' as const] })) };
  stacks = {
    keyed: await startStack({ gateway: { access, corsOrigins: listed, limits: { rateLimitBurst: 3, rateLimitPerMinute: 1 } } }),
    unlisted: await startStack({ gateway: { access } }),
    open: await startStack(),
  };
  for (const name of Object.keys(stacks) as (keyof typeof stacks)[]) urls[name] = await stacks[name].gateway.start(0, '127.0.0.1');
});
afterAll(() => Promise.all(Object.values(stacks).map((s) => s.stop())));

describe('CORS_ORIGINS', () => {
  it('reads exact origins, *.host patterns and *, normalized as browsers write an origin', () => {
    expect(loadConfig({ CORS_ORIGINS: ' https://App.Example.com:443/ , http://localhost:5173,https://*.example.org' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
      'https://*.example.org',
    ]);
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(loadConfig({}).corsOrigins).toBeUndefined();
  });

  it('refuses what is no origin, naming the setting', () => {
    expect(configError({ CORS_ORIGINS: 'app.example.com,https://a.example.com/app,https://x.*.example.com,ftp://a.example.com' }).message)
      .toMatchInlineSnapshot(`
        "invalid configuration:
          - CORS_ORIGINS entry "app.example.com" is not an http(s) origin: write scheme://host[:port] as a browser sends it in Origin, e.g. https://app.example.com, or https://*.example.com for its subdomains
          - CORS_ORIGINS entry "https://a.example.com/app" is not an origin (it has a path, query or user): write scheme://host[:port] as a browser sends it in Origin, e.g. https://app.example.com, or https://*.example.com for its subdomains
          - CORS_ORIGINS entry "https://x.*.example.com": a * may only stand for the subdomains of a host, as in https://*.example.com
          - CORS_ORIGINS entry "ftp://a.example.com" is not an http(s) origin: write scheme://host[:port] as a browser sends it in Origin, e.g. https://app.example.com, or https://*.example.com for its subdomains"
      `);
    expect(configError({ CORS_ORIGINS: ' , ' }).message).toContain('CORS_ORIGINS lists no origin');
  });

  it('restricts an open gateway too once set', () => {
    const policy = createOriginPolicy({ origins: listed, open: true });
    expect(['https://app.example.com', 'https://a.example.org', 'https://elsewhere.example.net'].map(policy.allows)).toEqual([true, true, false]);
    expect(createOriginPolicy({ origins: ['*'], open: false }).allows('https://elsewhere.example.net')).toBe(true);
  });

  it('is told in the start banner, with how to allow an origin where none may call', () => {
    expect(describeOrigins({ open: false })).toBe(
      '  browsers: no page of another origin may call; set CORS_ORIGINS=https://app.example.com (comma-separated, https://*.example.com for subdomains) to allow one',
    );
    expect(describeOrigins({ open: true })).toBe('  browsers: pages from any origin may call (open gateway; CORS_ORIGINS restricts them)');
    expect(describeOrigins({ open: false, origins: listed })).toBe(
      '  browsers: pages from https://app.example.com, https://*.example.org may call (CORS_ORIGINS)',
    );
  });
});

describe('preflights over a real socket', () => {
  it.each([
    ['keyed', 'a listed origin', 'https://app.example.com'],
    ['keyed', 'a subdomain of a listed pattern', 'https://team.example.org'],
    ['keyed', 'a deeper subdomain of a listed pattern', 'https://a.team.example.org'],
    ['open', 'any origin on an open gateway without a list', 'https://anywhere.example.net'],
  ] as const)('pass for %s: %s', async (gateway, _what, origin) => {
    const answer = await preflight(urls[gateway], origin);
    expect(answer.status).toBe(204);
    expect(corsHeaders(answer)).toEqual({
      ...allowed(origin),
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': 'content-type,x-api-key',
      vary: 'Origin, Access-Control-Request-Headers',
    });
  });

  it.each([
    ['keyed', 'an origin not listed', 'https://evil.example.com'],
    ['keyed', 'the pattern\'s own host (a pattern is for subdomains)', 'https://example.org'],
    ['keyed', 'a listed host over another scheme', 'http://app.example.com'],
    ['keyed', 'a listed host on another port', 'https://app.example.com:8443'],
    ['keyed', 'a host that only ends like the pattern', 'https://evilexample.org'],
    ['keyed', 'a sandboxed frame or a file (Origin: null)', 'null'],
    ['unlisted', 'any origin when keys are on and no list is set', 'https://app.example.com'],
  ] as const)('fail for %s: %s (no CORS header at all)', async (gateway, _what, origin) => {
    const answer = await preflight(urls[gateway], origin);
    expect(corsHeaders(answer)).toEqual({});
  });
});

describe('answers a page may read', () => {
  it('expose x-request-id on a result, and retry-after with retryAfterSeconds on a 429, to a listed origin', async () => {
    const origin = 'https://app.example.com';
    const headers = { origin, 'x-api-key': LIMITED_KEY };
    for (let i = 0; i < 3; i++) {
      const ok = await post(urls.keyed, headers);
      expect(ok.status).toBe(200);
      expect(corsHeaders(ok)).toEqual(allowed(origin));
      expect(ok.headers['x-request-id']).toEqual(expect.any(String));
    }
    const limited = await post(urls.keyed, headers);
    expect([limited.status, limited.headers['retry-after']]).toEqual([429, '60']);
    expect(corsHeaders(limited)).toEqual(allowed(origin));
    expect(JSON.parse(limited.body.toString())).toEqual({
      errors: [{ message: 'Rate limit exceeded: retry in 60 s', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60 } }],
    });
  });

  it('carry CORS headers on a 401 too, so that a page can show why', async () => {
    const answer = await post(urls.keyed, { origin: 'https://team.example.org' });
    expect(answer.status).toBe(401);
    expect(corsHeaders(answer)).toEqual(allowed('https://team.example.org'));
  });

  it('carry none to an origin not allowed, nor without Origin (not a cross-origin browser request)', async () => {
    expect(corsHeaders(await post(urls.keyed, { origin: 'https://evil.example.com', 'x-api-key': KEY }))).toEqual({});
    expect(corsHeaders(await post(urls.unlisted, { origin: 'https://app.example.com', 'x-api-key': KEY }))).toEqual({});
    expect(corsHeaders(await post(urls.unlisted, { 'x-api-key': KEY }))).toEqual({});
  });
});

describe('the graphql-ws upgrade', () => {
  it.each([
    ['keyed', 'a listed origin', 'https://app.example.com'],
    ['keyed', 'a subdomain of a listed pattern', 'https://team.example.org'],
    ['keyed', 'no Origin (not a browser)', undefined],
    ['unlisted', 'no Origin (not a browser)', undefined],
    ['open', 'any origin on an open gateway without a list', 'https://anywhere.example.net'],
  ] as const)('goes on on the %s gateway from %s', async (gateway, _what, origin) => {
    expect(await upgrade(urls[gateway], origin)).toEqual({ status: 101 });
  });

  it.each([
    ['keyed', 'an origin not listed', 'https://evil.example.com'],
    ['keyed', 'Origin: null', 'null'],
    ['unlisted', 'any origin when keys are on and no list is set', 'https://app.example.com'],
  ] as const)('is refused with 403 before the upgrade on the %s gateway from %s', async (gateway, _what, origin) => {
    expect(await upgrade(urls[gateway], origin)).toEqual({
      status: 403,
      body: { errors: [{ message: `Pages from ${origin} may not open a WebSocket here (CORS_ORIGINS)`, extensions: { code: 'FORBIDDEN' } }] },
    });
  });
});

describe('the README', () => {
  it('cors: the gateway started as written answers the preflight shown, to the origins listed only', async () => {
    const [start, curl, answer] = readmeExample('cors');
    // `NAME=value ... npm start`, run as src/main.ts runs it, in-process, on free ports.
    const [command] = shellCommands(start.body);
    const settings = Object.fromEntries([...command.matchAll(/(\w+)=(\S+) /g)].map((m) => [m[1], m[2]]));
    expect(command.replace(/^(\w+=\S+ )+/, '')).toBe('npm start');
    expect(Object.keys(settings)).toEqual(['GATEWAY_API_KEYS', 'CORS_ORIGINS']);
    await using gateway = scoped(
      await createGateway(loadConfig({ ...settings, PORT: '0', EMULATOR_PORT: '0', LOG_LEVEL: 'silent' })),
      (g) => g.stop(),
    );
    const url = await gateway.start(0);

    const [preflightCommand] = shellCommands(curl.body);
    expect(preflightCommand).toContain('http://127.0.0.1:4000/graphql');
    const run = async (origin: string) => {
      const res = await runShell(preflightCommand.replace('http://127.0.0.1:4000/graphql', url).replace('https://app.example.com', origin));
      expect(res.code).toBe(0);
      return res.stdout.split('\r\n');
    };
    const shown = answer.body.trimEnd().split('\n');
    const answered = await run('https://app.example.com');
    for (const line of shown) expect(answered).toContain(line);
    expect(answered.filter((line) => /^access-control-/.test(line))).toEqual(shown.filter((line) => /^access-control-/.test(line)));

    const preview = await run('https://pr-12.preview.example.com');
    expect(preview).toContain('access-control-allow-origin: https://pr-12.preview.example.com');
    const other = await run('https://elsewhere.example.net');
    expect(other[0]).toBe('HTTP/1.1 204 No Content');
    expect(other.filter((line) => /^access-control-/.test(line))).toEqual([]);
  });
});
