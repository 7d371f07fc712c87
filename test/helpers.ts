import { AmplifyClient } from '@aws-sdk/client-amplify';
import { AmplifyBackendClient, CreateBackendStorageCommand } from '@aws-sdk/client-amplifybackend';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createClient, type Client } from 'graphql-ws';
import type { DestinationStream } from 'pino';
import WebSocket from 'ws';
import { defineConfig } from '../src/config.js';
import { startEmulator, type EmulatorOptions } from '../src/emulator/server.js';
import type { Scheduler } from '../src/jobs/scheduler.js';
import { createGateway } from '../src/server.js';

export const fakeCredentials = { accessKeyId: 'AKIDEMULATOR', secretAccessKey: 'emulator-secret' };

/**
 * `await using x = scoped(value, (v) => v.stop())`: the value, cleaned up when the scope ends,
 * however it ends, for what has no dispose of its own (a gateway, a client, a server, a patch).
 */
export function scoped<T extends object>(value: T, cleanup: (value: T) => unknown): T & AsyncDisposable {
  return Object.assign(value, {
    async [Symbol.asyncDispose]() {
      await cleanup(value);
    },
  });
}

/** `await using _ = deferred(() => …)`: the clean-up runs when the scope ends, however it ends (state to restore). */
export const deferred = (cleanup: () => unknown): AsyncDisposable => ({
  async [Symbol.asyncDispose]() {
    await cleanup();
  },
});

/** An emulator on 127.0.0.1, port 0, on a manual clock. */
export function startTestEmulator(options: EmulatorOptions = {}) {
  return startEmulator({ port: 0, host: '127.0.0.1', ...options });
}

/**
 * The real SDK client pointed at an emulator, so its serializer and deserializer run;
 * `using sdk = sdkClient(url)` destroys it when the scope ends.
 */
export function sdkClient(url: string, maxAttempts = 1) {
  const client = new AmplifyBackendClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: fakeCredentials,
    maxAttempts,
  });
  return Object.assign(client, { [Symbol.dispose]: () => client.destroy() });
}

/** The real Amplify (console API) SDK client pointed at an emulator, destroyed when its `using` scope ends. */
export function amplifyClient(url: string, maxAttempts = 1) {
  const client = new AmplifyClient({ endpoint: url, region: 'us-east-1', credentials: fakeCredentials, maxAttempts });
  return Object.assign(client, { [Symbol.dispose]: () => client.destroy() });
}

/** A minimal valid CreateBackendAuth resource config. */
export const authConfig = () => ({
  AuthResources: 'USER_POOL_ONLY' as const,
  Service: 'COGNITO' as const,
  UserPoolConfigs: {
    RequiredSignUpAttributes: ['EMAIL' as const],
    SignInMethod: 'EMAIL' as const,
    UserPoolName: 'pool',
  },
});

/**
 * Gateway settings for a test that counts the upstream calls of each request, or reads what a job
 * changed right after advancing the emulator with no poller watching: no read kept across
 * requests (identical reads in flight are still shared). The default keeps them 5 s.
 */
export const nothingKept = { upstreamCacheTtlMs: 0 } as const;

/**
 * An emulator (manual clock) and a gateway in front of it, the gateway's SDK talking to the
 * emulator over real HTTP. Queries go in-process through `yoga.fetch`.
 */
export async function startStack(
  options: {
    emulator?: EmulatorOptions;
    gateway?: Parameters<typeof defineConfig>[0];
    scheduler?: Scheduler;
    logDestination?: DestinationStream;
    /** Appended to the emulator's URL in the gateway's upstream endpoint (a path no operation has). */
    upstreamPath?: string;
    /** Where the gateway's spans go, when `gateway.tracing` turns tracing on. */
    spanExporter?: SpanExporter;
  } = {},
) {
  const emulator = await startTestEmulator({ seed: 'demo', ...options.emulator });
  const gateway = await createGateway(
    defineConfig({
      upstream: {
        kind: 'aws',
        endpoint: `${emulator.url}${options.upstreamPath ?? ''}`,
        region: 'us-east-1',
        credentials: fakeCredentials,
      },
      upstreamMaxAttempts: 1,
      logLevel: 'silent',
      ...options.gateway,
      // Tests talk to the emulator: open unless a test configures credentials.
      access: { insecure: true, ...options.gateway?.access },
      // Responses as the tests compare them: extensions.cost has its own tests (cost.test.ts).
      limits: { costExtensions: false, ...options.gateway?.limits },
    }),
    // Job ages (runningForSeconds, stuck) are measured on the clock the emulator stamps createTime with.
    {
      scheduler: options.scheduler,
      logDestination: options.logDestination,
      now: () => emulator.clock.now(),
      spanExporter: options.spanExporter,
    },
  );

  async function request(body: unknown, headers: Record<string, string> = {}) {
    const res = await gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as GraphQLResponse };
  }

  return {
    emulator,
    gateway,
    request,
    /** Runs an operation; the whole response, `data` and `errors`. */
    async graphql<T = any>(query: string, variables?: Record<string, unknown>) {
      return (await request({ query, variables })).body as GraphQLResponse<T>;
    },
    /** Upstream calls made since the last `resetCalls`, by operation name. */
    calls: () => emulator.stats(),
    resetCalls: () => emulator.resetStats(),
    /** Total upstream calls since the last `resetCalls`. */
    totalCalls: () => Object.values(emulator.stats()).reduce((a, b) => a + (b ?? 0), 0),
    async stop() {
      await gateway.stop();
      await emulator.stop();
    },
    /** `await using stack = await startStack()`: stopped when the scope ends, however it ends. */
    async [Symbol.asyncDispose]() {
      await this.stop();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/**
 * Starts a CreateBackendStorage job through the gateway (it runs the emulator's job time, and the
 * mutation tells the gateway's pollers) and answers its id.
 */
export async function startStorageJob(stack: Pick<Stack, 'graphql'>, resourceName: string, environmentName = 'dev', appId = 'd1todoapp00001') {
  const res = await stack.graphql(`mutation {
    createBackendStorage(input: {
      appId: "${appId}", environmentName: "${environmentName}", resourceName: "${resourceName}"
      config: { permissions: { authenticated: [READ] } }
    }) { job { jobId } }
  }`);
  if (res.errors) throw new Error(`createBackendStorage failed: ${JSON.stringify(res.errors)}`);
  return res.data.createBackendStorage.job.jobId as string;
}

/**
 * Starts a CreateBackendStorage job on the emulator itself, behind the gateway's back (nothing
 * tells its pollers): only polling can find it. Its id.
 */
export async function startStorageJobUpstream(emulatorUrl: string, resourceName: string, environmentName = 'dev', appId = 'd1todoapp00001') {
  using sdk = sdkClient(emulatorUrl);
  const { JobId } = await sdk.send(
    new CreateBackendStorageCommand({
      AppId: appId,
      BackendEnvironmentName: environmentName,
      ResourceName: resourceName,
      ResourceConfig: { ServiceName: 'S3', Permissions: { Authenticated: ['READ'] } },
    }),
  );
  return JobId!;
}

export interface GraphQLResponse<T = any> {
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
  /** `cost`, when the gateway reports it (COST_EXTENSIONS). */
  extensions?: Record<string, any>;
}

/** Decodes a Relay global id into its type name and key parts. */
export function decodeId(globalId: string): { typename: string; key: string[] } {
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return { typename: text.slice(0, colon), key: JSON.parse(text.slice(colon + 1)) as string[] };
}

/**
 * Timers that fire only when the test says: the gateway's pollers run on it, so a test decides
 * exactly when upstream is polled. `advance` runs every task that falls due, in time order, and
 * waits for each.
 */
export function createManualScheduler() {
  let now = 0;
  let seq = 0;
  const tasks = new Map<number, { at: number; task: () => unknown }>();
  return {
    now: () => now,
    schedule(task: () => unknown, delayMs: number) {
      const id = ++seq;
      tasks.set(id, { at: now + delayMs, task });
      return id;
    },
    cancel(handle: unknown) {
      tasks.delete(handle as number);
    },
    pending: () => tasks.size,
    async advance(ms = 0) {
      const until = now + ms;
      for (;;) {
        let next: [number, { at: number; task: () => unknown }] | undefined;
        for (const entry of tasks) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        tasks.delete(next[0]);
        now = Math.max(now, next[1].at);
        await next[1].task();
      }
      now = until;
    },
  } satisfies Scheduler & Record<string, unknown>;
}

/**
 * Lets the event loop turn until `condition` holds: for what arrives over a socket with no event
 * to await (a subscription reaching the server). Never sleeps. Fails after `turns` turns and, as a
 * loaded machine (CI, other suites) can take longer than that to deliver a socket's bytes, not
 * before `atLeastMs` have passed too.
 */
export async function until(condition: () => boolean, what: string, turns = 5000, atLeastMs = 10_000) {
  const start = Date.now();
  for (let i = 0; ; i++) {
    if (condition()) return;
    if (i >= turns && Date.now() - start >= atLeastMs) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** The `data:` payloads of a text/event-stream response, as parsed JSON, until the stream ends. */
export async function* readEvents(res: Response): AsyncGenerator<any> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (/^event: complete/m.test(block)) return;
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      if (data) yield JSON.parse(data);
    }
  }
}

/** A test's graphql-ws clients, disposed together after it. */
export function createWsClients() {
  let clients: Client[] = [];
  return {
    /** `headers` go on the upgrade request; `lazy` connects on the first subscription only. */
    connect(url: string, connectionParams?: Record<string, unknown>, options: { headers?: Record<string, string>; lazy?: boolean } = {}) {
      const { headers, lazy = false } = options;
      const webSocketImpl = headers
        ? class extends WebSocket {
            constructor(address: string, protocols?: string | string[]) {
              super(address, protocols, { headers });
            }
          }
        : WebSocket;
      // The server closing the socket on stop is expected here, not an error to print.
      const client = createClient({ url, webSocketImpl, retryAttempts: 0, lazy, onNonLazyError: () => {}, connectionParams });
      clients.push(client);
      return client;
    },
    async disposeAll() {
      await Promise.all(clients.map((c) => c.dispose()));
      clients = [];
    },
  };
}
