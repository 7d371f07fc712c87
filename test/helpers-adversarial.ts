import { afterAll, beforeAll } from 'vitest';
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import type { ConsoleOperationName, OperationName as BackendOperationName } from '../src/aws/client.js';

/** AmplifyBackend's operations and the Amplify console API's the gateway sends (ListApps, GetApp). */
type OperationName = BackendOperationName | ConsoleOperationName;
import { createManualScheduler, startStack, until, type Stack } from './helpers.js';

// Shared by the adversarial suite (test/adversarial/): run settings, the crash guard, what a
// well-formed answer is, and which upstream operations each root field may cause.

/** Runs per property: small in CI, `FUZZ_RUNS=2000 npx vitest run test/adversarial` for a long local run. */
export function fuzzRuns(ciRuns: number): number {
  const given = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(given) && given > 0 ? given : ciRuns;
}

/** A test's timeout: `ciMs` in CI, an hour for a FUZZ_RUNS run. */
export const fuzzTimeout = (ciMs = 30_000) => (process.env.FUZZ_RUNS ? 3_600_000 : ciMs);

/** The suite's seed: `FUZZ_SEED` to replay another; each property derives its own from it and its name. */
export const fuzzSeed = Number.isInteger(Number(process.env.FUZZ_SEED)) && process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 1206;

const hash = (text: string) => [...text].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) | 0, 7);

/**
 * fast-check settings for one property: seeded from the suite's seed and the property's name (so
 * each replays alone), bounded in runs, and in time unless FUZZ_RUNS asks for a long run. The
 * seed is in the failure report ("seed: …, path: …"): pass both back with `fc.assert(…, { seed, path })`.
 */
export function fuzzParams<T>(name: string, ciRuns: number, timeLimitMs = 8000): fc.Parameters<T> {
  return {
    seed: fuzzSeed ^ hash(name),
    numRuns: fuzzRuns(ciRuns),
    // A found failure is still reported when its shrinking runs out of time.
    ...(process.env.FUZZ_RUNS ? {} : { interruptAfterTimeLimit: timeLimitMs }),
  };
}

/**
 * `fc.assert`, except that a property stopped by its time limit before any run finished says so:
 * one generated request took longer than the whole property may (work per request is unbounded).
 */
export async function assertProperty<T>(property: fc.IAsyncProperty<T>, params: fc.Parameters<T>): Promise<void> {
  const details = await fc.check(property, params);
  if (!details.failed) return;
  if (details.interrupted && details.numRuns === 0) {
    throw new Error(`not one run finished within ${params.interruptAfterTimeLimit} ms (seed ${details.seed}): a single generated request took that long`);
  }
  throw new Error((await fc.asyncDefaultReportMessage(details)) ?? 'property failed', { cause: details.errorInstance ?? undefined });
}

/** A value that prints as `text` in fast-check's counterexample (100 KB values made short). */
export function labelled<T extends object>(value: T, text: string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: () => text, enumerable: false });
  return value;
}

/**
 * Listens for what would end a production process: an unhandled rejection or an uncaught
 * exception. `check()` lets the event loop turn (they are reported a turn late) and throws any seen.
 */
export function createCrashGuard() {
  const seen: string[] = [];
  const record = (what: string) => (error: unknown) => {
    seen.push(`${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`.slice(0, 2000));
  };
  const onRejection = record('unhandledRejection');
  const onException = record('uncaughtException');
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    async check() {
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
      if (seen.length > 0) throw new Error(`the process would have died: ${seen.splice(0).join('\n')}`);
    },
    dispose() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}

/** The data of each `next` event of an event stream's text, as JSON text. */
export const nextEventData = (stream: string) =>
  stream
    .split('\n\n')
    .filter((block) => /^event: next/m.test(block))
    .map((block) =>
      block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5))
        .join('\n'),
    );

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

const fail = (rule: string, answer: Answer): never => {
  const body = answer.text.length > 600 ? `${answer.text.slice(0, 600)}…` : answer.text;
  throw new Error(`${rule}\n  answer: ${answer.status} ${answer.contentType}\n  ${body}`);
};

// Answers that mean the gateway failed, not the client: a masked exception; graphql-js's
// "Validation aborted." that names no limit; yoga's message for an operationName it cannot use,
// which says neither which nor why.
const unclearMessages = new Set(['Unexpected error.', 'Validation aborted.', 'Could not determine what operation to execute.']);

/**
 * The invariants of one answer to a client-made request: JSON, a well-formed GraphQL response (or
 * a batch of them) with a code on every error, or a 4xx that says what is wrong; never a 5xx, an
 * UPSTREAM_* code, an INTERNAL_SERVER_ERROR or a masked "Unexpected error.".
 */
export function checkAnswer(answer: Answer, options: { batch?: boolean } = {}): void {
  if (answer.status >= 500) fail(`a client-made request answered ${answer.status}`, answer);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    if (answer.status >= 400 && answer.status < 500 && answer.text.trim() !== '') return;
    fail(answer.status >= 400 ? `a ${answer.status} without a message` : 'an answer that is not JSON', answer);
  }
  if (answer.status >= 400 && answer.status < 500 && isObject(body) && typeof body.message === 'string' && body.message) return;
  if (Array.isArray(body)) {
    if (!options.batch) fail('a list answered to a request that was not a batch', answer);
    for (const item of body) checkGraphQLResponse(item, answer);
    return;
  }
  checkGraphQLResponse(body, answer);
}

function checkGraphQLResponse(body: unknown, answer: Answer) {
  if (!isObject(body)) return fail('a response that is not an object', answer);
  if (!('data' in body) && !('errors' in body)) fail('a response with neither data nor errors', answer);
  const extra = Object.keys(body).filter((k) => !['data', 'errors', 'extensions'].includes(k));
  if (extra.length > 0) fail(`a response with members ${extra.join(', ')}`, answer);
  if (!('errors' in body)) return;
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) return fail('errors that are not a non-empty list', answer);
  for (const error of errors) {
    if (!isObject(error) || typeof error.message !== 'string' || error.message === '') fail('an error without a message', answer);
    const code = isObject(error.extensions) ? error.extensions.code : undefined;
    if (typeof code !== 'string') fail(`an error without extensions.code: ${JSON.stringify(error.message)}`, answer);
    if (code.startsWith('UPSTREAM_')) fail(`a client-made request answered ${code}`, answer);
    if (code === 'INTERNAL_SERVER_ERROR' || unclearMessages.has(error.message)) {
      fail(`an answer that does not say what is wrong: ${JSON.stringify(error.message)} (${code})`, answer);
    }
  }
}

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

const reads: OperationName[] = [
  // An App node's defaultDomain, platform and createTime.
  'GetApp',
  'GetBackend',
  'GetBackendAPI',
  'GetBackendAPIModels',
  'GetBackendAuth',
  'GetBackendStorage',
  'GetBackendJob',
  'ListBackendJobs',
  'GetToken',
];

/** The upstream operations in `served` that write: what a read-only request must never cause. */
export const writesIn = (served: Counts) =>
  Object.keys(served).filter((op) => !reads.includes(op as OperationName) && op !== 'ListS3Buckets');

/**
 * The upstream operations each root field may cause, read off its resolver (src/resolvers/*.ts)
 * and the selection the suite makes (leaf fields, and those one object down). A write field causes
 * its own write and reads only; a query never writes. A field missing here fails the suite: add it.
 */
export const mayCause: Record<string, readonly OperationName[]> = {
  'query._entities': ['GetBackend', 'GetApp', 'GetBackendJob', 'ListBackendJobs'],
  'query._service': [],
  'query.adminToken': ['GetToken'],
  'query.app': ['GetBackend', 'GetApp'],
  // Its nodes, one object down, read their app's environments.
  'query.apps': ['ListApps', 'GetBackend'],
  // pendingJob, one object down, reads the environment's newest jobs.
  'query.backendEnvironment': ['GetBackend', 'GetApp', 'ListBackendJobs'],
  'query.backendJob': ['GetBackendJob', 'ListBackendJobs', 'GetBackend', 'GetApp'],
  'query.node': ['GetBackend', 'GetApp', 'GetBackendJob', 'ListBackendJobs', 'GetToken'],
  'query.nodes': ['GetBackend', 'GetApp', 'GetBackendJob', 'ListBackendJobs', 'GetToken'],
  'query.s3Buckets': ['ListS3Buckets'],
  'mutation.cloneBackend': ['CloneBackend', ...reads],
  'mutation.createBackend': ['CreateBackend', ...reads],
  'mutation.createBackendApi': ['CreateBackendAPI', ...reads],
  'mutation.createBackendAuth': ['CreateBackendAuth', ...reads],
  // Reads the app first, for the environment its job is filed under.
  'mutation.createBackendConfig': ['CreateBackendConfig', ...reads],
  'mutation.createBackendStorage': ['CreateBackendStorage', ...reads],
  'mutation.createToken': ['CreateToken', ...reads],
  'mutation.deleteBackend': ['DeleteBackend', ...reads],
  'mutation.deleteBackendApi': ['DeleteBackendAPI', ...reads],
  'mutation.deleteBackendAuth': ['DeleteBackendAuth', ...reads],
  'mutation.deleteBackendStorage': ['DeleteBackendStorage', ...reads],
  'mutation.deleteToken': ['DeleteToken', ...reads],
  'mutation.generateBackendApiModels': ['GenerateBackendAPIModels', ...reads],
  'mutation.importBackendAuth': ['ImportBackendAuth', ...reads],
  'mutation.importBackendStorage': ['ImportBackendStorage', ...reads],
  // Reads the app first: the response names no environment.
  'mutation.removeAllBackends': ['RemoveAllBackends', ...reads],
  'mutation.removeBackendConfig': ['RemoveBackendConfig', ...reads],
  'mutation.updateBackendApi': ['UpdateBackendAPI', ...reads],
  'mutation.updateBackendAuth': ['UpdateBackendAuth', ...reads],
  'mutation.updateBackendConfig': ['UpdateBackendConfig', ...reads],
  'mutation.updateBackendJob': ['UpdateBackendJob', ...reads],
  'mutation.updateBackendStorage': ['UpdateBackendStorage', ...reads],
  'subscription.backendJob': ['GetBackendJob', 'ListBackendJobs', 'GetBackend', 'GetApp'],
  'subscription.backendJobs': ['GetBackendJob', 'ListBackendJobs', 'GetBackend', 'GetApp'],
};

export type Counts = Partial<Record<string, number>>;

const minus = (after: Counts, before: Counts): Counts =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, (v ?? 0) - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );

/**
 * The upstream calls of one request, as the gateway made them and as the emulator served them,
 * checked: the emulator served only operations the gateway called (a dot segment in a path member
 * makes a call that the emulator serves as another operation), and only operations the field may
 * cause. A call that never reached an operation (refused, failed before sending, or sent to a path
 * of none) is not looked at here: the answer says whether it was refused for the right reason.
 */
export function checkUpstream(field: string, made: Counts, served: Counts) {
  const allowed = mayCause[field];
  if (!allowed) throw new Error(`${field} is not in mayCause (test/helpers-adversarial.ts): add what its resolver may call`);
  const sorted = (c: Counts) => JSON.stringify(Object.fromEntries(Object.entries(c).sort()));
  if (Object.keys(served).some((op) => (served[op] ?? 0) > (made[op] ?? 0))) {
    throw new Error(`upstream calls reached other operations than their own: the gateway called ${sorted(made)}, the emulator served ${sorted(served)}`);
  }
  const foreign = Object.keys(served).filter((op) => !allowed.includes(op as OperationName));
  if (foreign.length > 0) throw new Error(`${field} caused ${foreign.join(', ')} upstream (it may cause only ${allowed.join(', ') || 'nothing'})`);
}

export const adminKey = 'adversarial-admin-key-0001';
export const adminHeaders = { authorization: `Bearer ${adminKey}` };

export const probeQuery = '{ app(appId: "d1todoapp00001") { appName } }';

type StackOptions = NonNullable<Parameters<typeof startStack>[0]>;

/**
 * A stack for attacks: a key with every scope (so mutations run), no rate limit (the suite sends
 * hundreds of requests a second; the rate limiter has its own tests), pollers on a manual
 * scheduler (nothing polls between runs). `prepare()` before each run gives the run a closed
 * circuit, seeded emulator state and zeroed counts; a circuit left open by earlier runs would
 * make every later run fail for a reason that is not its own.
 */
export async function startFuzzStack(gateway: StackOptions['gateway'] = {}) {
  const make = async () => {
    const scheduler = createManualScheduler();
    const stack = await startStack({
      scheduler,
      gateway: {
        ...gateway,
        // Generated requests without a credential are many: the failed-authentication limit (its
        // own tests in access-limits) would answer them 429 before anything they attack is reached.
        access: {
          apiKeys: [{ key: adminKey, scopes: ['read', 'write', 'admin'] }],
          insecure: false,
          authFailuresPerMinute: 0,
          ...gateway.access,
        },
        limits: { rateLimitPerMinute: 0, ...gateway.limits },
      },
    });
    return { stack, scheduler };
  };
  let current = await make();
  let restarts = 0;

  async function upstreamCalls(): Promise<Counts> {
    const metric = current.stack.gateway.metrics.registry.getSingleMetric('amplifybackend_upstream_calls_total');
    const counts: Counts = {};
    for (const { labels, value } of (await metric!.get()).values) {
      const op = String(labels.operation);
      counts[op] = (counts[op] ?? 0) + value;
    }
    return counts;
  }

  let before: Counts = {};

  return {
    get stack(): Stack {
      return current.stack;
    },
    get scheduler() {
      return current.scheduler;
    },
    /** How often a run found the circuit open and needed a new gateway. */
    get restarts() {
      return restarts;
    },
    circuit: () => current.stack.gateway.aws.health().circuit,
    /**
     * Before a run: no upstream call of an earlier run still in flight (an interrupted property
     * leaves some), a closed circuit, the seeded state back if an earlier run wrote, zeroed counts.
     */
    async prepare() {
      const { aws } = current.stack.gateway;
      await until(() => aws.health().inFlight === 0 && aws.health().queued === 0, 'upstream calls in flight to settle', 10_000_000);
      if (aws.health().circuit !== 'closed') {
        await current.stack.stop();
        current = await make();
        restarts++;
      }
      if (writesIn(current.stack.calls() as Counts).length > 0) current.stack.emulator.reset();
      current.stack.resetCalls();
      before = await upstreamCalls();
    },
    /** A new gateway and emulator, for a run that must start from a fresh circuit breaker. */
    async restart() {
      await current.stack.stop();
      current = await make();
      before = await upstreamCalls();
    },
    /** The upstream calls since `prepare`: as made by the gateway, and as served by the emulator. */
    async calls() {
      return { made: minus(await upstreamCalls(), before), served: current.stack.calls() as Counts };
    },
    /** A request through yoga in-process, with the admin credential unless `headers` say otherwise. */
    async send(init: { method?: string; path?: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
      const res = await current.stack.gateway.yoga.fetch(`http://yoga/graphql${init.path ?? ''}`, {
        method: init.method ?? 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...adminHeaders, ...init.headers },
        body: init.body,
      });
      return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
    },
    /** An ordinary client is still served, upstream included. */
    async probe() {
      const answer = await this.send({ body: JSON.stringify({ query: probeQuery }) });
      if (answer.text !== JSON.stringify({ data: { app: { appName: 'todo-app' } } })) {
        throw new Error(`the probe client was not served: ${answer.status} ${answer.text.slice(0, 500)}`);
      }
    },
    stop: () => current.stack.stop(),
  };
}

export type FuzzStack = Awaited<ReturnType<typeof startFuzzStack>>;

/** Sends bytes over a real socket, whatever they are: node:http, so that nothing cleans them up on the way. */
export function rawHttp(
  url: string,
  init: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string },
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    // node:http refuses to send a path with white space, controls or non-ASCII: those go
    // percent-encoded (UTF-8 bytes; a lone surrogate as U+FFFD), as a client's library would.
    const path = init.path.replace(/[^\x21-\x7e]/gu, (c) => [...Buffer.from(c)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
    const req = httpRequest({ host: hostname, port, method: init.method, path, headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A test file's fuzz stack, started before its tests and stopped after them, and its crash guard. */
export function useFuzzStack(gateway?: StackOptions['gateway']) {
  const guard = createCrashGuard();
  let fuzz: FuzzStack | undefined;
  beforeAll(async () => {
    fuzz = await startFuzzStack(gateway);
  });
  afterAll(async () => {
    await fuzz?.stop();
    guard.dispose();
  });
  return {
    guard,
    get fuzz(): FuzzStack {
      if (!fuzz) throw new Error('the fuzz stack starts in beforeAll');
      return fuzz;
    },
  };
}
