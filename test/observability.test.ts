import { connect } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualScheduler, deferred, startStack, until, type Stack, nothingKept } from './helpers.js';
import { startProbedStack, type UpstreamProbe } from './helpers-upstream.js';

// /health, /ready, /metrics, request ids, JSON logs without secrets, and a graceful stop, all
// over real HTTP to a started gateway on 127.0.0.1.

const TODO = 'd1todoapp00001';
const APP = `query AppById($appId: ID!) { app(appId: $appId) { appId appName } }`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type LogLine = Record<string, any>;

/** A pino destination that keeps every line, parsed (a line that is no JSON fails the test). */
function collectLogs() {
  const raw: string[] = [];
  const lines = (): LogLine[] => raw.flatMap((chunk) => chunk.split('\n').filter(Boolean)).map((l) => JSON.parse(l));
  const waiting = new Set<() => void>();
  return {
    raw,
    lines,
    destination: {
      write(chunk: string) {
        raw.push(chunk);
        for (const check of waiting) check();
      },
    },
    /** Resolves once the lines written hold what `condition` looks for, checked on each write. */
    written(condition: (lines: LogLine[]) => boolean) {
      return new Promise<void>((resolve) => {
        const check = () => {
          if (!condition(lines())) return;
          waiting.delete(check);
          resolve();
        };
        waiting.add(check);
        check();
      });
    },
  };
}

/** A stack whose gateway listens on 127.0.0.1, with its logs collected. */
async function serve(options: Parameters<typeof startStack>[0] = {}, start: typeof startStack = startStack) {
  const logs = collectLogs();
  const stack = await start({ ...options, logDestination: logs.destination });
  const url = await stack.gateway.start(0, '127.0.0.1');
  const base = url.replace(/\/graphql$/, '');
  return {
    stack,
    url,
    base,
    logs,
    [Symbol.asyncDispose]: () => stack.stop(),
    get: (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers }),
    /** A GraphQL operation over HTTP: status, headers, raw text and parsed body. */
    async post(body: unknown, headers: Record<string, string> = {}) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, body: JSON.parse(text) };
    },
    async metrics() {
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      return { contentType: res.headers.get('content-type'), text: await res.text() };
    },
  };
}

type Served = Awaited<ReturnType<typeof serve>>;

/**
 * The samples of a Prometheus text exposition: `name{label="v",...}` -> value, labels sorted.
 * Checks the format on the way: every line a comment or `name{labels} value`.
 */
function parseMetrics(text: string) {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = m[2] ? [...m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => `${k}="${v}"`).sort() : [];
    samples.set(labels.length ? `${m[1]}{${labels.join(',')}}` : m[1], Number(m[3]));
  }
  return samples;
}

const sample = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',');

describe('health, readiness, request ids', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve({ gateway: { logLevel: 'info' } });
  });
  afterAll(() => served.stack.stop());

  it('GET /health answers 200 without asking upstream', async () => {
    served.stack.resetCalls();
    const res = await served.get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(served.stack.calls()).toEqual({});
  });

  it('GET /ready answers 200 with checks.upstream ok, and caches the probe', async () => {
    served.stack.resetCalls();
    const res = await served.get('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { upstream: 'ok' } });
    // One probe; the next readiness check within 5 s is answered from it.
    expect(served.stack.calls()).toEqual({ GetBackend: 1 });
    expect((await served.get('/ready')).status).toBe(200);
    expect(served.stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('every response carries an x-request-id: a valid given one is echoed, a bad one replaced', async () => {
    for (const path of ['/health', '/ready', '/metrics']) {
      const res = await served.get(path);
      expect(res.headers.get('x-request-id')).toMatch(UUID);
      await res.arrayBuffer();
      const given = await served.get(path, { 'x-request-id': 'trace-42.a:b_c' });
      expect(given.headers.get('x-request-id')).toBe('trace-42.a:b_c');
      await given.arrayBuffer();
    }

    const echoed = await served.post({ query: APP, variables: { appId: TODO } }, { 'x-request-id': 'client-req-0001' });
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get('x-request-id')).toBe('client-req-0001');

    for (const bad of ['has spaces in it', 'semi;colon', '<script>', 'x'.repeat(129)]) {
      const res = await served.post({ query: APP, variables: { appId: TODO } }, { 'x-request-id': bad });
      const id = res.headers.get('x-request-id');
      expect(id).toMatch(UUID);
      expect(res.text).not.toContain(bad);
    }

    // Errors too, from the gateway (a syntax error) or from upstream.
    const broken = await served.post({ query: '{ app(' });
    expect(broken.body.errors[0].message).toMatch(/Syntax Error/);
    expect(broken.headers.get('x-request-id')).toMatch(UUID);
    const missing = await fetch(`${served.base}/nowhere`);
    expect(missing.headers.get('x-request-id')).toMatch(UUID);
    await missing.arrayBuffer();
  });

  it('logs one JSON line per request: requestId, status, operationName, duration', async () => {
    const before = served.logs.lines().length;
    const ok = await served.post(
      { query: APP, variables: { appId: TODO }, operationName: 'AppById' },
      { 'x-request-id': 'log-line-ok' },
    );
    expect(ok.body).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    const bad = await served.post(
      { query: '{ nope }' },
      { 'x-request-id': 'log-line-bad', accept: 'application/graphql-response+json' },
    );
    expect(bad.status).toBe(400);
    // The line is written once the response has closed.
    await served.logs.written((lines) => lines.filter((l) => l.msg === 'request').length >= 2);

    const lines = served.logs.lines().slice(before).filter((l) => l.msg === 'request');
    expect(lines.find((l) => l.requestId === 'log-line-ok')).toMatchObject({
      level: 30,
      service: 'amplifybackend-graphql',
      method: 'POST',
      path: '/graphql',
      status: 200,
      operationName: 'AppById',
      principal: 'open',
      durationMs: expect.any(Number),
      time: expect.any(Number),
    });
    expect(lines.find((l) => l.requestId === 'log-line-bad')).toMatchObject({ status: 400, path: '/graphql' });
  });

  it('names the operation in the log line even when the body has no operationName', async () => {
    const res = await served.post(
      { query: `query Unannounced { app(appId: "${TODO}") { appId } }` },
      { 'x-request-id': 'log-line-unnamed' },
    );
    expect(res.body.errors).toBeUndefined();
    await served.logs.written((lines) => lines.some((l) => l.requestId === 'log-line-unnamed'));
    expect(served.logs.lines().find((l) => l.requestId === 'log-line-unnamed')).toMatchObject({
      status: 200,
      operationName: 'Unannounced',
    });
  });

  it('a GET operation is logged without its query string (variables travel there)', async () => {
    const query = encodeURIComponent(APP);
    const variables = encodeURIComponent(JSON.stringify({ appId: TODO }));
    const res = await fetch(`${served.url}?query=${query}&variables=${variables}&operationName=AppById`, {
      headers: { accept: 'application/json', 'x-request-id': 'log-line-get' },
    });
    expect(res.status).toBe(200);
    await res.json();
    await served.logs.written((lines) => lines.some((l) => l.requestId === 'log-line-get'));
    const line = served.logs.lines().find((l) => l.requestId === 'log-line-get')!;
    expect(line).toMatchObject({ method: 'GET', path: '/graphql', status: 200, operationName: 'AppById' });
    expect(JSON.stringify(line)).not.toContain(TODO);
  });
});

describe('readiness failing', () => {
  it('503 when the emulator is stopped', async () => {
    await using served = await serve();
    await served.stack.emulator.stop();
    const res = await served.get('/ready');
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.status).toBe('not ready');
    expect(body.checks.upstream).toMatch(/^UPSTREAM_ERROR: AmplifyBackend could not be reached/);
    // Liveness is another matter.
    expect((await served.get('/health')).status).toBe(200);
  });

  it('200 degraded while the circuit is open (not pulled from the load balancer), with amplifybackend_upstream_circuit_open 1', async () => {
    await using served = await serve({
      gateway: { resilience: { breakerMinCalls: 2, breakerResetMs: 60_000 } },
    });
    const before = parseMetrics((await served.metrics()).text);
    expect(before.get('amplifybackend_upstream_circuit_open')).toBe(0);
    served.stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal', forever: true });
    for (let i = 0; i < 2; i++) {
      const res = await served.post({ query: APP, variables: { appId: TODO } });
      expect(res.body.errors[0].extensions.code).toBe('UPSTREAM_ERROR');
    }
    expect(served.stack.gateway.aws.health().circuit).toBe('open');
    served.stack.resetCalls();
    const res = await served.get('/ready');
    // Changed by issue 15: an open breaker is every instance's at once; pulling all of them turns a
    // brief upstream outage into a full one. The state is in the body for whoever watches.
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'degraded', checks: { upstream: 'circuit open' } });
    expect(served.stack.calls()).toEqual({});
    const after = parseMetrics((await served.metrics()).text);
    expect(after.get('amplifybackend_upstream_circuit_open')).toBe(1);
  });
});

describe('/metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789';
  let served: Served;
  beforeAll(async () => {
    served = await serve({ gateway: { metricsToken: token } });
  });
  afterAll(() => served.stack.stop());

  it('answers 401 without the token or with another, and the metrics with it', async () => {
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer not-the-metrics-token' }, { authorization: token }];
    for (const headers of attempts) {
      const res = await served.get('/metrics', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await res.json()).toEqual({
        errors: [{ message: '/metrics needs Authorization: Bearer <METRICS_TOKEN>', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const res = await served.get('/metrics', { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE amplifybackend_upstream_calls_total counter');
  });

  it('leaves /health and /ready open for probes', async () => {
    expect((await served.get('/health')).status).toBe(200);
    expect((await served.get('/ready')).status).toBe(200);
  });
});

describe('/metrics', () => {
  let served: Served;
  let clients: Client[] = [];
  const scheduler = createManualScheduler();
  beforeAll(async () => {
    // Counts upstream calls by outcome: nothing kept across requests.
    served = await serve({ scheduler, gateway: nothingKept });
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    clients = [];
  });
  afterAll(() => served.stack.stop());

  it('is Prometheus text with upstream calls by operation and outcome, and the latency histogram', async () => {
    const ok = await served.post({ query: APP, variables: { appId: TODO } });
    expect(ok.body.errors).toBeUndefined();
    const missing = await served.post({ query: APP, variables: { appId: 'noSuchApp' } });
    expect(missing.body).toEqual({ data: { app: null } });
    served.stack.emulator.faults.inject({ operation: 'GetBackend', type: 'throttle' });
    const throttled = await served.post({ query: APP, variables: { appId: TODO } });
    expect(throttled.body.errors[0].extensions.code).toBe('RATE_LIMITED');

    const { contentType, text } = await served.metrics();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(text).toContain('# TYPE amplifybackend_upstream_calls_total counter');
    expect(text).toContain('# TYPE amplifybackend_upstream_duration_seconds histogram');
    const m = parseMetrics(text);

    const calls = (outcome: string) =>
      m.get(`amplifybackend_upstream_calls_total{${sample({ operation: 'GetBackend', outcome })}}`);
    expect(calls('ok')).toBe(1);
    expect(calls('NOT_FOUND')).toBe(1);
    expect(calls('RATE_LIMITED')).toBe(1);

    const buckets = [...m.keys()].filter((k) => k.startsWith('amplifybackend_upstream_duration_seconds_bucket{'));
    const les = buckets.filter((k) => k.includes('operation="GetBackend"')).map((k) => /le="([^"]+)"/.exec(k)![1]);
    expect(les).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf']);
    const hist = (suffix: string, extra: Record<string, string> = {}) =>
      m.get(`amplifybackend_upstream_duration_seconds_${suffix}{${sample({ operation: 'GetBackend', ...extra })}}`);
    expect(hist('count')).toBe(3);
    expect(hist('bucket', { le: '+Inf' })).toBe(3);
    expect(hist('sum')).toBeGreaterThan(0);
    // Buckets are cumulative.
    const counts = les.map((le) => hist('bucket', { le })!);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));

    // Process metrics come along (the registry's defaults).
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it('counts GraphQL operations by name, type and outcome', async () => {
    await served.post({ query: APP, variables: { appId: TODO }, operationName: 'AppById' });
    await served.post({ query: 'query Named { app(appId: "d1todoapp00001") { appId } }' });
    served.stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal' });
    await served.post({ query: 'query Failing { app(appId: "d1todoapp00001") { appId } }' });
    await served.post({ query: '{ app(appId: "d1todoapp00001") { appId } }' });
    await served.post({
      query: `mutation Tok { createToken(input: { appId: "${TODO}" }) { token { sessionId } } }`,
    });

    const m = parseMetrics((await served.metrics()).text);
    const ops = (operation_name: string, operation_type: string, outcome: string) =>
      m.get(`graphql_operations_total{${sample({ operation_name, operation_type, outcome })}}`);
    expect(ops('AppById', 'query', 'ok')).toBeGreaterThanOrEqual(1);
    expect(ops('Named', 'query', 'ok')).toBe(1);
    expect(ops('Failing', 'query', 'error')).toBe(1);
    expect(ops('Failing', 'query', 'ok')).toBeUndefined();
    expect(ops('anonymous', 'query', 'ok')).toBe(1);
    expect(ops('Tok', 'mutation', 'ok')).toBe(1);
    expect(m.get(`graphql_operation_duration_seconds_count{${sample({ operation_type: 'mutation' })}}`)).toBe(1);
  });

  it('shows an open graphql-ws subscription and its poller, back to 0 when it ends', async () => {
    const gauges = async () => {
      const m = parseMetrics((await served.metrics()).text);
      return [m.get('graphql_active_subscriptions'), m.get('amplifybackend_job_pollers_active')];
    };
    expect(await gauges()).toEqual([0, 0]);

    const started = await served.post({
      query: `mutation { createBackendStorage(input: {
        appId: "${TODO}", environmentName: "dev", resourceName: "metricsphotos"
        config: { permissions: { authenticated: [READ] } }
      }) { job { jobId } } }`,
    });
    expect(started.body.errors).toBeUndefined();
    const jobId = started.body.data.createBackendStorage.job.jobId;

    const client = createClient({
      url: served.url.replace('http://', 'ws://'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
    });
    clients.push(client);
    const events = client.iterate({
      query: `subscription Watch { backendJob(appId: "${TODO}", environmentName: "dev", jobId: "${jobId}") { jobId state } }`,
    });
    const first = events.next();
    await until(() => served.stack.gateway.jobs.stats().subscribers === 1, 'the subscription');
    // The poller's first tick (the manual scheduler) takes the lease and sends the job.
    await scheduler.advance(0);
    expect(served.stack.gateway.jobs.stats().pollers).toBe(1);
    expect((await first).value).toEqual({ data: { backendJob: { jobId, state: 'IN_PROGRESS' } } });
    expect(await gauges()).toEqual([1, 1]);
    const m = parseMetrics((await served.metrics()).text);
    const watch = sample({ operation_name: 'Watch', operation_type: 'subscription', outcome: 'ok' });
    expect(m.get(`graphql_operations_total{${watch}}`)).toBe(1);

    await events.return?.(undefined);
    await until(() => served.stack.gateway.jobs.stats().subscribers === 0, 'the end of the subscription');
    expect(await gauges()).toEqual([0, 0]);
  });
});

describe('no secret in any log line or response', () => {
  const secrets = {
    google: 'obs-google-secret-Zq83Lm',
    facebook: 'obs-facebook-secret-Rt62Vb',
    amazon: 'obs-amazon-secret-Yu19Kd',
    apple: 'obs-apple-key-MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgXy',
    rotated: 'obs-google-secret-rotated-Pn40Ws',
    rotatedApple: 'obs-apple-key-rotated-MIGTAgEAMBMGByq7Hf',
    badShape: 'obs-secret-in-bad-shape-Ud73Qa',
    badType: 'obs-secret-of-bad-type-Jk02Xe',
    upstreamFail: 'obs-secret-upstream-fail-Wc58Tn',
    // The demo app's own auth, as seeded: read back at trace level, it must not show either.
    demo: 'demo-google-secret',
  };
  const pem = (key: string) => `-----BEGIN PRIVATE KEY-----\n${key}\n-----END PRIVATE KEY-----`;

  const oAuth = (google: string, extra: Record<string, unknown> = {}) => ({
    oAuthGrantType: 'CODE',
    oAuthScopes: ['EMAIL', 'OPENID'],
    redirectSignInURIs: ['https://obs.example/in'],
    redirectSignOutURIs: ['https://obs.example/out'],
    socialProviderSettings: {
      google: { clientId: 'obs-google', clientSecret: google },
      facebook: { clientId: 'obs-facebook', clientSecret: secrets.facebook },
      loginWithAmazon: { clientId: 'obs-amazon', clientSecret: secrets.amazon },
      signInWithApple: { clientId: 'obs.apple', keyId: 'KEYOBS0001', teamId: 'TEAMOBS001', privateKey: pem(secrets.apple) },
      ...extra,
    },
  });
  const createConfig = (google = secrets.google) => ({
    authResources: 'USER_POOL_ONLY',
    service: 'COGNITO',
    userPoolConfigs: {
      userPoolName: 'obs_pool',
      signInMethod: 'EMAIL',
      requiredSignUpAttributes: ['EMAIL'],
      oAuth: oAuth(google),
    },
  });
  const CREATE = `mutation CreateAuth($input: CreateBackendAuthInput!) {
    createBackendAuth(input: $input) { job { jobId } auth { resourceName } }
  }`;
  const UPDATE = `mutation UpdateAuth($input: UpdateBackendAuthInput!) {
    updateBackendAuth(input: $input) { job { jobId } }
  }`;
  const READ = `query ReadAuth($env: String!) {
    backendEnvironment(appId: "${TODO}", name: $env) {
      auth { resourceName config { userPoolConfigs { oAuth { socialProviderSettings {
        google { clientId clientSecretSet } facebook { clientId clientSecretSet }
        signInWithApple { clientId privateKeySet }
      } } } } }
    }
  }`;

  it('at logLevel trace, through success and failure', async () => {
    const served = await serve({ gateway: { logLevel: 'trace' } });
    const bodies: string[] = [];
    const post = async (body: unknown) => {
      const res = await served.post(body, { authorization: `Bearer nothing-${secrets.badShape}` });
      bodies.push(res.text);
      return res;
    };
    // Stopped before its logs are read.
    {
      await using _stopped = deferred(() => served.stack.stop());
      // A fresh environment for the auth.
      const env = await post({
        query: `mutation { createBackend(input: { appId: "${TODO}", appName: "todo-app", environmentName: "obs" }) { app { appId } } }`,
      });
      expect(env.body.errors).toBeUndefined();
      await served.stack.emulator.advance(3000);

      const created = await post({
        query: CREATE,
        operationName: 'CreateAuth',
        variables: { input: { appId: TODO, environmentName: 'obs', resourceName: 'obsauth', config: createConfig() } },
      });
      expect(created.status).toBe(200);
      expect(created.body.errors).toBeUndefined();
      await served.stack.emulator.advance(3000);

      /** An update of obsauth's user pool providers. */
      const providerUpdate = (socialProviderSettings: Record<string, unknown>) => ({
        appId: TODO,
        environmentName: 'obs',
        resourceName: 'obsauth',
        config: { authResources: 'USER_POOL_ONLY', service: 'COGNITO', userPoolConfigs: { oAuth: { socialProviderSettings } } },
      });
      const updated = await post({
        query: UPDATE,
        operationName: 'UpdateAuth',
        variables: {
          input: providerUpdate({
            google: { clientId: 'obs-google-2', clientSecret: secrets.rotated },
            signInWithApple: { clientId: 'obs.apple', keyId: 'KEYOBS0002', teamId: 'TEAMOBS001', privateKey: pem(secrets.rotatedApple) },
          }),
        },
      });
      expect(updated.body.errors).toBeUndefined();
      await served.stack.emulator.advance(3000);

      const read = await post({ query: READ, variables: { env: 'obs' } });
      expect(read.body.data.backendEnvironment.auth.config.userPoolConfigs.oAuth.socialProviderSettings.google).toEqual({
        clientId: 'obs-google-2',
        clientSecretSet: true,
      });
      const demo = await post({ query: READ, variables: { env: 'dev' } });
      expect(demo.body.errors).toBeUndefined();

      // Failing variants, each carrying secrets, and what each must answer.
      const variant = (environmentName: string, change: (config: any) => void = () => {}) => {
        const config: any = createConfig(secrets.badShape);
        change(config);
        return { appId: TODO, environmentName, resourceName: 'obsauth2', config };
      };
      const providers = (config: any) => config.userPoolConfigs.oAuth.socialProviderSettings;
      const failures: [unknown, RegExp][] = [
        // A required member missing: graphql-js would quote the whole value.
        [variant('dev', (c) => delete c.userPoolConfigs.signInMethod), /"signInMethod" of required type/],
        // A member the type does not have.
        [variant('dev', (c) => (c.bogus = secrets.badShape)), /"bogus" is not defined/],
        // An enum value that does not exist, next to the secrets.
        [variant('dev', (c) => (c.service = 'NOPE')), /"NOPE" does not exist/],
        // A secret of the wrong type: String's own message would quote it.
        [variant('dev', (c) => (providers(c).google.clientSecret = [secrets.badType])), /non string value$/],
        [variant('dev', (c) => (providers(c).google.clientSecret = { v: secrets.badType })), /non string value$/],
        // The gateway's own validation: an empty secret beside real ones.
        [variant('dev', (c) => (providers(c).google.clientSecret = '')), /clientSecret: must not be empty/],
        // Upstream refusals: auth exists already (BadRequest), an unknown environment (NotFound).
        [variant('obs'), /already has an auth resource/],
        [variant('qa'), /not found/],
      ];
      for (const [input, message] of failures) {
        const res = await post({ query: CREATE, operationName: 'CreateAuth', variables: { input } });
        expect(res.body.errors?.[0].message).toMatch(message);
      }
      // The secret inline in the document, and a type error beside it.
      const inline = await post({
        query: `mutation { createBackendAuth(input: { appId: "${TODO}", environmentName: "dev", resourceName: "x", config: {
          authResources: USER_POOL_ONLY, service: COGNITO, userPoolConfigs: { userPoolName: "p", signInMethod: EMAIL,
          requiredSignUpAttributes: [EMAIL], oAuth: { oAuthGrantType: CODE, oAuthScopes: [EMAIL], redirectSignInURIs: ["https://x"],
          redirectSignOutURIs: ["https://x"], socialProviderSettings: { google: { clientId: 1, clientSecret: "${secrets.badShape}" } } } } } }) { job { jobId } } }`,
      });
      expect(inline.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      // Upstream failing (a 500, then a dropped connection) on a mutation carrying secrets.
      for (const type of ['internal', 'drop'] as const) {
        served.stack.emulator.faults.inject({ operation: 'UpdateBackendAuth', type });
        const res = await post({
          query: UPDATE,
          variables: { input: providerUpdate({ google: { clientId: 'g', clientSecret: secrets.upstreamFail } }) },
        });
        expect(res.body.errors[0].extensions.code).toBe('UPSTREAM_ERROR');
      }
      // A batch, one of its operations failing.
      const batch = await post([
        { query: CREATE, variables: { input: variant('dev', (c) => (c.bogus = 1)) } },
        { query: READ, variables: { env: 'dev' } },
      ]);
      expect(batch.body).toHaveLength(2);
    }

    const lines = served.logs.lines();
    // trace really is on: yoga's debug lines and the request lines are there.
    expect(lines.some((l) => l.level === 20)).toBe(true);
    expect(lines.filter((l) => l.msg === 'request').length).toBeGreaterThanOrEqual(15);
    // Client mistakes and upstream answers are no errors of the gateway's.
    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
    const leaks = (texts: string[], what: string) =>
      texts.flatMap((t, i) =>
        Object.entries(secrets)
          .filter(([, s]) => t.includes(s))
          .map(([name]) => `${what} ${i}: ${name}: ${t.slice(0, 300)}`),
      );
    expect(leaks(served.logs.raw, 'log')).toEqual([]);
    expect(leaks(bodies, 'response')).toEqual([]);
  });
});

describe('graceful stop', () => {
  /** Sends the start of a request now and the rest later: the connection is busy, not idle. */
  function halfRequest(base: string, head: string) {
    const { hostname, port } = new URL(base);
    const socket = connect(Number(port), hostname);
    let response = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => (response += chunk));
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    /** Resolves once what was received holds `condition`, or the socket is gone: on its events. */
    const received = (condition: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition() && !socket.destroyed) return;
          socket.off('data', check).off('close', check);
          resolve();
        };
        socket.on('data', check).on('close', check);
        check();
      });
    socket.on('error', () => {});
    const opened = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    return {
      async start() {
        await opened;
        socket.write(head);
      },
      async finish(rest: string) {
        socket.write(rest);
        await received(() => /\r\n\r\n/.test(response));
        await received(() => response.includes('}'));
        socket.end();
        await closed;
        return response;
      },
    };
  }

  it('a request in flight completes with 200 while stop() runs; /ready says 503; new connections are refused', async () => {
    let probe!: UpstreamProbe;
    await using served = await serve({ gateway: { logLevel: 'info', shutdownGraceMs: 5000 } }, async (options) => {
      const stack = await startProbedStack(options);
      probe = stack.probe;
      return stack;
    });
    served.stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 300 });
    const order: string[] = [];
    const inFlight = served
      .post({ query: APP, variables: { appId: TODO }, operationName: 'AppById' })
      .finally(() => order.push('answered'));
    await probe.arrived(1);

    let accepted = 0;
    served.stack.gateway.server.on('connection', () => accepted++);
    const ready = halfRequest(served.base, 'GET /ready HTTP/1.1\r\nhost: 127.0.0.1\r\n');
    await ready.start();
    // Once the server has read the first bytes, the connection is busy, not idle.
    await until(() => accepted === 1, 'the readiness connection', 100_000);
    await new Promise((resolve) => setTimeout(resolve, 5));

    order.push('stop called');
    const stopping = served.stack.gateway.stop().then(() => order.push('stopped'));
    const readiness = await ready.finish('\r\n');
    expect(readiness).toMatch(/^HTTP\/1\.1 503 /);
    expect(readiness).toContain('"checks":{"gateway":"shutting down"}');

    // No new connection while the one in flight finishes.
    await expect(fetch(`${served.base}/health`)).rejects.toThrow();

    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    await stopping;
    // Answered after stop() was called (stop() may return before the client has read it all).
    expect(order[0]).toBe('stop called');
    expect(order).toContain('answered');

    await expect(fetch(`${served.base}/health`)).rejects.toThrow();
    await expect(fetch(served.url, { method: 'POST' })).rejects.toThrow();
    // stop() waited for it: its request line (written once the response is done) comes first.
    const lines = served.logs.lines();
    const line = lines.findIndex((l) => l.msg === 'request' && l.operationName === 'AppById');
    expect(lines[line]).toMatchObject({ status: 200 });
    expect(lines.findIndex((l) => l.msg === 'gateway stopped')).toBeGreaterThan(line);
    expect(lines.at(-1)?.msg).toBe('gateway stopped');
  });

  it('a request still running after shutdownGraceMs is cut off, and stop() returns', async () => {
    let probe!: UpstreamProbe;
    await using served = await serve({ gateway: { shutdownGraceMs: 100 } }, async (options) => {
      const stack = await startProbedStack(options);
      probe = stack.probe;
      return stack;
    });
    served.stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 3000 });
    const inFlight = served.post({ query: APP, variables: { appId: TODO } }).then(
      () => 'answered',
      () => 'cut off',
    );
    await probe.arrived(1);
    await served.stack.gateway.stop();
    // stop() did not wait for the upstream call: the emulator had not answered it.
    expect(probe.answered()).toBe(0);
    expect(served.stack.calls()).toEqual({ GetBackend: 1 });
    expect(await inFlight).toBe('cut off');
  });
});
