import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualScheduler, startStack, until, type Stack } from './helpers.js';
import { rawGraphQLWs, runOver, transports, type Transport } from './helpers-transport.js';

const APP = 'd1todoapp00001';
const KEY = 'k'.repeat(24);
const MAX_BODY_BYTES = 64 * 1024;
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

let stack: Stack;
let scheduler: ReturnType<typeof createManualScheduler>;
let url: string;

beforeAll(async () => {
  scheduler = createManualScheduler();
  stack = await startStack({
    scheduler,
    gateway: {
      jobPolling: polling,
      access: { apiKeys: [{ key: KEY, scopes: ['read', 'write'] }] },
      // A FUZZ_RUNS property sends thousands of subscribes; the rate limit has tests of its own.
      limits: { maxBodyBytes: MAX_BODY_BYTES, rateLimitPerMinute: 0 },
    },
  });
  url = await stack.gateway.start(0, '127.0.0.1');
});
afterAll(() => stack.stop());

const sockets: Awaited<ReturnType<typeof rawGraphQLWs>>[] = [];
async function connect(init?: Record<string, unknown>) {
  const raw = await rawGraphQLWs(url);
  sockets.push(raw);
  if (init) await raw.init(init);
  return raw;
}
afterAll(() => sockets.forEach((s) => s.close()));

/** A subscription watching a job that is running: it gets an event now, and one when the job completes. */
async function watchRunningJob(name: string) {
  const res = await stack.request(
    {
      query: `mutation { createBackendStorage(input: { appId: "${APP}", environmentName: "dev", resourceName: "${name}",
        config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
    },
    { 'x-api-key': KEY },
  );
  expect(res.body.errors).toBeUndefined();
  const jobId = (res.body as { data: any }).data.createBackendStorage.job.jobId as string;
  const watcher = await connect({ 'x-api-key': KEY });
  const before = stack.gateway.jobs.stats().subscribers;
  watcher.send({
    id: 'watch',
    type: 'subscribe',
    payload: {
      query: `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { state } }`,
    },
  });
  await until(() => stack.gateway.jobs.stats().subscribers === before + 1, 'the subscription');
  await scheduler.advance(0);
  await watcher.until(() => watcher.messages('watch').length === 1);
  expect(watcher.messages('watch')).toEqual([
    { id: 'watch', type: 'next', payload: { data: { backendJob: { state: 'IN_PROGRESS' } } } },
  ]);
  return {
    watcher,
    /** Lets the job complete and checks that the subscription saw it, and ended. */
    async completes() {
      await stack.emulator.advance(3000);
      await scheduler.advance(polling.maxIntervalMs);
      expect(await watcher.finished('watch')).toEqual([
        { id: 'watch', type: 'next', payload: { data: { backendJob: { state: 'IN_PROGRESS' } } } },
        { id: 'watch', type: 'next', payload: { data: { backendJob: { state: 'COMPLETED' } } } },
        { id: 'watch', type: 'complete' },
      ]);
    },
  };
}

describe('graphql-ws frames are bounded like request bodies (MAX_BODY_BYTES)', () => {
  it('closes a socket with 1009 on a frame over the limit before it authenticates, and others are served', async () => {
    const job = await watchRunningJob('frames');

    const unauthenticated = await connect();
    unauthenticated.send('x'.repeat(MAX_BODY_BYTES + 1));
    expect(await unauthenticated.closed).toEqual({ code: 1009, reason: '' });

    // An authenticated socket gets no larger frames.
    const authenticated = await connect({ 'x-api-key': KEY });
    authenticated.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ ${' '.repeat(MAX_BODY_BYTES)} __typename }` } }));
    expect(await authenticated.closed).toEqual({ code: 1009, reason: '' });

    await job.completes();
    const other = await connect({ 'x-api-key': KEY });
    other.send({ id: 'q', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await other.finished('q')).toEqual([
      { id: 'q', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'q', type: 'complete' },
    ]);
  });

  it('reads a frame of exactly the limit', async () => {
    const init = { type: 'connection_init', payload: { 'x-api-key': KEY, pad: '' } };
    const pad = MAX_BODY_BYTES - JSON.stringify(init).length;
    const raw = await connect();
    raw.send(JSON.stringify({ ...init, payload: { ...init.payload, pad: ' '.repeat(pad) } }));
    await raw.until(() => raw.received.length > 0);
    expect(raw.received).toEqual([{ type: 'connection_ack' }]);
  });
});

describe('malformed subscribe payloads over graphql-ws', () => {
  const badRequest = (message: string) => ({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  // prettier-ignore
  const payloads: [string, unknown, ReturnType<typeof badRequest>][] = [
    ['no payload', undefined, badRequest('Each operation must be a JSON object with "query"; got undefined')],
    ['a payload that is a string', 'query', badRequest('Each operation must be a JSON object with "query"; got string')],
    ['a query that is null', { query: null }, badRequest('Must provide query string.')],
    ['a query that is a number', { query: 5 }, badRequest('Expected "query" param to be a string, but given number.')],
    ['variables that are an array', { query: '{ __typename }', variables: [] }, badRequest('Expected "variables" param to be empty or an object, but given array.')],
    ['an operationName that is a number', { query: '{ __typename }', operationName: 1 }, badRequest('"operationName" must be a string; got number')],
    ['an empty operationName', { query: '{ __typename }', operationName: '' }, badRequest('"operationName" is empty: send the name of an operation in the document, or leave it out')],
  ];

  it('answers each on its own id, and the socket and its other subscriptions carry on', async () => {
    const job = await watchRunningJob('payloads');
    const { watcher } = job;
    for (const [what, payload, answer] of payloads) {
      stack.resetCalls();
      watcher.send({ id: what, type: 'subscribe', payload });
      expect(await watcher.finished(what), what).toEqual([
        { id: what, type: 'next', payload: answer },
        { id: what, type: 'complete' },
      ]);
      expect(stack.calls()).toEqual({});
    }
    watcher.send({ id: 'after', type: 'subscribe', payload: { query: '{ __typename }' } });
    expect(await watcher.finished('after')).toEqual([
      { id: 'after', type: 'next', payload: { data: { __typename: 'Query' } } },
      { id: 'after', type: 'complete' },
    ]);
    await job.completes();
    expect(watcher.socket.readyState).toBe(watcher.socket.OPEN);
  });

  it('answers any subscribe payload on its own id with coded errors, on a socket that stays open', async () => {
    const raw = await connect({ 'x-api-key': KEY });
    let id = 0;
    const value = fc.oneof(fc.string(), fc.jsonValue(), fc.constant(''), fc.constant('{ __typename }'));
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({ query: value, variables: value, operationName: value, extensions: value }, { requiredKeys: [] }),
    );
    await fc.assert(
      fc.asyncProperty(payload, async (sent) => {
        const mine = String(++id);
        raw.send({ id: mine, type: 'subscribe', payload: sent });
        const answer = await raw.finished(mine);
        expect(raw.socket.readyState).toBe(raw.socket.OPEN);
        expect(answer.at(-1)).toEqual({ id: mine, type: 'complete' });
        for (const message of answer.slice(0, -1)) {
          expect(message.type).toBe('next');
          for (const error of message.payload.errors ?? []) {
            expect(error).toEqual(expect.objectContaining({ message: expect.any(String), extensions: { code: expect.any(String) } }));
          }
        }
      }),
      { seed: 12, numRuns: Number(process.env.FUZZ_RUNS ?? 100) },
    );
  });

  it('ends a subscription the client completes', async () => {
    const { watcher } = await watchRunningJob('completed');
    const before = stack.gateway.jobs.stats().subscribers;
    watcher.send({ id: 'watch', type: 'complete' });
    await until(() => stack.gateway.jobs.stats().subscribers === before - 1, 'the subscription to end');
    await stack.emulator.advance(3000); // The job finishes, so that the app may start another.
  });

  it('closes only the socket that sends what is no graphql-ws message, with 4400', async () => {
    const job = await watchRunningJob('offender');
    const offender = await connect({ 'x-api-key': KEY });
    offender.send('{ not json');
    expect(await offender.closed).toEqual({ code: 4400, reason: 'Invalid message received' });
    await job.completes();
  });
});

describe('the rate limit on every transport', () => {
  const keys = { http: 'h'.repeat(24), sse: 's'.repeat(24), ws: 'w'.repeat(24) };
  const others = { http: 'H'.repeat(24), sse: 'S'.repeat(24), ws: 'W'.repeat(24) };
  let limited: Stack;
  beforeAll(async () => {
    limited = await startStack({
      gateway: {
        access: { apiKeys: [...Object.values(keys), ...Object.values(others)].map((key) => ({ key, scopes: ['read'] })) },
        limits: { rateLimitBurst: 2, rateLimitPerMinute: 1 },
      },
    });
    await limited.gateway.start(0, '127.0.0.1');
  });
  afterAll(() => limited.stop());

  it.each(transports)('refuses operations past the burst over %s with retryAfterSeconds, while another client is served', async (transport: Transport) => {
    const credential = { headers: { 'x-api-key': keys[transport] }, connectionParams: { 'x-api-key': keys[transport] } };
    const query = { query: '{ __typename }' };
    for (let i = 0; i < 2; i++) {
      expect((await runOver(transport, limited.gateway, query, credential)).results).toEqual([{ data: { __typename: 'Query' } }]);
    }
    const refused = await runOver(transport, limited.gateway, query, credential);
    expect(refused.results).toEqual([
      { errors: [{ message: 'Rate limit exceeded: retry in 60 s', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 60 } }] },
    ]);
    if (transport !== 'ws') expect(refused.status).toBe(429);
    const other = { headers: { 'x-api-key': others[transport] }, connectionParams: { 'x-api-key': others[transport] } };
    expect((await runOver(transport, limited.gateway, query, other)).results).toEqual([{ data: { __typename: 'Query' } }]);
  });
});
