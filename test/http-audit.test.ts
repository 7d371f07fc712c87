import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';

// The GraphQL over HTTP spec's own audits (graphql-http, all 61: MUST, SHOULD and MAY), over a
// real socket: the gateway's limits and checks must not break what a conforming client may send.

let stack: Stack;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  url = await stack.gateway.start(0, '127.0.0.1');
});
afterAll(() => stack.stop());

const audits = serverAudits({ url: () => url });

it.each(audits.map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
  const result = await audit.fn();
  // The reason says what the server answered instead.
  expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
});
