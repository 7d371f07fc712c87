// The benchmark harness: `npm run bench` (about 9 minutes) or `npm run bench -- --quick` (under 2;
// printed, not written to bench/results.json). Needs wrk (`apt-get install wrk`) for the throughput figures.
// Every figure is measured in one run on this machine and written to BENCHMARKS.md:
//   1. throughput and p50/p99 of a small and a nested query, upstream 0 ms and 20 ms, against a
//      bare node:http server as the ceiling (wrk, 50 connections, server and load on separate cores);
//   2. the latency the gateway adds over the plain SDK calls a hand-written client would make, and
//      the same calls as raw HTTP requests (the floor this machine and the emulator allow);
//   3. upstream calls per query against the minimum the data needs;
//   4. subscription fan-out (bench/fanout.ts) and cold start;
//   5. the delay from a job's end on the emulator to a subscriber's event about it.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import { post, postJson } from './post.js';
import WebSocket from 'ws';
import {
  AmplifyBackendClient,
  GetBackendAPICommand,
  GetBackendAuthCommand,
  GetBackendCommand,
  GetBackendStorageCommand,
  ListBackendJobsCommand,
} from '@aws-sdk/client-amplifybackend';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const quick = values.quick;
const repeats = quick ? 1 : 3;
const seconds = quick ? 3 : 10;
const warmUpSeconds = quick ? 1 : 3;
const connections = 50;
const root = new URL('..', import.meta.url).pathname;
const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
})();
// Moves this process (every thread) to one core: the overhead figure gives each client the core
// the gateway would otherwise have.
const pinSelf = (cpu: number | 'any') => {
  const list = cpu === 'any' ? `0-${cpus().length - 1}` : String(cpu);
  if (hasTaskset) execFileSync('taskset', ['-a', '-p', '-c', list, String(process.pid)], { stdio: 'ignore' });
};
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench', AWS_REGION: 'us-east-1' };

const APP = 'd1todoapp00001';
const smallQuery = `{ app(appId: "${APP}") { appName } }`;
const nestedQuery = `{ app(appId: "${APP}") { appName environments { name
  apis { resourceName config { apiName } } auth { resourceName config { authResources } }
  storages { resourceName config { bucketName } } jobs(first: 10) { edges { node { jobId status } } } } } }`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

// Every server this run started and has not stopped: a figure that fails stops them (bench/bare.ts
// stayed up after a failure), and so does the end of the run, however it ends.
const running = new Set<ChildProcess>();
async function stopAll() {
  await Promise.all([...running].map((child) => stopProcess(child)));
}
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts a node process (pinned to `cpu` when taskset exists) and resolves with the URL it prints. */
async function startProcess(script: string, args: string[], env: Record<string, string>, cpu: number, pattern: RegExp) {
  const command = hasTaskset ? 'taskset' : process.execPath;
  const argv = hasTaskset ? ['-c', String(cpu), process.execPath, script, ...args] : [script, ...args];
  const child = spawn(command, argv, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout! });
  // Keep reading after the URL: a full pipe would block the server.
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    lines.on('line', (line) => {
      const match = pattern.exec(line);
      if (match) resolve(match[1]);
    });
  });
  return { child, url };
}

async function stopProcess(child: ChildProcess) {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

const hasWrk = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
const noWrk =
  'wrk, the load generator, is not installed: `apt-get install wrk` (Debian, Ubuntu), `brew install wrk` ' +
  '(macOS), or build it from https://github.com/wg/wrk; then run the bench again (or `--only overhead,calls,coldstart,fanout,jobend`)';

/** CPU time (user and system, every thread) a process has used so far, in ms; undefined off Linux. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15 of stat, 12 and 13 after the command) in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

// Asynchronous, so this process keeps draining the servers' output pipes while wrk runs.
async function wrk(url: string, query: string, cpu: number, duration = seconds) {
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '-s', `${root}bench/wrk-report.lua`, url];
  const child = spawn(hasTaskset ? 'taskset' : 'wrk', hasTaskset ? ['-c', String(cpu), 'wrk', ...args] : args, {
    env: { ...process.env, BODY: JSON.stringify({ query }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  await once(child, 'exit');
  const line = output.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`wrk printed no result for ${url}: ${output.slice(0, 500)}`);
  const r = JSON.parse(line!) as { requests: number; durationUs: number; socketErrors: number; non2xx: number; p50Us: number; p99Us: number };
  return {
    requests: r.requests,
    rps: r.requests / (r.durationUs / 1e6),
    p50: r.p50Us / 1000,
    p99: r.p99Us / 1000,
    errors: r.socketErrors + r.non2xx,
  };
}

async function startEmulator() {
  return startProcess('dist/emulator/main.js', ['--port', '0', '--seed', 'demo'], {}, 1, /listening on (\S+)/);
}

async function setLatency(emulatorUrl: string, ms: number) {
  await fetch(`${emulatorUrl}/_emulator/faults`, { method: 'DELETE' });
  if (ms > 0) {
    await fetch(`${emulatorUrl}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ operation: '*', type: 'latency', delayMs: ms, forever: true }),
    });
  }
}

async function startGateway(emulatorUrl: string, env: Record<string, string> = {}) {
  return startProcess(
    'dist/main.js',
    [],
    {
      // Every figure here but the cached small query is of reads made afresh: the gateway's default
      // keeps them 5 s (the dashboard scenario, bench/dashboard.ts, measures that).
      UPSTREAM_CACHE_TTL_MS: '0',
      ...env,
      ...credentials,
      PORT: '0',
      AWS_ENDPOINT_URL_AMPLIFYBACKEND: emulatorUrl,
      GATEWAY_INSECURE: 'true',
      // One client sends every request: no per-client limit is measured.
      RATE_LIMIT_PER_MINUTE: '0',
      UPSTREAM_CALLS_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      UPSTREAM_MAX_CONCURRENCY: '64',
    },
    0,
    /gateway: (\S+)/,
  );
}

// --- 1. throughput and latency ------------------------------------------------------------------

type Run = { rps: number; p50: number; p99: number; errors: number; cpuUsPerRequest?: number };

async function throughput() {
  if (!hasWrk) throw new Error(noWrk);
  const results: Record<string, ReturnType<typeof summarize>> = {};
  // Every server is measured warm: a first wrk run (not counted) lets the JIT settle. Beside
  // req/s, the server's CPU time per request (every thread, GC included): steadier than req/s on
  // a machine that other work shares.
  const measure = async (server: { url: string; child: ChildProcess }, query: string) => {
    await wrk(server.url, query, 1, warmUpSeconds);
    const runs: Run[] = [];
    for (let i = 0; i < repeats; i++) {
      const before = cpuMs(server.child.pid);
      const run = await wrk(server.url, query, 1);
      const after = cpuMs(server.child.pid);
      const cpuUsPerRequest = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / run.requests;
      runs.push({ ...run, cpuUsPerRequest });
    }
    return summarize(runs);
  };
  const bare = await startProcess('--import', ['tsx', 'bench/bare.ts'], {}, 0, /listening on (\S+)/);
  results.bare = await measure(bare, smallQuery);
  await stopProcess(bare.child);
  // A reference point: stock graphql-yoga answering { hello }, on the same core.
  const hello = await startProcess('--import', ['tsx', 'bench/yoga-hello.ts'], {}, 0, /listening on (\S+)/);
  results.yogaHello = await measure(hello, '{ hello }');
  await stopProcess(hello.child);
  const lean = await startProcess('--import', ['tsx', 'bench/yoga-hello.ts', '--lean'], {}, 0, /listening on (\S+)/);
  results.yogaHelloLean = await measure(lean, '{ hello }');
  await stopProcess(lean.child);

  const emulator = await startEmulator();
  // The small query as the issue defines it: upstream answers kept (UPSTREAM_CACHE_TTL_MS), so it
  // measures the gateway itself, through the fast path (the default) and through yoga's fetch
  // layer (FAST_PATH=false); the nested query with nothing kept between requests.
  const cached = await startGateway(emulator.url, { UPSTREAM_CACHE_TTL_MS: '60000' });
  const cachedThroughYoga = await startGateway(emulator.url, { UPSTREAM_CACHE_TTL_MS: '60000', FAST_PATH: 'false' });
  const uncached = await startGateway(emulator.url);
  for (const latency of [0, 20]) {
    await setLatency(emulator.url, latency);
    const rows = [
      ['small', smallQuery, cached],
      ['smallThroughYoga', smallQuery, cachedThroughYoga],
      ['nested', nestedQuery, uncached],
    ] as const;
    for (const [name, query, gateway] of rows) {
      const check = await post(gateway.url, query);
      if (check.errors) throw new Error(`${name} query failed: ${JSON.stringify(check.errors)}`);
      results[`${name}@${latency}ms`] = await measure(gateway, query);
    }
  }
  await stopProcess(cached.child);
  await stopProcess(cachedThroughYoga.child);
  await stopProcess(uncached.child);
  await stopProcess(emulator.child);
  return Object.fromEntries(
    Object.entries(results).map(([name, r]) => [name, { ...r, vsBare: round(r.rps / results.bare.rps, 3) }]),
  );
}

function summarize(runs: Run[]) {
  const cpu = runs.map((r) => r.cpuUsPerRequest).filter((x) => x !== undefined);
  return {
    rps: round(median(runs.map((r) => r.rps)), 0),
    p50: round(median(runs.map((r) => r.p50)), 2),
    p99: round(median(runs.map((r) => r.p99)), 2),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    ...(cpu.length > 0 ? { cpuUsPerRequest: round(median(cpu), 1) } : {}),
  };
}

// --- 2. overhead against the SDK alone, one request at a time ------------------------------------

async function sdkNested(client: AmplifyBackendClient) {
  const app = await client.send(new GetBackendCommand({ AppId: APP }));
  await Promise.all(
    (app.BackendEnvironmentList ?? []).map(async (env) => {
      const [details] = await Promise.all([
        client.send(new GetBackendCommand({ AppId: APP, BackendEnvironmentName: env })),
        client.send(new ListBackendJobsCommand({ AppId: APP, BackendEnvironmentName: env, MaxResults: 11 })),
      ]);
      const meta = JSON.parse(details.AmplifyMetaConfig ?? '{}');
      const names = (category: string) => Object.keys(meta[category] ?? {});
      const input = (ResourceName: string) => ({ AppId: APP, BackendEnvironmentName: env, ResourceName });
      await Promise.all([
        ...names('api').map((n) => client.send(new GetBackendAPICommand(input(n)))),
        ...names('auth').map((n) => client.send(new GetBackendAuthCommand(input(n)))),
        ...names('storage').map((n) => client.send(new GetBackendStorageCommand(input(n)))),
      ]);
    }),
  );
}

// The same three rounds as raw HTTP requests with no SDK: what the emulator's latency, the network
// and the timers cost on this machine, below which no client gets (a latency fault of 20 ms is
// served a little later than 20 ms: a timer fires, then a process wakes up).
async function rawNested(emulatorUrl: string) {
  const call = (path: string, body: object = {}) => postJson(`${emulatorUrl}${path}`, body);
  const app = await call(`/backend/${APP}/details`);
  await Promise.all(
    (app.backendEnvironmentList as string[]).map(async (env) => {
      const [details] = await Promise.all([call(`/backend/${APP}/details`, { backendEnvironmentName: env }), call(`/backend/${APP}/job/${env}`, { maxResults: 11 })]);
      const meta = JSON.parse(details.amplifyMetaConfig ?? '{}');
      const names = (category: string) => Object.keys(meta[category] ?? {});
      const body = (resourceName: string) => ({ backendEnvironmentName: env, resourceName });
      await Promise.all([
        ...names('api').map((n) => call(`/backend/${APP}/api/${env}/details`, body(n))),
        ...names('auth').map((n) => call(`/backend/${APP}/auth/${env}/details`, body(n))),
        ...names('storage').map((n) => call(`/backend/${APP}/storage/${env}/details`, body(n))),
      ]);
    }),
  );
}

async function overhead() {
  const iterations = quick ? 60 : 300;
  const emulator = await startEmulator();
  const gateway = await startGateway(emulator.url);
  const client = new AmplifyBackendClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  });
  const results: Record<string, Record<string, number>> = {};
  for (const latency of [0, 20]) {
    await setLatency(emulator.url, latency);
    // Each side is warmed up for the same time first: the JIT takes a few thousand requests to
    // compile the SDK's and the gateway's paths (p50 at 0 ms goes from 16 ms over the first 300
    // to 8 ms after 3,000). The 20 ms round runs on processes already warm.
    const warmSeconds = latency === 0 ? (quick ? 3 : 15) : warmUpSeconds;
    // The hand-written client does its SDK work on core 0, as the gateway does; the client of the
    // gateway only sends the query, from core 1, beside the emulator.
    const sides = [
      { core: 0, fn: () => rawNested(emulator.url), xs: [] as number[] },
      { core: 0, fn: () => sdkNested(client), xs: [] as number[] },
      { core: 1, fn: () => post(gateway.url, nestedQuery), xs: [] as number[] },
    ];
    for (const side of sides) {
      pinSelf(side.core);
      const warmUntil = performance.now() + warmSeconds * 1000;
      for (let i = 0; i < 10 || performance.now() < warmUntil; i++) await side.fn();
    }
    // Measured in turns of 20 requests a side: this machine's speed drifts by more than the
    // difference measured, and taking turns gives every side the same share of the drift.
    for (let turn = 0; turn < iterations / 20; turn++) {
      for (const side of sides) {
        pinSelf(side.core);
        for (let i = 0; i < 20; i++) {
          const t = performance.now();
          await side.fn();
          side.xs.push(performance.now() - t);
        }
      }
    }
    pinSelf(0);
    const [raw, sdk, gw] = sides.map((side) => side.xs);
    results[`nested@${latency}ms`] = {
      rawHttpP50: round(percentile(raw, 50), 2),
      sdkP50: round(percentile(sdk, 50), 2),
      sdkP99: round(percentile(sdk, 99), 2),
      gatewayP50: round(percentile(gw, 50), 2),
      gatewayP99: round(percentile(gw, 99), 2),
      addedP50: round(percentile(gw, 50) - percentile(sdk, 50), 2),
      addedP99: round(percentile(gw, 99) - percentile(sdk, 99), 2),
    };
  }
  pinSelf('any');
  client.destroy();
  await stopProcess(gateway.child);
  await stopProcess(emulator.child);
  return results;
}

// --- 3. upstream calls per query ----------------------------------------------------------------

async function upstreamCalls() {
  const emulator = await startEmulator();
  const gateway = await startGateway(emulator.url);
  await fetch(`${emulator.url}/_emulator/stats`, { method: 'DELETE' });
  const result = await post(gateway.url, nestedQuery);
  const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as Record<string, number>;
  const envs = result.data.app.environments as { apis: unknown[]; auth: unknown; storages: unknown[] }[];
  // The data needs: the app; per environment its details and its jobs; one read per resource.
  const minimum = 1 + envs.length * 2 + envs.reduce((n, e) => n + e.apis.length + (e.auth ? 1 : 0) + e.storages.length, 0);
  await stopProcess(gateway.child);
  await stopProcess(emulator.child);
  return { nested: { made: Object.values(stats).reduce((a, b) => a + b, 0), minimum, byOperation: stats } };
}

// --- 4. cold start and fan-out ------------------------------------------------------------------

async function coldStart() {
  const times = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const started = performance.now();
    const { child, url } = await startProcess('dist/main.js', [], { PORT: '0', EMULATOR_PORT: '0', LOG_LEVEL: 'warn' }, 0, /gateway: (\S+)/);
    const ready = url.replace('/graphql', '/ready');
    for (;;) {
      const res = await fetch(ready).catch(() => undefined);
      if (res?.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    times.push(performance.now() - started);
    await stopProcess(child);
  }
  return { readyMs: round(median(times), 0) };
}

async function fanOut() {
  const scenario = (subscribers: string, jobs: number) => {
    const args = ['--expose-gc', '--import', 'tsx', 'bench/fanout.ts', '--subscribers', subscribers, '--jobs', String(jobs)];
    // stderr is kept, not shown (the SDK warns about Node 20 at every start), and told on failure.
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const results = run.stdout.split('\n').filter((l) => l.startsWith('[{')).pop();
    if (run.status !== 0 || !results) {
      throw new Error(`bench/fanout.ts ${args.slice(4).join(' ')} failed (exit ${run.status ?? run.signal}):\n${run.stderr.slice(-2000)}`);
    }
    return JSON.parse(results) as Record<string, number>[];
  };
  // 100 jobs changing at once (100 pollers, 100 subscribers each), and one job's change reaching
  // every subscriber of it (fan-out alone: one poll).
  return [...scenario(quick ? '1000' : '1000,10000', 100), ...scenario(quick ? '1000' : '10000', 1)];
}

// --- 5. job end -> subscriber event -------------------------------------------------------------

// A standalone emulator on the system clock finishing jobs in 3 s, the gateway in front of it with
// its default polling (JOB_POLL_MIN_MS 1000, backoff 1.5), and a graphql-ws subscriber here: for
// each of a few jobs of one operation started in turn, the time from the job's end on the emulator
// (its updateTime, stamped at its completion time) to the subscriber's event saying it is done,
// and the GetBackendJob polls it took. The first job's operation is unknown to the gateway; the
// later ones come after it has seen jobs of that operation finish.
async function jobEnd() {
  const jobs = quick ? 3 : 5;
  const emulator = await startProcess('dist/emulator/main.js', ['--port', '0', '--seed', 'demo', '--job-seconds', '3'], {}, 1, /listening on (\S+)/);
  const gateway = await startGateway(emulator.url);
  const client = createClient({ url: gateway.url.replace('http://', 'ws://'), webSocketImpl: WebSocket, retryAttempts: 0 });
  const rows: { delayMs: number; polls: number }[] = [];
  try {
    for (let i = 0; i < jobs; i++) {
      const started = await post(
        gateway.url,
        `mutation { createBackendStorage(input: { appId: "${APP}", environmentName: "dev", resourceName: "bench${i}"
          config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
      );
      const jobId = started.data?.createBackendStorage?.job?.jobId as string | undefined;
      if (!jobId) throw new Error(`createBackendStorage failed: ${JSON.stringify(started.errors)}`);
      await fetch(`${emulator.url}/_emulator/stats`, { method: 'DELETE' });
      let doneAt = NaN;
      const query = `subscription { backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") { isDone updateTime } }`;
      let updateTime = '';
      for await (const event of client.iterate({ query })) {
        const job = (event.data as { backendJob?: { isDone: boolean; updateTime: string } } | undefined)?.backendJob;
        if (event.errors) throw new Error(`backendJob failed: ${JSON.stringify(event.errors)}`);
        if (job?.isDone) {
          doneAt = Date.now();
          updateTime = job.updateTime;
          break;
        }
      }
      const stats = (await (await fetch(`${emulator.url}/_emulator/stats`)).json()) as Record<string, number>;
      rows.push({ delayMs: doneAt - Date.parse(updateTime), polls: stats.GetBackendJob ?? 0 });
    }
  } finally {
    await client.dispose();
    await stopProcess(gateway.child);
    await stopProcess(emulator.child);
  }
  const learned = rows.slice(1);
  return {
    jobSeconds: 3,
    firstJob: rows[0],
    learnedMedian: { delayMs: median(learned.map((r) => r.delayMs)), polls: median(learned.map((r) => r.polls)) },
    jobs: rows,
  };
}

// --- run and report ------------------------------------------------------------------------------

execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
const machine = `${cpus().length} cores (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const only = values.only?.split(',');
let failed = false;
// A figure that fails is reported as its error; the others are still measured and shown.
const run = async <T>(name: string, fn: () => Promise<T>) => {
  if (only && !only.includes(name)) return undefined;
  try {
    return await fn();
  } catch (error) {
    failed = true;
    console.error(`${name}: ${(error as Error).stack}`);
    return { error: (error as Error).message };
  } finally {
    // A figure that failed halfway leaves none of its servers running.
    await stopAll();
  }
};
const report = {
  machine,
  // Other work on the machine (1, 5 and 15 min load averages at the start): req/s are noisy above 0.5 per core.
  loadAverage: loadavg().map((x) => round(x, 2)),
  mode: quick
    ? 'quick (1 run of 3 s per figure, after 1 s of warm-up)'
    : `full (median of ${repeats} runs of ${seconds} s, after ${warmUpSeconds} s of warm-up)`,
  throughput: await run('throughput', throughput),
  overhead: await run('overhead', overhead),
  upstreamCalls: await run('calls', upstreamCalls),
  coldStart: await run('coldstart', coldStart),
  fanOut: await run('fanout', fanOut),
  jobEnd: await run('jobend', jobEnd),
};
console.log(JSON.stringify(report, null, 2));
// results.json keeps only complete full runs: a quick one (1 run of 3 s) is printed, not kept.
if (!values['no-write'] && !only && !failed && !quick) writeFileSync(`${root}bench/results.json`, `${JSON.stringify(report, null, 2)}\n`);
process.exit(failed ? 1 : 0);
