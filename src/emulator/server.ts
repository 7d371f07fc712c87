import { setTimeout as delay } from 'node:timers/promises';
import { createManualClock, createSystemClock, type Clock } from './clock.js';
import { control, type Controlled } from './control.js';
import { gatewayTimeout, ServiceError, tooManyRequests } from './errors.js';
import { createFaults, jobFailureMessage } from './faults.js';
import { readJsonBody, sendError, sendJson, serveHttp, type Handler } from './http.js';
import { matchRoute, rawPath } from './router.js';
import { routes } from './routes.js';
import { demoState } from './seed.js';
import { createStateWriter, loadStateFile } from './state-file.js';
import { createStore } from './store.js';
import { emptyState, type EmulatorState } from './store/records.js';
import { validateMembers } from './validate.js';
import type { OperationName } from './wire-model.js';

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

  const handle: Handler = async (req, res, requestId) => {
    // The path as sent: `new URL` would resolve `..` (also `%2e%2e` and `\`) into another operation's path.
    const path = rawPath(req.url ?? '/');
    if (path.startsWith('/_emulator/')) return control(req, res, path, requestId, controlled);

    const match = matchRoute(req.method ?? 'GET', path);
    if (match.kind === 'none') {
      return sendError(res, requestId, new ServiceError('UnknownOperationException', 404,
        `No AmplifyBackend operation matches ${req.method} ${path}`));
    }
    if (match.kind === 'wrongMethod') {
      res.setHeader('allow', match.allowed.join(', '));
      return sendError(res, requestId, new ServiceError('MethodNotAllowedException', 405,
        `Method ${req.method} is not allowed on ${path}; use ${match.allowed.join(' or ')}`));
    }
    const { operation, labels } = match;
    stats[operation.name] = (stats[operation.name] ?? 0) + 1;

    const fault = faults.takeRequestFault(operation.name);
    if (fault?.type === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'latency') await delay(fault.delayMs ?? 1000);
    if (fault?.type === 'throttle') return sendError(res, requestId, tooManyRequests());
    if (fault?.type === 'timeout') return sendError(res, requestId, gatewayTimeout());
    if (fault?.type === 'internal') {
      return sendError(res, requestId, new ServiceError('InternalServiceException', 500, 'Internal service error (injected)'));
    }

    const body = validateMembers(await readJsonBody(req), operation.body);
    store.settle();
    const output = routes[operation.name]({
      store,
      input: { ...body, ...labels },
      jobFailure: (job) => (faults.takeJobFault(operation.name) ? jobFailureMessage(job) : undefined),
      s3PageSize,
    });
    await persist();
    sendJson(res, 200, output, requestId);
  };

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
