import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { eventually } from './helpers-redis.js';

const root = new URL('..', import.meta.url).pathname;

/** bench/dashboard.ts with `args`; its stdout, stderr and exit, and the pids it says it started. */
function runBench(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/dashboard.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    pids: () => [...stderr.matchAll(/bench: started \S+ pid (\d+)/g)].map((m) => Number(m[1])),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

// Timings are not asserted: the figures are BENCHMARKS.md's; here the script works end to end.
describe('npm run bench:dashboard', () => {
  it('--quick reports every figure, for one instance with nothing kept and two over Redis, and leaves nothing running', async () => {
    const bench = runBench(['--quick', '--only', '1,4']);
    const [code] = await bench.exited;
    expect(code, bench.stderr()).toBe(0);
    const report = JSON.parse(bench.stdout());
    expect(report).toMatchObject({ scenario: 'dashboard', mode: 'quick', clients: 20, seconds: 12, reloadEveryMs: 2000 });
    expect(report.results.map((r: { setting: string; instances: number }) => [r.setting, r.instances])).toEqual([
      ['cache off (UPSTREAM_CACHE_TTL_MS=0)', 1],
      ['default, REDIS_URL, two instances', 2],
    ]);
    for (const result of report.results) {
      expect(result).toEqual({
        setting: expect.any(String),
        instances: expect.any(Number),
        requestsServed: expect.any(Number),
        failures: 0,
        failuresByCode: {},
        upstreamCalls: expect.any(Number),
        upstreamCallsByOperation: expect.objectContaining({ GetBackend: expect.any(Number), ListBackendJobs: expect.any(Number) }),
        callsPer1000Requests: expect.any(Number),
        latencyMs: { p50: expect.any(Number), p99: expect.any(Number) },
        staleness: { changes: 1, neverShown: 0, medianMs: expect.any(Number), maxMs: expect.any(Number), eachMs: [expect.any(Number)] },
      });
      expect(result.requestsServed).toBeGreaterThan(0);
    }
    // The emulator, and the gateways of each setting.
    expect(bench.pids()).toHaveLength(5);
    for (const pid of bench.pids()) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 180_000);

  it('stopped midway, leaves no emulator or gateway running', async () => {
    const bench = runBench(['--quick', '--only', '4']);
    await eventually(() => bench.pids().length === 3 || bench.child.exitCode !== null, 'the emulator and both gateways');
    bench.child.kill('SIGTERM');
    await bench.exited;
    expect(bench.pids()).toHaveLength(3);
    await eventually(() => bench.pids().every((pid) => !alive(pid)), 'every process the bench started to end');
  }, 60_000);
});
