// The dashboard scenario: `npm run bench:dashboard` (about 5 minutes), `-- --quick` (about a minute),
// `-- --only 1,4` (some settings, numbered as listed below).
// CLIENTS clients each reload an environment view (the README's first example) every 2 s for
// SECONDS s, while storages are created and deleted straight on the emulator (behind the
// gateway's back), one write every 4 s, each a 3 s job whose end changes the view. For each
// setting of the gateway: frontend requests served, upstream calls made (the emulator's call log,
// less the bench's own writes), calls per 1,000 requests, p50/p99 latency, and staleness: from a
// job's end upstream to the first response, of any client, that shows what it changed.
// Prints the report as JSON on stdout; every process it starts is stopped, also when it fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  AmplifyBackendClient,
  CreateBackendStorageCommand,
  DeleteBackendStorageCommand,
} from '@aws-sdk/client-amplifybackend';
import { createClient } from 'graphql-ws';
import { post } from './post.js';
import WebSocket from 'ws';
import { startRedisServer, type RedisServer } from '../test/helpers-redis.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = values.quick;
const clients = quick ? 20 : 200;
const seconds = quick ? 12 : 60;
const reloadMs = 2000;
const writeEveryMs = 4000;
const jobSeconds = 3;
const root = new URL('..', import.meta.url).pathname;
const APP = 'd1todoapp00001';
const ENV = 'dev';

// The README's first example, as a dashboard's environment view sends it.
const view = `query {
  app(appId: "${APP}") {
    appName
    environments {
      name
      apis { resourceName config { apiName transformSchema defaultAuthType { mode } } models { status } }
      auth { resourceName config { userPoolConfigs { signInMethod mfa { mfaMode } } } }
      storages { resourceName config { bucketName permissions { authenticated unAuthenticated } } }
      jobs(first: 5) { edges { node { jobId operation state isDone createTime } } }
    }
  }
}`;

interface Setting {
  name: string;
  /** The gateways' environment, one entry per instance. */
  instances: Record<string, string>[];
  redis?: boolean;
  /** A backendJobs subscriber on the environment, as a page that shows job progress would hold. */
  watcher?: boolean;
}

const settings: Setting[] = [
  { name: 'cache off (UPSTREAM_CACHE_TTL_MS=0)', instances: [{ UPSTREAM_CACHE_TTL_MS: '0' }] },
  { name: 'default (5 s)', instances: [{}] },
  { name: 'default, one backendJobs subscriber', instances: [{}], watcher: true },
  { name: 'default, REDIS_URL, two instances', instances: [{}, {}], redis: true },
];

// --- processes ---------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
let redis: RedisServer | undefined;
// Whatever ends this process, nothing it started runs on.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  // Its SIGKILL goes out before kill() first awaits.
  void redis?.kill();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

/** A node process running `script` through tsx; resolves with the first capture of `pattern` in its output. */
async function startNode(script: string, args: string[], env: Record<string, string>, pattern: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  // For whoever checks that nothing is left running (test/bench-dashboard.test.ts).
  console.error(`bench: started ${script} pid ${child.pid}`);
  let errors = '';
  child.stderr!.on('data', (chunk) => (errors = (errors + chunk).slice(-2000)));
  const lines = createInterface({ input: child.stdout! });
  // Read on after the match: a full pipe would block the server.
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${errors}`)));
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return { child, url };
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const startEmulator = () =>
  startNode('src/emulator/main.ts', ['--port', '0', '--seed', 'demo', '--job-seconds', String(jobSeconds)], {}, /listening on (\S+)/);

function startGateway(emulatorUrl: string, env: Record<string, string>) {
  return startNode(
    'src/main.ts',
    [],
    {
      AWS_ACCESS_KEY_ID: 'AKIDBENCH',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_REGION: 'us-east-1',
      PORT: '0',
      AWS_ENDPOINT_URL_AMPLIFYBACKEND: emulatorUrl,
      GATEWAY_INSECURE: 'true',
      // Every client comes from 127.0.0.1: no per-client limit is what is measured here (neither
      // the request rate nor the budget of upstream calls).
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_CALLS_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      UPSTREAM_MAX_CONCURRENCY: '64',
      ...env,
    },
    /gateway: (\S+)/,
  );
}

// --- the load --------------------------------------------------------------------------------------


/** Responses with errors (or none at all), by the first error's code. */
interface Failures {
  n: number;
  byCode: Record<string, number>;
}

function countFailure(failures: Failures, code: string) {
  failures.n++;
  failures.byCode[code] = (failures.byCode[code] ?? 0) + 1;
}

interface Response {
  at: number;
  storages: string[] | undefined;
}

/** One client: reloads the view every reloadMs from `startAt` until `endAt`, one request at a time. */
async function reloadLoop(url: string, startAt: number, endAt: number, latencies: number[], responses: Response[], failures: Failures) {
  for (let due = startAt; due < endAt; due += reloadMs) {
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const sent = performance.now();
    try {
      const res = await post(url, view);
      latencies.push(performance.now() - sent);
      const env = (res.data?.app?.environments as { name: string; storages: { resourceName: string }[] }[] | undefined)?.find((e) => e.name === ENV);
      const code = (res.errors?.[0] as { extensions?: { code?: string } } | undefined)?.extensions?.code;
      if (res.errors || !env) countFailure(failures, code ?? 'NO_DATA');
      responses.push({ at: Date.now(), storages: env?.storages.map((s) => s.resourceName) });
    } catch (error) {
      countFailure(failures, (error as NodeJS.ErrnoException).code ?? 'REQUEST_FAILED');
    }
  }
}

interface Change {
  /** When the job's end made it upstream (the emulator's clock is this machine's). */
  at: number;
  shows: (storages: string[]) => boolean;
}

/** Creates and deletes storages on the emulator itself, one write every writeEveryMs: the changes, once their jobs end. */
async function writeLoop(emulatorUrl: string, startAt: number, endAt: number, changes: Change[]) {
  const sdk = new AmplifyBackendClient({
    endpoint: emulatorUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
    maxAttempts: 1,
  });
  let writes = 0;
  try {
    // The last write's job must end, and be seen with reads kept the default 5 s, before the load ends.
    for (let due = startAt, i = 0; due + jobSeconds * 1000 + 5000 + reloadMs < endAt; due += writeEveryMs, i++) {
      const wait = due - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const name = `dash${Math.floor(i / 2)}`;
      const input = { AppId: APP, BackendEnvironmentName: ENV, ResourceName: name };
      writes++;
      if (i % 2 === 0) {
        await sdk.send(new CreateBackendStorageCommand({ ...input, ResourceConfig: { ServiceName: 'S3', Permissions: { Authenticated: ['READ'] } } }));
        changes.push({ at: Date.now() + jobSeconds * 1000, shows: (s) => s.includes(name) });
      } else {
        await sdk.send(new DeleteBackendStorageCommand({ ...input, ServiceName: 'S3' }));
        changes.push({ at: Date.now() + jobSeconds * 1000, shows: (s) => !s.includes(name) });
      }
    }
  } finally {
    sdk.destroy();
  }
  return writes;
}

const percentile = (xs: number[], p: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Per change: from its job's end to the first response received after it that shows it (none: null). */
function staleness(changes: Change[], responses: Response[]) {
  const sorted = [...responses].sort((a, b) => a.at - b.at);
  return changes.map((change) => {
    const first = sorted.find((r) => r.at >= change.at && r.storages && change.shows(r.storages));
    return first ? Math.max(0, first.at - change.at) : null;
  });
}

async function measure(setting: Setting, redis: RedisServer | undefined) {
  const emulator = await startEmulator();
  const started: ChildProcess[] = [emulator.child];
  try {
    const prefix = `bench-dashboard:${process.pid}:${Date.now()}:`;
    const gateways: { child: ChildProcess; url: string }[] = [];
    for (const env of setting.instances) {
      const extra: Record<string, string> = redis ? { REDIS_URL: redis.url, REDIS_PREFIX: prefix } : {};
      const gateway = await startGateway(emulator.url, { ...env, ...extra });
      started.push(gateway.child);
      gateways.push(gateway);
    }
    const watcher = setting.watcher
      ? createClient({ url: gateways[0].url.replace('http://', 'ws://'), webSocketImpl: WebSocket, retryAttempts: 0 })
      : undefined;
    if (watcher) {
      const query = `subscription { backendJobs(appId: "${APP}", environmentName: "${ENV}") { jobId state } }`;
      watcher.subscribe({ query }, { next: () => undefined, error: () => undefined, complete: () => undefined });
    }
    try {
      // Warm: every gateway has read the view once; the call log starts after.
      for (const g of gateways) await post(g.url, view);
      await fetch(`${emulator.url}/_emulator/stats`, { method: 'DELETE' });
      const startAt = Date.now() + 200;
      const endAt = startAt + seconds * 1000;
      const latencies: number[] = [];
      const responses: Response[] = [];
      const failures: Failures = { n: 0, byCode: {} };
      const changes: Change[] = [];
      const loops = Array.from({ length: clients }, (_, i) =>
        // Clients spread over one reload interval, as pages opened at different times are.
        reloadLoop(gateways[i % gateways.length].url, startAt + Math.floor((i * reloadMs) / clients), endAt, latencies, responses, failures),
      );
      const [writes] = await Promise.all([writeLoop(emulator.url, startAt + 1000, endAt, changes), ...loops]);
      const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as Record<string, number>;
      const total = Object.values(stats).reduce((a, b) => a + b, 0);
      const upstreamCalls = total - writes;
      const served = latencies.length - failures.n;
      const stale = staleness(changes, responses);
      const seen = stale.filter((s): s is number => s !== null);
      return {
        setting: setting.name,
        instances: gateways.length,
        requestsServed: served,
        failures: failures.n,
        failuresByCode: failures.byCode,
        upstreamCalls,
        upstreamCallsByOperation: Object.fromEntries(
          Object.entries(stats)
            .map(([op, n]) => [op, n - (op === 'CreateBackendStorage' ? Math.ceil(writes / 2) : op === 'DeleteBackendStorage' ? Math.floor(writes / 2) : 0)] as const)
            .filter(([, n]) => n > 0),
        ),
        callsPer1000Requests: served > 0 ? round((upstreamCalls / served) * 1000) : null,
        latencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
        staleness: {
          changes: changes.length,
          neverShown: stale.length - seen.length,
          medianMs: seen.length > 0 ? Math.round(percentile(seen, 50)) : null,
          maxMs: seen.length > 0 ? Math.round(Math.max(...seen)) : null,
          eachMs: stale.map((ms) => (ms === null ? null : Math.round(ms))),
        },
      };
    } finally {
      await watcher?.dispose();
    }
  } finally {
    for (const child of started.reverse()) await stop(child);
  }
}

const only = values.only?.split(',');
const chosen = settings.filter((s, i) => !only || only.includes(String(i + 1)));
const results = [];
let failed = false;
try {
  for (const setting of chosen) {
    if (setting.redis) redis ??= await startRedisServer();
    try {
      results.push(await measure(setting, setting.redis ? redis : undefined));
    } catch (error) {
      failed = true;
      console.error(`${setting.name}: ${(error as Error).stack}`);
      results.push({ setting: setting.name, error: (error as Error).message });
    }
  }
} finally {
  await redis?.kill();
}
const report = {
  scenario: 'dashboard',
  machine: `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  mode: quick ? 'quick' : 'full',
  clients,
  seconds,
  reloadEveryMs: reloadMs,
  writeEveryMs,
  jobSeconds,
  results,
};
console.log(JSON.stringify(report, null, 2));
process.exit(failed ? 1 : 0);
