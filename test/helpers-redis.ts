import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { defineConfig } from '../src/config.js';
import { createGateway, type Gateway } from '../src/server.js';
import { fakeCredentials, scoped, startStack, startTestEmulator, type GraphQLResponse, type Stack } from './helpers.js';

/** A port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts redis-server on `port` and resolves once it says it accepts connections. */
async function spawnRedis(port: number, args: string[] = []): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null) => reject(new Error(`redis-server on port ${port} exited (${code}): ${output.slice(-500)}`));
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', reject);
  });
  // Its log is not ours to print; drained so the pipe never fills.
  child.stdout!.resume();
  child.stderr!.resume();
  const password = args.includes('--requirepass') ? args[args.indexOf('--requirepass') + 1] : undefined;
  await using client = scoped(
    new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, password }),
    (c) => c.disconnect(),
  );
  await client.connect();
  if ((await client.ping()) !== 'PONG') throw new Error(`redis-server on port ${port} does not answer PING`);
  return child;
}

/**
 * A redis-server of the test's own on a free port of 127.0.0.1, which the test may kill (SIGKILL,
 * as a crash would) and start again on the same port. Never the machine's shared Redis.
 */
export async function startRedisServer(options: { args?: string[] } = {}) {
  let args = options.args ?? [];
  let port = await freePort();
  let child: ChildProcess | undefined;
  // Another process may take the probed port before redis-server binds it: try another.
  for (let attempt = 0; !child; attempt++) {
    try {
      child = await spawnRedis(port, args);
    } catch (error) {
      if (attempt >= 2) throw error;
      port = await freePort();
    }
  }
  const server = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined;
    },
    /** SIGKILL: no goodbye to the clients; resolves once the process is gone. */
    async kill() {
      const dying = child;
      if (!dying) return;
      child = undefined;
      if (dying.exitCode === null && dying.signalCode === null) {
        const exited = once(dying, 'exit');
        dying.kill('SIGKILL');
        await exited;
      }
    },
    /**
     * SIGSTOP: connections stay open but nothing answers, as with a hung server, until SIGCONT
     * when the `await using` scope of what it answers ends.
     */
    pause() {
      const paused = child;
      paused?.kill('SIGSTOP');
      return { [Symbol.asyncDispose]: async () => void paused?.kill('SIGCONT') };
    },
    /** Starts it again on the same port, empty (nothing is saved); `args` replace the first start's. */
    async restart(restartArgs: string[] = args) {
      await server.kill();
      args = restartArgs;
      child = await spawnRedis(port, args);
    },
    /** A client of the test's own, for looking at keys; disconnected when its `await using` scope ends. */
    client: () => scoped(new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }), (c) => c.disconnect()),
    async [Symbol.asyncDispose]() {
      await server.kill();
    },
  };
  return server;
}

export type RedisServer = Awaited<ReturnType<typeof startRedisServer>>;

/**
 * Polls a condition that depends on an external process (redis-server, real-time lease renewals):
 * no event to await. Every 10 ms, for at most 10 s.
 */
export async function eventually(condition: () => Promise<boolean> | boolean, what: string) {
  for (let i = 0; i < 1000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Gateway instances sharing one emulator (manual clock) and one Redis, as a cluster would: each
 * with a graphql-ws client, its log lines and its /ready. Keys and channels are under a prefix of
 * their own, so runs never see each other. `stop` ends them all.
 */
export async function startRedisInstances(options: {
  leaseMs: number;
  prefix: string;
  /** JOB_STUCK_AFTER_SECONDS. @default the gateway's */
  stuckAfterSeconds?: number;
  /** How long the emulator's jobs run. @default its own */
  jobDurationMs?: number;
  /** More settings of every instance. */
  config?: Parameters<typeof defineConfig>[0];
}) {
  const emulator = await startTestEmulator({ seed: 'demo', jobDurationMs: options.jobDurationMs });
  const prefix = `${options.prefix}:${randomUUID()}:`;
  const gateways: Gateway[] = [];
  const clients: Client[] = [];
  return {
    emulator,
    prefix,
    async instance(redisUrl: string) {
      const logs: LogLine[] = [];
      const gateway = await createGateway(
        defineConfig({
          upstream: { kind: 'aws', endpoint: emulator.url, region: 'us-east-1', credentials: fakeCredentials },
          upstreamMaxAttempts: 1,
          logLevel: 'info',
          access: { insecure: true },
          redisUrl,
          redisPrefix: prefix,
          jobLeaseMs: options.leaseMs,
          jobPolling: { minIntervalMs: 20, maxIntervalMs: 100, outageAfter: 5 },
          ...(options.stuckAfterSeconds === undefined ? {} : { jobStuckAfterSeconds: options.stuckAfterSeconds }),
          limits: { costExtensions: false },
          ...options.config,
        }),
        {
          logDestination: { write: (line: string) => void logs.push(JSON.parse(line)) },
          // Job ages on the emulator's clock, as startStack measures them: the wall clock is months
          // ahead of it, and every running job would read as stuck.
          now: () => emulator.clock.now(),
        },
      );
      gateways.push(gateway);
      const url = await gateway.start(0);
      const client = createClient({ url: url.replace('http://', 'ws://'), webSocketImpl: WebSocket, retryAttempts: 0, onNonLazyError: () => {} });
      clients.push(client);
      const ready = async () => {
        const res = await fetch(url.replace('/graphql', '/ready'));
        return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
      };
      /** An operation over HTTP, in process: its whole response. */
      const graphql = async (query: string) => {
        const res = await gateway.yoga.fetch('http://yoga/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query }),
        });
        return (await res.json()) as GraphQLResponse;
      };
      return { gateway, client, logs, ready, graphql };
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await Promise.all(gateways.map((g) => g.stop()));
      await emulator.stop();
    },
    async [Symbol.asyncDispose]() {
      await this.stop();
    },
  };
}

/**
 * Two gateways (each with its own emulator) on one redis-server of their own, under a prefix of
 * their own so that runs never share keys: what a cluster shares through Redis (rate limits,
 * budgets), seen from two instances. `stop` ends them and the server.
 */
export async function startTwoOnOneRedis(gateway: Parameters<typeof defineConfig>[0]) {
  const redis = await startRedisServer();
  const shared = { redisUrl: redis.url, redisPrefix: `abg-test:${randomUUID()}:` };
  const instances: [Stack, Stack] = [
    await startStack({ gateway: { ...shared, ...gateway } }),
    await startStack({ gateway: { ...shared, ...gateway } }),
  ];
  return {
    instances,
    redis,
    async stop() {
      await Promise.all(instances.map((s) => s.stop()));
      await redis.kill();
    },
  };
}
