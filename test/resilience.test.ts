import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AmplifyBackend } from '../src/aws/client.js';
import type { ResilienceOptions } from '../src/aws/resilience.js';
import type { ResilienceConfig } from '../src/config.js';
import { createManualScheduler, fakeCredentials, startStack, until, type Stack, nothingKept } from './helpers.js';
import { useFileStack } from './helpers-stack.js';
import { startProbedStack } from './helpers-upstream.js';

// Upstream faults injected in the emulator, seen through the gateway: SDK retries, request
// timeouts, dropped connections, the circuit breaker and the concurrency cap with its queue.
// The exact error shapes are in errors.test.ts; here it is about counts, states and bounds.

const TODO = 'd1todoapp00001';
const APP = `query ($appId: ID!) { app(appId: $appId) { appId appName } }`;
const todo = { data: { app: { appId: TODO, appName: 'todo-app' } } };

const codes = (res: { errors?: { extensions?: Record<string, any> }[] }) =>
  res.errors?.map((e) => e.extensions?.code);


// Counts upstream calls and failures per request: nothing kept across requests.
describe('SDK retries', () => {
  // prettier-ignore
  const onEveryAttempt: { name: string; fault: 'throttle' | 'timeout' | 'drop'; code: string; awsErrorName: string }[] = [
    { name: 'a 429 storm: RATE_LIMITED after exactly that many calls', fault: 'throttle', code: 'RATE_LIMITED', awsErrorName: 'TooManyRequestsException' },
    { name: 'a 504 on every attempt: UPSTREAM_TIMEOUT after that many calls', fault: 'timeout', code: 'UPSTREAM_TIMEOUT', awsErrorName: 'GatewayTimeoutException' },
    { name: 'every attempt dropped: UPSTREAM_ERROR after that many calls', fault: 'drop', code: 'UPSTREAM_ERROR', awsErrorName: 'ECONNRESET' },
  ];

  describe.each([1, 2])('upstreamMaxAttempts %i', (attempts) => {
    let stack: Stack;
    useFileStack((started) => (stack = started), { start: { gateway: { ...nothingKept, upstreamMaxAttempts: attempts } }, clearFaults: true });

    it.each(onEveryAttempt)('$name', async ({ fault, code, awsErrorName }) => {
      stack.emulator.faults.inject({ operation: 'GetBackend', type: fault, forever: true });
      const res = await stack.graphql(APP, { appId: TODO });
      expect(res.data).toEqual({ app: null });
      expect(codes(res)).toEqual([code]);
      expect(res.errors?.[0].extensions?.awsErrorName).toBe(awsErrorName);
      expect(stack.calls()).toEqual({ GetBackend: attempts });
    });
  });

  describe('fewer faults than attempts', () => {
    let stack: Stack;
    useFileStack((started) => (stack = started), { start: { gateway: { ...nothingKept, upstreamMaxAttempts: 3 } }, clearFaults: true });

    // prettier-ignore
    it.each<{ name: string; fault: 'throttle' | 'timeout' | 'drop'; count: number }>([
      { name: 'throttled once: the retry succeeds', fault: 'throttle', count: 1 },
      { name: 'two 504s: the third attempt succeeds', fault: 'timeout', count: 2 },
      { name: 'dropped connections: the retry succeeds', fault: 'drop', count: 2 },
    ])('$name', async ({ fault, count }) => {
      stack.emulator.faults.inject({ operation: 'GetBackend', type: fault, count });
      expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
      expect(stack.calls()).toEqual({ GetBackend: count + 1 });
    });

    it('a dropped mutation is retried too, and done once', async () => {
      stack.emulator.faults.inject({ operation: 'CreateToken', type: 'drop', count: 1 });
      const res = await stack.graphql(
        `mutation { createToken(input: { appId: "${TODO}" }) { token { sessionId } } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.createToken.token.sessionId).toEqual(expect.any(String));
      // The dropped request never reached the store: one token, not two.
      expect(stack.calls()).toEqual({ CreateToken: 2 });
    });
  });
});

describe('upstreamTimeoutMs', () => {
  let stack: Awaited<ReturnType<typeof startProbedStack>>;
  beforeAll(async () => {
    stack = await startProbedStack({ gateway: { ...nothingKept, upstreamTimeoutMs: 300, upstreamMaxAttempts: 1 } });
  });
  afterAll(() => stack.stop());
  beforeEach(() => {
    stack.emulator.faults.clear();
    stack.resetCalls();
  });

  it('a 2 s upstream: UPSTREAM_TIMEOUT, answered well before the 2 s', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 2000 });
    const answered = stack.probe.answered();
    const res = await stack.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect(codes(res)).toEqual(['UPSTREAM_TIMEOUT']);
    expect(res.errors?.[0].extensions?.awsErrorName).toBe('TimeoutError');
    // Well before the 2 s: the one call went upstream and the emulator had not answered it yet.
    expect(stack.calls()).toEqual({ GetBackend: 1 });
    expect(stack.probe.answered()).toBe(answered);
  });

  // Not too early either: latency under the 300 ms is answered.
  it.each([50, 200])('latency under the timeout (%i ms) is no error', async (delayMs) => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs });
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('each retry gets its own timeout: two slow attempts, two calls', async () => {
    await using retrying = await startStack({ gateway: { ...nothingKept, upstreamTimeoutMs: 300, upstreamMaxAttempts: 2 } });
    retrying.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 2000, forever: true });
    const res = await retrying.graphql(APP, { appId: TODO });
    expect(codes(res)).toEqual(['UPSTREAM_TIMEOUT']);
    expect(retrying.calls()).toEqual({ GetBackend: 2 });
  });

  it('a slow first attempt, a fast retry: success', async () => {
    await using retrying = await startStack({ gateway: { ...nothingKept, upstreamTimeoutMs: 300, upstreamMaxAttempts: 2 } });
    retrying.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 2000 });
    expect(await retrying.graphql(APP, { appId: TODO })).toEqual(todo);
    expect(retrying.calls()).toEqual({ GetBackend: 2 });
  });
});

describe('circuit breaker', () => {
  const resetMs = 200;
  let stack: Awaited<ReturnType<typeof startProbedStack>>;
  let clock: ReturnType<typeof createManualScheduler>;
  beforeEach(async () => {
    clock = createManualScheduler();
    // The config declares no clock: defineConfig and createGateway hand `resilience` to the
    // breaker as it is, so the open interval runs on this one.
    const resilience: Partial<ResilienceConfig> & Pick<ResilienceOptions, 'now'> = {
      breakerMinCalls: 4, breakerErrorPercent: 50, breakerResetMs: resetMs, now: clock.now,
    };
    stack = await startProbedStack({ gateway: { ...nothingKept, upstreamMaxAttempts: 1, resilience } });
  });
  afterEach(() => stack.stop());

  const circuit = () => stack.gateway.aws.health().circuit;

  /** Moves the breaker's clock through the open interval: open until its last millisecond, then half open. */
  async function waitOutResetMs() {
    await clock.advance(resetMs - 1);
    expect(circuit()).toBe('open');
    await clock.advance(1);
    expect(circuit()).toBe('halfOpen');
  }

  /** Fails GetBackend until the circuit opens; gives the number of failed queries. */
  async function openCircuit() {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal', forever: true });
    let failed = 0;
    while (circuit() === 'closed' && failed < 20) {
      const res = await stack.graphql(APP, { appId: TODO });
      expect(codes(res)).toEqual(['UPSTREAM_ERROR']);
      failed++;
    }
    expect(circuit()).toBe('open');
    return failed;
  }

  it('opens after breakerMinCalls failures; then fails fast, with no upstream call', async () => {
    expect(circuit()).toBe('closed');
    expect(await openCircuit()).toBe(4);
    expect(stack.calls()).toEqual({ GetBackend: 4 });

    stack.resetCalls();
    const res = await stack.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]).toMatchObject({
      path: ['app'],
      extensions: { code: 'UPSTREAM_UNAVAILABLE', operation: 'GetBackend', awsErrorName: 'CircuitOpen' },
    });
    expect(res.errors?.[0].message).toMatch(/circuit open/);
    // The wait until the breaker lets a trial call through: at most its reset time, at least 1 s.
    expect(res.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(res.errors?.[0].extensions?.retryAfterSeconds).toBeLessThanOrEqual(Math.ceil(resetMs / 1000));
    // Every operation shares the circuit: a mutation fails fast as well.
    const mutation = await stack.graphql(
      `mutation { createToken(input: { appId: "${TODO}" }) { token { sessionId } } }`,
    );
    expect(codes(mutation)).toEqual(['UPSTREAM_UNAVAILABLE']);
    // Fast: nothing went upstream or waited for it.
    expect(stack.calls()).toEqual({});
    expect(stack.gateway.aws.health()).toEqual({ circuit: 'open', inFlight: 0, queued: 0 });
  });

  it('closes again after breakerResetMs once upstream is healthy', async () => {
    await openCircuit();
    stack.emulator.faults.clear();
    // Still open right after the fault is gone: nothing is tried before the reset time.
    stack.resetCalls();
    expect(codes(await stack.graphql(APP, { appId: TODO }))).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.calls()).toEqual({});

    await waitOutResetMs();
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
    expect(circuit()).toBe('closed');
    for (let i = 0; i < 3; i++) expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
    expect(stack.calls()).toEqual({ GetBackend: 4 });
  });

  it('counts afresh once closed: one failure after recovery does not open it again', async () => {
    await openCircuit();
    stack.emulator.faults.clear();
    await waitOutResetMs();
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
    expect(circuit()).toBe('closed');
    // The failures that opened it are history: this one is 1 call of 1, under breakerMinCalls.
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal' });
    expect(codes(await stack.graphql(APP, { appId: TODO }))).toEqual(['UPSTREAM_ERROR']);
    expect(circuit()).toBe('closed');
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
  });

  it('a failed trial call opens it again', async () => {
    await openCircuit();
    await waitOutResetMs();
    stack.resetCalls();
    expect(codes(await stack.graphql(APP, { appId: TODO }))).toEqual(['UPSTREAM_ERROR']);
    expect(circuit()).toBe('open');
    expect(codes(await stack.graphql(APP, { appId: TODO }))).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('half open: one trial call goes upstream, calls beside it fail fast as UPSTREAM_UNAVAILABLE', async () => {
    const failed = await openCircuit();
    stack.emulator.faults.clear();
    await waitOutResetMs();
    stack.resetCalls();
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 500, forever: true });
    const trial = stack.graphql(APP, { appId: TODO });
    // The trial call has reached upstream.
    await stack.probe.arrived(failed + 1);
    // Another app: the same read would share the trial call in flight instead.
    const beside = await stack.graphql(APP, { appId: 'd2gallery00002' });
    expect(beside.data).toEqual({ app: null });
    expect(beside.errors?.[0].extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', awsErrorName: 'CircuitOpen' });
    expect(await trial).toEqual(todo);
    expect(circuit()).toBe('closed');
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('NOT_FOUND and BAD_USER_INPUT answers never open it', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await stack.graphql(
        `{ backendEnvironment(appId: "${TODO}", name: "missing${i}") { name } environment: app(appId: "nope${i}") { appId } }`,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ backendEnvironment: null, environment: null });
    }
    for (let i = 0; i < 6; i++) {
      const res = await stack.graphql(
        `mutation { createBackend(input: { appId: "${TODO}", appName: "todo-app", environmentName: "dev" }) { app { appId } } }`,
      );
      expect(codes(res)).toEqual(['BAD_USER_INPUT']);
    }
    for (let i = 0; i < 6; i++) {
      const res = await stack.graphql(`mutation {
        deleteBackend(input: { appId: "${TODO}", environmentName: "qa${i}" }) { job { jobId } }
      }`);
      expect(codes(res)).toEqual(['NOT_FOUND']);
    }
    expect(circuit()).toBe('closed');
    // One real failure among them is well under 50 %.
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal' });
    expect(codes(await stack.graphql(APP, { appId: TODO }))).toEqual(['UPSTREAM_ERROR']);
    expect(circuit()).toBe('closed');
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
  });
});

/**
 * An AmplifyBackend stand-in on 127.0.0.1 that refuses every call with one HTTP status and error
 * type, for the statuses the emulator has no route to; the readiness probe's app it answers
 * NotFound, as the service does.
 */
async function refusingUpstream(status: number, errorType: string) {
  const server = createServer((req, res) => {
    const probe = req.url?.includes('/readiness-probe/');
    res.writeHead(probe ? 404 : status, {
      'content-type': 'application/json',
      'x-amzn-errortype': probe ? 'NotFoundException' : errorType,
    });
    res.end(JSON.stringify({ message: probe ? 'App readiness-probe not found' : `refused with ${status}` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** GET /ready of the stack's gateway, listening on 127.0.0.1 for it. */
async function ready(stack: Stack) {
  const url = stack.gateway.url ?? (await stack.gateway.start(0, '127.0.0.1'));
  const res = await fetch(url.replace(/\/graphql$/, '/ready'));
  return { status: res.status, body: await res.json() };
}

describe('circuit breaker: only failures of AmplifyBackend itself count', () => {
  // Four failures of four calls would open it.
  const breaker = { upstreamMaxAttempts: 1, resilience: { breakerMinCalls: 4, breakerErrorPercent: 50, breakerResetMs: 60_000 } };
  const app = (appId: string) => (aws: AmplifyBackend) => aws.call('GetBackend', { appId });

  interface ClientCaused {
    name: string;
    /** The stand-in's status and error type; without it, the emulator. */
    refusal?: [number, string];
    upstreamPath?: string;
    call: (aws: AmplifyBackend) => Promise<unknown>;
    expected: Record<string, unknown>;
    /** What /ready says of upstream after them. @default 'ok' */
    readiness?: string | RegExp;
  }

  it.each<ClientCaused>([
    {
      // Refused by the client's path-segment check; the SDK would throw URI malformed.
      name: 'a lone surrogate in an app id (never sent)',
      call: app('ab\ud800cd'),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'InvalidPathSegment', httpStatus: undefined, attempts: 0 },
    },
    {
      name: 'a lone surrogate in a job id',
      call: (aws) => aws.call('GetBackendJob', { appId: TODO, backendEnvironmentName: 'dev', jobId: 'job\udc00' }),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'InvalidPathSegment' },
    },
    {
      name: 'a path label missing (the SDK refuses to serialize: never sent)',
      call: (aws) => aws.call('GetBackendJob', { appId: TODO, backendEnvironmentName: 'dev' } as never),
      expected: { code: 'BAD_USER_INPUT', httpStatus: undefined, attempts: 0 },
    },
    {
      name: 'a raw 404 for a path that is no operation (UnknownOperationException)',
      refusal: [404, 'UnknownOperationException'],
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'UnknownOperationException', httpStatus: 404 },
    },
    {
      // Every call goes to a path no operation has: not ready, because of what the probe is
      // answered, not because of an open circuit.
      name: 'an endpoint whose path no operation has: raw 404s from the emulator',
      upstreamPath: '/not-amplifybackend',
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'UnknownOperationException', httpStatus: 404 },
      readiness: /^BAD_USER_INPUT: AmplifyBackend refused the request \(HTTP 404 UnknownOperationException\)/,
    },
    {
      name: '".." as an app id (never sent)',
      call: app('..'),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'InvalidPathSegment', attempts: 0 },
    },
    {
      name: 'a 400 the model does not name',
      refusal: [400, 'InvalidParameterException'],
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'InvalidParameterException', httpStatus: 400 },
    },
    {
      name: 'a 405 Method Not Allowed',
      refusal: [405, 'MethodNotAllowedException'],
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', awsErrorName: 'MethodNotAllowedException', httpStatus: 405 },
    },
    {
      name: 'a 409 Conflict',
      refusal: [409, 'ConflictException'],
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', httpStatus: 409 },
    },
    {
      name: 'a 413 Payload Too Large',
      refusal: [413, 'RequestEntityTooLargeException'],
      call: app(TODO),
      expected: { code: 'BAD_USER_INPUT', httpStatus: 413 },
    },
    {
      // The gateway's credentials, not the client's doing, but no failure of the service either.
      name: 'a 403 Access Denied',
      refusal: [403, 'AccessDeniedException'],
      call: app(TODO),
      expected: { code: 'UPSTREAM_ERROR', awsErrorName: 'AccessDeniedException', httpStatus: 403 },
    },
    {
      name: 'a call its caller aborted',
      call: (aws) => aws.call('GetBackend', { appId: TODO }, { signal: AbortSignal.abort() }),
      expected: { code: 'UPSTREAM_ERROR', awsErrorName: 'AbortError' },
    },
  ])('$name: 30 of them leave the circuit closed and /ready ready', async ({ refusal, upstreamPath, call, expected, readiness = 'ok' }) => {
    await using upstream = refusal ? await refusingUpstream(...refusal) : undefined;
    const gateway = upstream
      ? { ...breaker, upstream: { kind: 'aws' as const, endpoint: upstream.url, region: 'us-east-1', credentials: fakeCredentials } }
      : breaker;
    await using stack = await startStack({ gateway: { ...nothingKept, ...gateway }, upstreamPath });
    for (let i = 0; i < 30; i++) {
      await expect(call(stack.gateway.aws)).rejects.toMatchObject({ name: 'UpstreamError', upstreamFault: false, ...expected });
    }
    expect(stack.gateway.aws.health().circuit).toBe('closed');
    const { status, body } = await ready(stack);
    if (typeof readiness === 'string') expect(body.checks.upstream).toBe(readiness);
    else expect(body.checks.upstream).toMatch(readiness);
    expect(status).toBe(readiness === 'ok' ? 200 : 503);
  });

  it('a lone surrogate costs no upstream call at all', async () => {
    await using stack = await startStack({ gateway: { ...nothingKept, ...breaker } });
    await expect(stack.gateway.aws.call('GetBackend', { appId: 'ab\ud800cd' })).rejects.toThrow(/lone surrogate/);
    expect(stack.calls()).toEqual({});
  });

  it.each<{ name: string; fault: 'internal' | 'timeout' | 'drop' | 'throttle' | 'latency'; expected: Record<string, unknown> }>([
    { name: 'a 500 from a real route', fault: 'internal', expected: { code: 'UPSTREAM_ERROR', httpStatus: 500 } },
    { name: 'a 504 gateway timeout', fault: 'timeout', expected: { code: 'UPSTREAM_TIMEOUT', httpStatus: 504 } },
    { name: 'a dropped connection', fault: 'drop', expected: { code: 'UPSTREAM_ERROR', awsErrorName: 'ECONNRESET' } },
    { name: 'throttling after the retries', fault: 'throttle', expected: { code: 'RATE_LIMITED', httpStatus: 429 } },
    { name: 'no answer within upstreamTimeoutMs', fault: 'latency', expected: { code: 'UPSTREAM_TIMEOUT', awsErrorName: 'TimeoutError' } },
  ])('$name still counts: four open the circuit and /ready says degraded', async ({ fault, expected }) => {
    await using stack = await startStack({ gateway: { ...nothingKept, ...breaker, upstreamTimeoutMs: 200 } });
    stack.emulator.faults.inject({ operation: 'GetBackend', type: fault, forever: true, delayMs: 2000 });
    for (let i = 0; i < 4; i++) {
      await expect(stack.gateway.aws.call('GetBackend', { appId: TODO })).rejects.toMatchObject({ upstreamFault: true, ...expected });
    }
    expect(stack.gateway.aws.health().circuit).toBe('open');
    // 200, not 503, since issue 15: an open breaker keeps the instance in its load balancer (readiness.ts).
    expect(await ready(stack)).toEqual({ status: 200, body: { status: 'degraded', checks: { upstream: 'circuit open' } } });
  });
});

describe('concurrency cap', () => {
  it('10 parallel queries with maxConcurrency 2: never more than 2 upstream calls in flight, all succeed', async () => {
    await using stack = await startProbedStack({ gateway: { ...nothingKept, resilience: { maxConcurrency: 2 } } });
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 100, forever: true });
    // The gateway's own view, taken as each call reaches upstream.
    const samples: { inFlight: number; queued: number }[] = [];
    stack.probe.onArrival(() => samples.push(stack.gateway.aws.health()));
    // Ten different reads: identical ones in flight together would be shared as one call.
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stack.graphql(APP, { appId: `ghost${i}` })));

    expect(results).toEqual(Array.from({ length: 10 }, () => ({ data: { app: null } })));
    expect(stack.calls()).toEqual({ GetBackend: 10 });
    expect(samples).toHaveLength(10);
    expect(Math.max(...samples.map((s) => s.inFlight))).toBe(2);
    expect(Math.max(...samples.map((s) => s.queued))).toBeGreaterThan(0);
    // Seen from upstream: never more than 2 at once, so 10 calls take at least 5 rounds.
    expect(stack.probe.maxInFlight()).toBe(2);
    expect(stack.probe.answered()).toBe(10);
    expect(stack.gateway.aws.health()).toEqual({ circuit: 'closed', inFlight: 0, queued: 0 });
  });

  it('a full queue (maxQueue 1) answers RATE_LIMITED at once, without an upstream call', async () => {
    await using stack = await startProbedStack({ gateway: { ...nothingKept, resilience: { maxConcurrency: 1, maxQueue: 1 } } });
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 600, forever: true });
    let settled = 0;
    const running = stack.graphql(APP, { appId: 'ghost1' }).finally(() => settled++);
    await stack.probe.arrived(1);
    const waiting = stack.graphql(APP, { appId: 'ghost2' }).finally(() => settled++);
    await until(() => stack.gateway.aws.health().queued === 1, 'the queued call');

    const refused = await stack.graphql(APP, { appId: 'ghost3' });
    expect(refused.data).toEqual({ app: null });
    expect(refused.errors?.[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      operation: 'GetBackend',
      awsErrorName: 'GatewayQueueFull',
      retryAfterSeconds: 1,
    });
    // At once: answered while the two before it still wait on upstream.
    expect(settled).toBe(0);

    expect(await running).toEqual({ data: { app: null } });
    expect(await waiting).toEqual({ data: { app: null } });
    expect(stack.calls()).toEqual({ GetBackend: 2 });
    // A queue that is full is no upstream failure: the circuit stays closed.
    expect(stack.gateway.aws.health()).toEqual({ circuit: 'closed', inFlight: 0, queued: 0 });
  });

  it('maxQueue 0: nothing waits, but a free slot still serves', async () => {
    await using stack = await startProbedStack({ gateway: { ...nothingKept, resilience: { maxConcurrency: 1, maxQueue: 0 } } });
    expect(await stack.graphql(APP, { appId: TODO })).toEqual(todo);
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 600, forever: true });
    const running = stack.graphql(APP, { appId: TODO });
    // The second call in all has reached upstream.
    await stack.probe.arrived(2);
    expect(codes(await stack.graphql(APP, { appId: 'd2gallery00002' }))).toEqual(['RATE_LIMITED']);
    expect(await running).toEqual(todo);
  });
});
