import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';

// The GraphQL over HTTP spec's own audits (graphql-http, all 61: MUST, SHOULD and MAY), over a
// real socket: the gateway's limits and checks, access control among them, must not break what a
// conforming client may send. The fast path (src/fast-path.ts) is on, as by default.

const apiKey = 'http-audit-key-0001';
let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack({
    gateway: { access: { insecure: false, apiKeys: [{ key: apiKey, scopes: ['read', 'write', 'admin'] }] } },
  });
  url = await stack.gateway.start(0, '127.0.0.1');
});
afterAll(() => stack.stop());

// Every audit's request carries the credential, as a client of a gateway that asks for one does.
const withCredential: typeof fetch = (input, init) =>
  fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: `Bearer ${apiKey}` } });

const audits = serverAudits({ url: () => url, fetchFn: withCredential });

it('serves the audits with access control on, the fast path taking the common requests', async () => {
  expect(stack.gateway.fastPath?.usable).toBe(true);
  const before = stack.gateway.fastPath!.served().fast;
  await audits.find((a) => a.id === '82A3')!.fn();
  expect(stack.gateway.fastPath!.served().fast).toBeGreaterThan(before);
});

it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
  const result = await audit.fn();
  // The reason says what the server answered instead.
  expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
});
