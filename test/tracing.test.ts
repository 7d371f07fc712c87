import { AsyncLocalStorage } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createTracing } from '../src/observability/tracing.js';
import type { OperationScope } from '../src/observability/tracing-plugin.js';
import { createUpstreamSpans } from '../src/observability/upstream-spans.js';
import { configError } from './helpers-config.js';
import { createWsClients, readEvents, startStack, until, type Stack, nothingKept } from './helpers.js';
import { useFileStack } from './helpers-stack.js';

const APP = 'd1todoapp00001';
// A client's trace: the gateway's spans join it, under its span.
const clientTraceId = '0af7651916cd43dd8448eb211c80319c';
const clientSpanId = 'b7ad6b7169203331';
const traceparent = `00-${clientTraceId}-${clientSpanId}-01`;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// With an exporter of the test's, the OTLP URL is never called.
const tracing = { url: 'http://127.0.0.1:9/v1/traces', serviceName: 'gateway-under-test' };

const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const described = (span: ReadableSpan) => ({ kind: span.kind, parent: parentOf(span), attributes: span.attributes });

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  const exporter = new InMemorySpanExporter();
  let stack: Stack;
  let url: string;
  // Counts upstream spans per request: nothing kept across requests.
  useFileStack((s) => (stack = s), { start: { gateway: { ...nothingKept, tracing, upstreamMaxAttempts: 3 }, spanExporter: exporter }, clearFaults: true });
  beforeAll(async () => {
    url = await stack.gateway.start(0);
  });
  beforeEach(() => exporter.reset());

  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  const only = (name: string) => {
    const found = named(name);
    expect(found.map((s) => s.name)).toEqual([name]);
    return found[0];
  };
  const upstreamSpans = () => spans().filter((s) => s.name.startsWith('AmplifyBackend/'));
  // Served by node:http, the HTTP span ends once the response is sent, after the client has it.
  const httpSpan = async (name = 'POST /graphql') => {
    await until(() => named(name).length > 0, name);
    return only(name);
  };

  it('a query: its HTTP request, the operation within it, and one span per upstream call within that', async () => {
    const res = await stack.graphql(
      'query AppEnvironments($appId: ID!) { app(appId: $appId) { appName environments { name apis { resourceName } } } }',
      { appId: APP },
    );
    expect(res.errors).toBeUndefined();

    const http = only('POST /graphql');
    const operation = only('query.AppEnvironments');
    expect([http, operation].map(described)).toEqual([
      {
        kind: SpanKind.SERVER,
        parent: undefined,
        attributes: { 'http.request.method': 'POST', 'url.path': '/graphql', 'http.route': '/graphql', 'http.response.status_code': 200 },
      },
      {
        kind: SpanKind.INTERNAL,
        parent: idOf(http),
        attributes: { 'graphql.execute.operationName': 'AppEnvironments', 'graphql.execute.operationType': 'query' },
      },
    ]);

    const upstream = upstreamSpans();
    expect(upstream.map((s) => s.name).sort()).toEqual(
      Object.entries(stack.calls()).flatMap(([name, count]) => Array(count).fill(`AmplifyBackend/${name}`)).sort(),
    );
    expect(upstream.length).toBeGreaterThan(1);
    for (const span of upstream) {
      expect(described(span)).toEqual({
        kind: SpanKind.CLIENT,
        parent: idOf(operation),
        attributes: {
          'rpc.system': 'aws-api',
          'rpc.service': 'AmplifyBackend',
          'rpc.method': span.name.slice('AmplifyBackend/'.length),
          'amplifybackend.outcome': 'ok',
          'amplifybackend.attempts': 1,
          'aws.request_id': expect.stringMatching(uuid),
        },
      });
    }
    expect(new Set(spans().map(traceOf)).size).toBe(1);
    expect(spans().every((s) => s.resource.attributes['service.name'] === 'gateway-under-test')).toBe(true);
  });

  it('operations at the same time: each upstream call under its own operation', async () => {
    await Promise.all([
      stack.graphql(`query First { app(appId: "${APP}") { appName } }`),
      stack.graphql('query Second { app(appId: "d2gallery00002") { appName } }'),
    ]);
    const calls = named('AmplifyBackend/GetBackend');
    expect(calls.map(parentOf).sort()).toEqual([idOf(only('query.First')), idOf(only('query.Second'))].sort());
    expect(traceOf(only('query.First'))).not.toBe(traceOf(only('query.Second')));
  });

  it("continues the client's traceparent: the same trace, under the client's span", async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent },
      body: JSON.stringify({ query: `query App { app(appId: "${APP}") { appName } }` }),
    });
    expect(await res.json()).toEqual({ data: { app: { appName: 'todo-app' } } });

    const http = await httpSpan();
    expect(parentOf(http)).toBe(clientSpanId);
    expect(http.parentSpanContext?.isRemote).toBe(true);
    // The request id of the gateway's log line, to go from a trace to its log and back.
    expect(http.attributes['gateway.request_id']).toBe(res.headers.get('x-request-id'));
    expect(parentOf(only('query.App'))).toBe(idOf(http));
    expect(parentOf(only('AmplifyBackend/GetBackend'))).toBe(idOf(only('query.App')));
    expect(spans().map(traceOf)).toEqual(spans().map(() => clientTraceId));
  });

  it('records no variable or argument value: not from the body, the URL, a literal or an error message', async () => {
    const secret = 'sEcReT-value-4f1c2a9e';
    // As a variable, to an upstream call that fails (AWS's message names the app).
    await stack.graphql('query Missing($appId: ID!) { app(appId: $appId) { appName } }', { appId: secret });
    // As a variable of the wrong shape: graphql-js quotes it in its error.
    await stack.graphql('query Malformed($appId: ID!) { app(appId: $appId) { appName } }', { appId: { value: secret } });
    // As a literal in the document.
    await stack.graphql(`query Literal { app(appId: "${secret}") { appName } }`);
    // In a GET request's query string.
    const query = new URLSearchParams({
      query: 'query ByGet($appId: ID!) { app(appId: $appId) { appName } }',
      variables: JSON.stringify({ appId: secret }),
    });
    await fetch(`${url}?${query}`, { headers: { accept: 'application/json' } });
    await httpSpan('GET /graphql');

    expect(named('query.Missing')).toHaveLength(1);
    expect(only('query.Malformed').status).toEqual({ code: SpanStatusCode.ERROR });
    expect(only('query.Malformed').attributes['graphql.error.codes']).toEqual(['BAD_USER_INPUT']);
    expect(named('query.Literal')).toHaveLength(1);
    expect(named('query.ByGet')).toHaveLength(1);
    expect(only('GET /graphql').attributes['url.path']).toBe('/graphql');
    const recorded = JSON.stringify(
      spans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links })),
    );
    expect(recorded).not.toContain(secret);
    expect(recorded).not.toContain('sEcReT');
  });

  it("an upstream failure: its error code, the AWS error name and request id; the operation's error codes", async () => {
    const res = await stack.graphql('mutation Token { createToken(input: { appId: "no-such-app-01" }) { token { sessionId } } }');
    expect(res.errors).toMatchObject([{ extensions: { code: 'NOT_FOUND' } }]);
    const call = only('AmplifyBackend/CreateToken');
    expect(call.status).toEqual({ code: SpanStatusCode.ERROR, message: 'NOT_FOUND' });
    expect(call.attributes).toMatchObject({
      'amplifybackend.outcome': 'NOT_FOUND',
      'amplifybackend.attempts': 1,
      'error.type': 'NotFoundException',
      'http.response.status_code': 404,
      'aws.request_id': expect.stringMatching(uuid),
    });
    const operation = only('mutation.Token');
    expect(operation.status).toEqual({ code: SpanStatusCode.ERROR });
    expect(operation.attributes['graphql.error.codes']).toEqual(['NOT_FOUND']);
    expect(operation.events).toEqual([]);
  });

  it('attempts: as many as the SDK made, retries included', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal', count: 2 });
    const res = await stack.graphql(`query App { app(appId: "${APP}") { appName } }`);
    expect(res).toEqual({ data: { app: { appName: 'todo-app' } } });
    expect(stack.calls()).toEqual({ GetBackend: 3 });
    expect(only('AmplifyBackend/GetBackend').attributes).toMatchObject({ 'amplifybackend.outcome': 'ok', 'amplifybackend.attempts': 3 });
  });

  const watch = `subscription Watch { backendJob(appId: "${APP}", environmentName: "dev", jobId: "no-such-job") { jobId } }`;

  it('a subscription over SSE: its operation span, within the HTTP request that carries the stream', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', traceparent },
      body: JSON.stringify({ query: watch }),
    });
    const events = [];
    for await (const event of readEvents(res)) events.push(event);
    expect(events).toMatchObject([{ errors: [{ extensions: { code: 'NOT_FOUND' } }] }]);

    const http = await httpSpan();
    const operation = only('subscription.Watch');
    expect(operation.attributes).toEqual({
      'graphql.execute.operationName': 'Watch',
      'graphql.execute.operationType': 'subscription',
    });
    expect(parentOf(operation)).toBe(idOf(http));
    expect(traceOf(operation)).toBe(clientTraceId);
    // The job's poller, started by the subscription, polls within it.
    expect(parentOf(only('AmplifyBackend/GetBackendJob'))).toBe(idOf(operation));
  });

  it("over graphql-ws: an operation span per subscribe, continuing the upgrade request's traceparent", async () => {
    const ws = createWsClients();
    try {
      const client = ws.connect(url.replace('http://', 'ws://'), undefined, { headers: { traceparent } });
      const events = [];
      for await (const event of client.iterate({ query: watch })) events.push(event);
      expect(events).toMatchObject([{ errors: [{ extensions: { code: 'NOT_FOUND' } }] }]);
      const result = await client.iterate({ query: `query App { app(appId: "${APP}") { appName } }` }).next();
      expect(result.value).toEqual({ data: { app: { appName: 'todo-app' } } });
    } finally {
      await ws.disposeAll();
    }

    expect(named('POST /graphql')).toEqual([]);
    for (const name of ['subscription.Watch', 'query.App']) {
      expect(traceOf(only(name))).toBe(clientTraceId);
      expect(parentOf(only(name))).toBe(clientSpanId);
    }
    expect(parentOf(only('AmplifyBackend/GetBackend'))).toBe(idOf(only('query.App')));
  });
});

describe('without OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('loads no OpenTelemetry SDK module', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'test/fixtures/tracing-modules-child.ts']);
    const { served, thenTheSdk } = JSON.parse(stdout.trim().split('\n').at(-1)!);
    // The API alone, which prom-client loads for its exemplars: it records nothing by itself.
    expect(served).toEqual(['@opentelemetry/api']);
    expect(thenTheSdk).toEqual(expect.arrayContaining(['@opentelemetry/api', '@opentelemetry/sdk-trace-base']));
    // A process that compiles the gateway with tsx: seconds, more on a busy machine.
  }, 60_000);

  it('installs nothing: no span even with an exporter at hand', async () => {
    expect(await createTracing(undefined, { logger: pino({ level: 'silent' }) })).toBeUndefined();
    const exporter = new InMemorySpanExporter();
    await using stack = await startStack({ spanExporter: exporter });
    const res = await stack.graphql(`query App { app(appId: "${APP}") { appName } }`, {});
    expect(res.errors).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

describe('settings', () => {
  it('reads OpenTelemetry variables: the endpoint as a base for /v1/traces, the traces endpoint as it is', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      url: 'http://collector:4318/v1/traces',
      serviceName: 'amplifybackend-graphql',
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/spans',
        OTEL_SERVICE_NAME: 'gateway-eu',
      }).tracing,
    ).toEqual({ url: 'https://traces.example/otlp/spans', serviceName: 'gateway-eu' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(configError({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }).message).toMatchInlineSnapshot(`
      "invalid configuration:
        - OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL"
    `);
  });
});

/** An OTLP/HTTP receiver on 127.0.0.1: the trace export requests it is sent, decoded. */
async function startReceiver(status = 200) {
  const requests: { path: string | undefined; contentType: string | undefined; body: any }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
    requests.push({ path: req.url, contentType: req.headers['content-type'], body: JSON.parse(text) });
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** Every span received, with its resource's service name. */
    spans: () =>
      requests.flatMap((r) =>
        (r.body.resourceSpans ?? []).flatMap((rs: any) =>
          rs.scopeSpans.flatMap((ss: any) =>
            ss.spans.map((span: any) => ({
              name: span.name as string,
              traceId: span.traceId as string,
              service: rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue,
            })),
          ),
        ),
      ),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('end to end, to an OTLP/HTTP receiver', () => {
  it('exports the spans when the gateway stops', async () => {
    const receiver = await startReceiver();
    try {
      const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'e2e-gateway' });
      const stack = await startStack({ gateway: { tracing: config.tracing } });
      const res = await stack.request({ query: `query App { app(appId: "${APP}") { appName } }` }, { traceparent });
      expect(res.body).toEqual({ data: { app: { appName: 'todo-app' } } });
      // Batched: nothing is sent before the batch is due, or the gateway stops.
      await stack.stop();

      expect(receiver.requests.map((r) => [r.path, r.contentType])).toEqual([['/v1/traces', 'application/json']]);
      expect(receiver.spans().sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: 'AmplifyBackend/GetBackend', traceId: clientTraceId, service: 'e2e-gateway' },
        { name: 'POST /graphql', traceId: clientTraceId, service: 'e2e-gateway' },
        { name: 'query.App', traceId: clientTraceId, service: 'e2e-gateway' },
      ]);
    } finally {
      await receiver.stop();
    }
  });

  it('logs once that exports fail, and the gateway serves on', async () => {
    const receiver = await startReceiver(400);
    const lines: any[] = [];
    try {
      const stack = await startStack({
        gateway: { tracing: { url: `${receiver.url}/v1/traces`, serviceName: 'e2e-gateway' }, logLevel: 'info' },
        logDestination: { write: (line: string) => void lines.push(JSON.parse(line)) },
      });
      const res = await stack.graphql(`query App { app(appId: "${APP}") { appName } }`);
      expect(res).toEqual({ data: { app: { appName: 'todo-app' } } });
      await stack.stop();
      expect(receiver.requests).toHaveLength(1);
      expect(lines.filter((l) => l.msg.startsWith('trace export'))).toMatchObject([
        { level: 40, msg: 'trace export failed: spans are dropped until it works again', spans: 3 },
      ]);
    } finally {
      await receiver.stop();
    }
  });
});

describe('upstream spans', () => {
  it('a call made once its operation has ended (a poller it started) starts a trace of its own, linked to it', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const tracer = provider.getTracer('test');
    const scope = new AsyncLocalStorage<OperationScope>();
    const instrument = createUpstreamSpans(tracer, scope);
    const operation = tracer.startSpan('query.Started');
    const context = trace.setSpan(ROOT_CONTEXT, operation);
    const answer = async () => ({ $metadata: { attempts: 2, requestId: 'request-1' } });

    await scope.run({ context, ended: false }, () => instrument('GetBackendJob', answer));
    operation.end();
    await scope.run({ context, ended: true }, () => instrument('GetBackendJob', answer));

    const [during, after] = exporter.getFinishedSpans().filter((s) => s.name === 'AmplifyBackend/GetBackendJob');
    expect(parentOf(during)).toBe(operation.spanContext().spanId);
    expect(during.links).toEqual([]);
    expect(after.parentSpanContext).toBeUndefined();
    expect(traceOf(after)).not.toBe(operation.spanContext().traceId);
    expect(after.links.map((l) => l.context)).toEqual([operation.spanContext()]);
    expect(after.attributes).toMatchObject({ 'amplifybackend.attempts': 2, 'aws.request_id': 'request-1' });
    await provider.shutdown();
  });
});
