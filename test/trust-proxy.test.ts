import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { loadConfig, type AccessConfig } from '../src/config.js';
import { createClientAddress, type TrustProxy } from '../src/security/client-address.js';
import { itRefusesSettings } from './helpers-config.js';
import { startStack, until } from './helpers.js';
import { runOver, type Transport } from './helpers-transport.js';

// TRUST_PROXY: the client address that rate limits, failed-authentication limits and logs use
// comes from X-Forwarded-For only through proxies the operator trusts.

const request = (peer: string | undefined, forwardedFor?: string) =>
  ({ socket: { remoteAddress: peer }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('the client address of a request', () => {
  it.each<[string, TrustProxy, string | undefined, string | undefined, string | undefined]>([
    ['no trust: the TCP peer, whatever the header says', 0, '10.0.0.5', '203.0.113.7', '10.0.0.5'],
    ['one hop: the entry the proxy appended', 1, '10.0.0.5', '203.0.113.7', '203.0.113.7'],
    ['one hop: a made-up leftmost entry loses', 1, '10.0.0.5', '198.51.100.66, 203.0.113.7', '203.0.113.7'],
    ['two hops: the entry before the second proxy', 2, '10.0.0.5', '198.51.100.66, 203.0.113.7, 10.0.0.9', '203.0.113.7'],
    ['more hops than entries: the leftmost', 3, '10.0.0.5', '203.0.113.7', '203.0.113.7'],
    ['one hop, no header: the peer', 1, '10.0.0.5', undefined, '10.0.0.5'],
    ['a trusted network: the first entry from the right outside it', ['10.0.0.0/8'], '10.0.0.5', '198.51.100.66, 203.0.113.7, 10.0.0.9', '203.0.113.7'],
    ['a peer outside the trusted list: its header is ignored', ['10.0.0.0/8'], '192.0.2.1', '203.0.113.7', '192.0.2.1'],
    ['a named network', ['loopback'], '::ffff:127.0.0.1', '203.0.113.7', '203.0.113.7'],
    ['an IPv6 proxy and client', ['fd00::/8'], 'fd00::1', '2001:db8::1', '2001:db8::1'],
    ['ports and brackets as some proxies write them', 2, '10.0.0.5', '[2001:db8::2]:4711, 203.0.113.7:8080', '2001:db8::2'],
    ['an entry that is no address stops the walk at the proxy that wrote it', 2, '10.0.0.5', 'nonsense, 10.0.0.9', '10.0.0.9'],
    ['an in-process request has no address', 1, undefined, '203.0.113.7', undefined],
  ])('%s', (_what, trust, peer, forwardedFor, expected) => {
    expect(createClientAddress(trust).resolve(request(peer, forwardedFor))).toBe(expected);
  });
});

describe('TRUST_PROXY', () => {
  it('reads a hop count, false, or a list of addresses, networks and names', () => {
    expect(loadConfig({}).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.0/8, loopback ,2001:db8::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '2001:db8::1']);
  });

  itRefusesSettings([
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY=true would take any X-Forwarded-For a client makes up: give the number of proxies in front of the gateway (1 for one load balancer), or their addresses'],
    [{ TRUST_PROXY: '101' }, 'TRUST_PROXY must be a hop count from 0 to 100, or a list of addresses'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY entry "10.0.0.0/33" has a prefix length that is not 0 to 32'],
    [{ TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY entry "proxy.internal" is not an address, a network (address/prefix) or one of loopback, linklocal, uniquelocal'],
  ]);
});

/** A gateway on 127.0.0.1 (the proxy, as its clients' peer) whose clients get one request a minute. */
async function servedBehindProxy(trustProxy: TrustProxy, access: Partial<AccessConfig> = {}) {
  const lines: Record<string, any>[] = [];
  const stack = await startStack({
    gateway: { trustProxy, limits: { rateLimitPerMinute: 1, rateLimitBurst: 1 }, access, logLevel: 'info' },
    logDestination: { write: (chunk: string) => void lines.push(...chunk.split('\n').filter(Boolean).map((l) => JSON.parse(l))) },
  });
  const url = await stack.gateway.start(0, '127.0.0.1');
  return {
    stack,
    url,
    lines,
    [Symbol.asyncDispose]: () => stack.stop(),
    /** An operation over a real socket from the client the header names; the code of its first error, or 'ok'. */
    async from(transport: 'http' | Transport, forwardedFor: string, headers: Record<string, string> = {}) {
      const all = { 'x-forwarded-for': forwardedFor, ...headers };
      if (transport === 'http') {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...all },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
        return body.errors?.[0]?.extensions?.code ?? 'ok';
      }
      const answer = await runOver(transport, stack.gateway, { query: '{ __typename }' }, { headers: all, take: 1 });
      return answer.results[0]?.errors?.[0]?.extensions?.code ?? (answer.closed ? `closed ${answer.closed.code}` : 'ok');
    },
  };
}

describe.each(['http', 'sse', 'ws'] as const)('rate limits behind a proxy, over %s', (transport) => {
  it('two clients behind a trusted proxy take two buckets', async () => {
    await using served = await servedBehindProxy(1);
    expect(await served.from(transport, '203.0.113.1')).toBe('ok');
    expect(await served.from(transport, '203.0.113.2')).toBe('ok');
    expect(await served.from(transport, '203.0.113.1')).toBe('RATE_LIMITED');
  });

  it('a made-up leftmost entry does not buy a fresh bucket', async () => {
    await using served = await servedBehindProxy(['loopback']);
    expect(await served.from(transport, '203.0.113.1')).toBe('ok');
    expect(await served.from(transport, '198.51.100.66, 203.0.113.1')).toBe('RATE_LIMITED');
  });

  it.each<[string, TrustProxy]>([
    ['without TRUST_PROXY', 0],
    ['from a peer that is not a trusted proxy', ['10.0.0.0/8']],
  ])('%s the header is ignored: one bucket for the peer', async (_what, trust) => {
    await using served = await servedBehindProxy(trust);
    expect(await served.from(transport, '203.0.113.1')).toBe('ok');
    expect(await served.from(transport, '203.0.113.2')).toBe('RATE_LIMITED');
  });
});

describe('failed authentications and logs behind a proxy', () => {
  it('counts failures per forwarded client, and logs that client', async () => {
    await using served = await servedBehindProxy(1, {
      insecure: false,
      apiKeys: [{ key: 'trust-proxy-key-000001', scopes: ['read'] }],
      authFailuresPerMinute: 1,
      authFailureBurst: 1,
    });
    const wrong = { authorization: 'Bearer not-a-key-of-this-gateway' };
    expect(await served.from('http', '203.0.113.1', wrong)).toBe('UNAUTHENTICATED');
    expect(await served.from('http', '203.0.113.1', wrong)).toBe('RATE_LIMITED');
    expect(await served.from('http', '203.0.113.2', wrong)).toBe('UNAUTHENTICATED');
    expect(await served.from('ws', '203.0.113.2', wrong)).toBe('closed 4429');
    expect(await served.from('ws', '203.0.113.3', wrong)).toBe('closed 4401');

    await until(() => served.lines.filter((l) => l.msg === 'request').length >= 3, 'the request log lines');
    expect(served.lines.filter((l) => l.msg === 'request').map((l) => l.address)).toEqual(['203.0.113.1', '203.0.113.1', '203.0.113.2']);
    expect(served.lines.filter((l) => l.msg === 'authentication failed').map((l) => [l.transport, l.address])).toEqual([
      ['http', '203.0.113.1'],
      ['http', '203.0.113.2'],
      ['websocket', '203.0.113.3'],
    ]);
  });
});
