// Subscription fan-out: N graphql-ws subscribers on 100 jobs, one status change each. Measures the
// time until the last subscriber has it, the upstream polls made, and the server's RSS.
// detectMs: clock change to the first subscriber (waiting for a poll); jobFanOutMs: the longest
// time from a job's first subscriber to its last; allJobsSpreadMs also holds the 100 pollers'
// different phases within the poll interval.
//   npm run bench:fanout -- --subscribers 1000,10000 [--jobs 100]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

// The compiled gateway, as `npm start` runs it: tsx's transform of src would slow it down.
const dist = (path: string) => import(new URL(`../dist/${path}`, import.meta.url).href);
const { defineConfig } = (await dist('config.js')) as typeof import('../src/config.js');
const { createManualClock } = (await dist('emulator/clock.js')) as typeof import('../src/emulator/clock.js');
const { startEmulator } = (await dist('emulator/server.js')) as typeof import('../src/emulator/server.js');
const { createStore } = (await dist('emulator/store.js')) as typeof import('../src/emulator/store.js');
const { createGateway } = (await dist('server.js')) as typeof import('../src/server.js');

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000,10000' },
    jobs: { type: 'string', default: '100' },
    'poll-ms': { type: 'string', default: '1000' },
    // A CPU profile of the server side from the change to the last subscriber, for finding where
    // fan-out time goes (open it in Chrome DevTools).
    'cpu-prof': { type: 'string' },
  },
});
const sizes = values.subscribers.split(',').map(Number);
const jobCount = Number(values.jobs);
const pollMs = Number(values['poll-ms']);

// 100 jobs need 100 environments: one pending job per app+environment, as on AWS.
function benchState(now: number) {
  const clock = createManualClock(now - 60_000);
  const store = createStore({ clock, jobDurationMs: 1000 });
  for (let i = 0; i < jobCount; i++) {
    store.createBackend(`bench${String(i).padStart(4, '0')}`, `bench-${i}`, 'bench');
  }
  clock.advance(1000);
  store.settle();
  return store.snapshot();
}

async function run(subscribers: number) {
  const clock = createManualClock(Date.now());
  const emulator = await startEmulator({ clock, seed: benchState(clock.now()), jobDurationMs: 60_000 });
  const jobs = [];
  for (let i = 0; i < jobCount; i++) {
    const appId = `bench${String(i).padStart(4, '0')}`;
    const job = emulator.store.putResource('CreateBackendStorage', appId, 'bench', 'storage', {
      resourceName: 'files', bucketName: `files-${appId}`, imported: false, permissions: { authenticated: ['READ'] },
    }, 'create');
    jobs.push({ appId, environmentName: 'bench', jobId: job.jobId });
  }
  const gateway = await createGateway(
    defineConfig({
      upstream: { kind: 'aws', endpoint: emulator.url, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } },
      jobPolling: { minIntervalMs: pollMs, maxIntervalMs: pollMs, outageAfter: 5 },
      access: { insecure: true },
      logLevel: 'warn',
      limits: { rateLimitPerMinute: 0, upstreamCallsPerMinute: 0 },
    }),
  );
  const url = (await gateway.start(0)).replace('http://', 'ws://');

  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./fanout-client.ts', import.meta.url).pathname], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(JSON.stringify({ url, subscribers, jobs }));
  const lines = createInterface({ input: child.stdout });
  const next = async () => {
    const [line] = (await once(lines, 'line')) as [string];
    const message = JSON.parse(line);
    if (message.error) throw new Error(`subscriber: ${message.error}`);
    return message;
  };

  const subscribing = Date.now();
  await next();
  const readyMs = Date.now() - subscribing;
  global.gc?.();
  const rssMb = process.memoryUsage().rss / 1024 / 1024;
  const heapMb = process.memoryUsage().heapUsed / 1024 / 1024;

  emulator.resetStats();
  const profiler = values['cpu-prof'] ? await startProfiler() : undefined;
  const changed = Date.now();
  await emulator.advance(60_000);
  const { firstDone, lastDone, maxJobFanOutMs } = await next();
  if (profiler) await profiler.stop(`${values['cpu-prof']}-${subscribers}.cpuprofile`);
  const window = Date.now() - changed;
  const polls = emulator.stats().GetBackendJob ?? 0;

  child.kill('SIGTERM');
  await once(child, 'exit');
  await gateway.stop();
  await emulator.stop();
  return {
    subscribers,
    jobs: jobCount,
    subscribeAllMs: readyMs,
    detectMs: firstDone - changed,
    jobFanOutMs: maxJobFanOutMs,
    allJobsSpreadMs: lastDone - firstDone,
    lastSubscriberMs: lastDone - changed,
    upstreamPolls: polls,
    pollsPerJobPerInterval: +(polls / jobCount / Math.max(1, Math.ceil(window / pollMs))).toFixed(2),
    serverRssMb: Math.round(rssMb),
    serverHeapMb: Math.round(heapMb),
  };
}

async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file: string) {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

const results = [];
for (const n of sizes) results.push(await run(n));
console.table(results);
console.log(JSON.stringify(results));
process.exit(0);
