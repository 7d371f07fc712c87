import { createManualClock, createSystemClock, type Clock } from './clock.js';
import type { Controlled } from './control.js';
import { createFaults } from './faults.js';
import { serveHttp } from './http.js';
import { createRequestHandler } from './request.js';
import { demoState } from './seed.js';
import { createStateWriter, loadStateFile } from './state-file.js';
import { createStore } from './store.js';
import { emptyState, type EmulatorState } from './store/records.js';
import type { ServedOperationName as OperationName } from './console.js';

export interface EmulatorOptions {
  /** @default 0 (any free port) */
  port?: number;
  /**
   * The emulator has no authentication and its control endpoints reset state and show secrets:
   * keep it on loopback unless the network around it is trusted. @default '127.0.0.1'
   */
  host?: string;
  /** @default a manual clock, which moves only when advanced */
  clock?: Clock | 'system';
  /** Initial state when no state file exists yet. @default 'empty' */
  seed?: 'demo' | 'empty' | EmulatorState;
  /** Load state from this file at start and save every change to it (atomically). */
  stateFile?: string;
  /** @default 3000 */
  jobDurationMs?: number;
  /** @default 3600 */
  tokenTtlSeconds?: number;
  /** Buckets per ListS3Buckets page. @default 10 */
  s3PageSize?: number;
  /** @default 'us-east-1' */
  region?: string;
}

/** Requests served per operation name, with fault injection and state control, for tests. */
export async function startEmulator(options: EmulatorOptions = {}) {
  const clock =
    options.clock === 'system' ? createSystemClock() : (options.clock ?? createManualClock());
  const seedState = (): EmulatorState =>
    options.seed === 'demo'
      ? demoState(clock.now())
      : typeof options.seed === 'object'
        ? structuredClone(options.seed)
        : emptyState();
  const initial = (options.stateFile && (await loadStateFile(options.stateFile))) || seedState();
  if (initial.clock !== undefined && initial.clock > clock.now()) clock.advance(Math.ceil(initial.clock - clock.now()));
  const store = createStore(
    { clock, jobDurationMs: options.jobDurationMs, tokenTtlSeconds: options.tokenTtlSeconds, region: options.region },
    initial,
  );
  const faults = createFaults();
  const s3PageSize = options.s3PageSize ?? 10;
  let stats: Record<string, number> = {};
  const save = options.stateFile ? createStateWriter(options.stateFile) : undefined;
  let savedRevision = -1;

  async function persist() {
    if (!save || store.revision === savedRevision) return;
    const revision = store.revision;
    await save(store.snapshot());
    savedRevision = revision;
  }

  function reset() {
    store.replace(seedState());
    faults.clear();
    stats = {};
  }

  const controlled: Controlled = {
    store,
    clock,
    faults,
    stats: () => stats,
    resetStats() {
      stats = {};
    },
    reset,
    persist,
  };

  const handle = createRequestHandler({
    ...controlled,
    s3PageSize,
    countRequest(operation) {
      stats[operation] = (stats[operation] ?? 0) + 1;
    },
  });

  const http = await serveHttp(handle, options.port ?? 0, options.host ?? '127.0.0.1');
  await persist();
  const { address } = http;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    store,
    clock,
    faults,
    stats: () => ({ ...stats }) as Partial<Record<OperationName, number>>,
    resetStats: controlled.resetStats,
    /** Moves the clock and completes the jobs whose time has come. */
    async advance(ms: number) {
      clock.advance(ms);
      store.settle();
      await persist();
    },
    reset,
    async stop() {
      await persist();
      await http.close();
    },
  };
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
