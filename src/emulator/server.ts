import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { advanceProblem, createManualClock, createSystemClock, type Clock } from './clock.js';
import { badRequest, gatewayTimeout, ServiceError, tooManyRequests } from './errors.js';
import { createFaults, jobFailureMessage, parseFault } from './faults.js';
import type { OperationName } from './wire-model.js';
import { matchRoute, rawPath } from './router.js';
import { routes } from './routes.js';
import { demoState } from './seed.js';
import { createStateWriter, loadStateFile } from './state-file.js';
import { createStore } from './store.js';
import { emptyState, type EmulatorState } from './store/records.js';
import { firstProblem, isObject, validateMembers } from './validate.js';

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

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Deeper bodies are refused before anything walks them. No modelled body is deeper than 7 levels;
 * 100,000 levels fit in 1 MiB, and cloning or serializing those overflows the stack.
 */
export const MAX_JSON_DEPTH = 64;

const clockAdvance = z.strictObject({ advanceMs: z.number().int().min(0) });

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

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
    // The path as sent: `new URL` would resolve `..` (also `%2e%2e` and `\`) into another operation's path.
    const path = rawPath(req.url ?? '/');
    if (path.startsWith('/_emulator/')) return control(req, res, path, requestId);

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
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string, requestId: string) {
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /_emulator/stats':
        return sendJson(res, 200, stats, requestId);
      case 'DELETE /_emulator/stats':
        stats = {};
        return sendJson(res, 200, {}, requestId);
      case 'POST /_emulator/reset':
        reset();
        await persist();
        return sendJson(res, 200, { reset: true }, requestId);
      case 'GET /_emulator/faults':
        return sendJson(res, 200, { faults: faults.list() }, requestId);
      case 'POST /_emulator/faults':
        faults.inject(parseFault(await readJsonBody(req)));
        return sendJson(res, 200, { faults: faults.list() }, requestId);
      case 'DELETE /_emulator/faults':
        faults.clear();
        return sendJson(res, 200, { faults: [] }, requestId);
      case 'POST /_emulator/clock': {
        // Checked whole before anything moves: a refused call changes neither the clock nor the file.
        const input = clockAdvance.safeParse(await readJsonBody(req));
        if (!input.success) throw badRequest(`Invalid clock advance: ${firstProblem(input.error)}`);
        const ms = input.data.advanceMs;
        const problem = advanceProblem(clock.now(), ms);
        if (problem) throw badRequest(`Invalid clock advance: advanceMs ${problem}`);
        clock.advance(ms);
        store.settle();
        await persist();
        return sendJson(res, 200, { now: new Date(clock.now()).toISOString() }, requestId);
      }
      case 'GET /_emulator/clock':
        return sendJson(res, 200, { now: new Date(clock.now()).toISOString() }, requestId);
      case 'GET /_emulator/state':
        store.settle();
        await persist();
        return sendJson(res, 200, store.snapshot(), requestId);
      default:
        return sendError(res, requestId, new ServiceError('UnknownOperationException', 404, `No emulator control endpoint ${route}`));
    }
  }

  function reset() {
    store.replace(seedState());
    faults.clear();
    stats = {};
  }

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof ServiceError) return sendError(res, requestId, error);
      // Anything else is a bug in the emulator: answer as the service would, never crash.
      console.error('emulator: unexpected error', error);
      sendError(res, requestId, new ServiceError('InternalServiceException', 500, 'Internal error in the emulator'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  await persist();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    store,
    clock,
    faults,
    stats: () => ({ ...stats }) as Partial<Record<OperationName, number>>,
    resetStats() {
      stats = {};
    },
    /** Moves the clock and completes the jobs whose time has come. */
    async advance(ms: number) {
      clock.advance(ms);
      store.settle();
      await persist();
    },
    reset,
    async stop() {
      await persist();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;

async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // CreateToken and the other body-less POSTs send nothing at all, with no content-type.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ServiceError('BadRequestException', 400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ServiceError('BadRequestException', 400, 'Request body must be a JSON object');
  if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw new ServiceError('BadRequestException', 400, `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return parsed;
}

// Iterative, so the check itself cannot overflow the stack it protects.
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return false;
}

const tooLarge = () =>
  new ServiceError('RequestEntityTooLargeException', 413, `Request body is larger than ${MAX_BODY_BYTES} bytes`);

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, requestId: string, error: ServiceError) {
  res.setHeader('x-amzn-ErrorType', error.errorType);
  // After a 413 the rest of an oversized body is not read; closing is the only clean way out.
  if (error.status === 413) res.setHeader('connection', 'close');
  sendJson(res, error.status, error.body(), requestId);
}
