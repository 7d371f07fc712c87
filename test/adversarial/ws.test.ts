import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import WebSocket from 'ws';
import {
  assertProperty,
  adminKey,
  checkAnswer,
  createCrashGuard,
  fuzzParams,
  fuzzTimeout,
  isObject,
  labelled,
  probeQuery,
  startFuzzStack,
  writesIn,
  type FuzzStack,
} from '../helpers-adversarial.js';
import { deferred } from '../helpers.js';
import { anyString, shorten } from './arbitraries.js';

// Random graphql-ws frames in random order over a real socket: connection_init with junk payloads,
// subscribe before init, duplicate ids, unknown types, pings, completes for unknown ids, malformed
// JSON, binary frames. The server closes with a protocol code or answers each operation well-formed;
// it never fails internally, and the request-level policies hold on this transport as on HTTP:
// persisted operations only, introspection off, the size of variables.

const guard = createCrashGuard();
const persistedQuery = `query Persisted ${probeQuery}`;
const persistedHash = createHash('sha256').update(persistedQuery).digest('hex');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'adversarial-ws-'));
  writeFileSync(join(dir, 'operations.json'), JSON.stringify({ [persistedHash]: persistedQuery }));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  guard.dispose();
});

const MAX_VARIABLES_BYTES = 64 * 1024;

const operations = [
  '{ __typename }',
  probeQuery,
  persistedQuery,
  '{ __schema { queryType { name } } }',
  '{ __type(name: "Query") { name } }',
  'mutation { removeAllBackends(input: { appId: "d2gallery00002" }) { app { appId } } }',
  'query Q($id: ID!) { app(appId: $id) { appName } }',
  'subscription { backendJob(appId: "..", environmentName: ".", jobId: "remove") { jobId } }',
  'subscription { backendJobs(appId: "d1todoapp00001", environmentName: "ab\\ud800cd") { jobId } }',
  `{ ${'__typename '.repeat(800)}}`,
  '{',
  '',
];

const junk = fc.jsonValue({ maxDepth: 2 });
const ids = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '2', '3') },
  { weight: 1, arbitrary: anyString.filter((s) => s.length < 200) },
);

const bigVariables = { id: 'd1todoapp00001', pad: 'x'.repeat(MAX_VARIABLES_BYTES + 1024) };
const persistedExtensions = { persistedQuery: { version: 1, sha256Hash: persistedHash } };

/** A subscribe payload the protocol accepts: a query string, variables and extensions objects, a string operationName. */
const payload = fc
  .record({
    query: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...operations) }, { weight: 1, arbitrary: anyString }),
    variables: fc.option(
      fc.oneof(fc.record({ id: anyString }), fc.constant(bigVariables), fc.dictionary(fc.string({ maxLength: 3 }), junk, { maxKeys: 2 })),
      { freq: 2 },
    ),
    // Mostly left out: most operations of the pool have no name.
    operationName: fc.option(fc.constantFrom('Persisted', 'Q', ''), { freq: 2 }).map((v) => (v === null ? undefined : v)),
    extensions: fc.option(
      fc.oneof(
        fc.constant(persistedExtensions),
        fc.record({ persistedQuery: fc.record({ version: junk, sha256Hash: fc.oneof(anyString, junk) }) }),
      ),
      { freq: 2 },
    ),
  })
  .map((p) => Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined && v !== null)));

/** A subscribe payload of any shape, which the protocol may refuse. */
const anyPayload = fc.record(
  {
    query: fc.oneof(fc.constantFrom(...operations), junk),
    variables: junk,
    operationName: junk,
    extensions: fc.oneof(fc.constant(persistedExtensions), junk),
  },
  { requiredKeys: [] },
);

interface Frame {
  data: string | Buffer;
  binary: boolean;
  /** Wait for the answer to this subscribe before the next frame (else frames go out back to back). */
  wait?: boolean;
}

const text = (message: unknown): Frame => ({ data: JSON.stringify(message), binary: false });

const goodInit = fc.constantFrom(
  text({ type: 'connection_init', payload: { authorization: `Bearer ${adminKey}` } }),
  text({ type: 'connection_init', payload: { 'x-api-key': adminKey } }),
);

const frame: fc.Arbitrary<Frame> = fc.oneof(
  { weight: 1, arbitrary: goodInit },
  {
    weight: 1,
    arbitrary: fc
      .oneof(junk, fc.record({ authorization: fc.oneof(anyString, junk) }), fc.constant(undefined))
      .map((p) => text({ type: 'connection_init', payload: p })),
  },
  {
    weight: 10,
    arbitrary: fc.tuple(ids, payload, fc.boolean()).map(([id, p, wait]) => ({ ...text({ id, type: 'subscribe', payload: p }), wait })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.oneof(ids, junk), fc.oneof(anyPayload, junk)).map(([id, p]) => text({ id, type: 'subscribe', payload: p })) },
  { weight: 1, arbitrary: fc.oneof(ids, junk).map((id) => text({ id, type: 'complete' })) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('ping', 'pong'), junk).map(([type, p]) => text({ type, payload: p })) },
  { weight: 1, arbitrary: fc.oneof(anyString, junk).map((type) => text({ type })) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('{', 'null', '[]', '{"type":1}', ''))
      .map((data) => ({ data, binary: false })),
  },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b)),
        ids.map((id) => Buffer.from(JSON.stringify({ id, type: 'subscribe', payload: { query: '{ __typename }' } }))),
      )
      .map((data) => ({ data, binary: true })),
  },
);

/** A conversation: mostly one that starts with a good connection_init, then frames in any order. */
const conversation = fc
  .tuple(fc.constantFrom(true, true, true, false), fc.array(frame, { minLength: 1, maxLength: 8 }))
  .chain(([initFirst, frames]) => (initFirst ? goodInit.map((init) => [init, ...frames]) : fc.constant(frames)))
  .map((frames) =>
    labelled(
      frames,
      frames
        .map((f) => `${f.binary ? 'binary ' : ''}${shorten(f.data.toString('utf8'), 600)}${f.wait ? ' (then waits for its answer)' : ''}`)
        .join('\n  '),
    ),
  );

/** A client that follows the protocol: an init, then operations, each answered before the next. */
const orderlyConversation = fc
  .tuple(goodInit, fc.array(fc.tuple(ids, payload), { minLength: 1, maxLength: 5 }))
  .map(([init, subscribes]) => {
    const frames = [init, ...subscribes.map(([id, p]) => ({ ...text({ id, type: 'subscribe', payload: p }), wait: true }))];
    return labelled(frames, frames.map((f) => shorten(String(f.data), 600)).join('\n  '));
  });

interface Received {
  messages: any[];
  /** The server's close, if it closed before the client did. */
  close?: { code: number; reason: string };
}

/** Sends the frames, then a ping; waits until the server has closed, or has answered the ping and every operation it took. */
async function converse(url: string, frames: Frame[]): Promise<Received> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await once(socket, 'open');
  const received: Received = { messages: [] };
  const pending = new Map<string, number>();
  let ponged = false;
  let leaving = false;
  let wake: () => void = () => {};
  // Subscriptions that the server took may stay open (pollers run on a manual scheduler here): once
  // the server has answered the last ping, the client leaves them, as a client would.
  const subscriptions = new Set<string>();
  const leaveSubscriptions = () => {
    if (!ponged || received.close) return;
    for (const id of subscriptions) {
      if ((pending.get(id) ?? 0) <= 0) continue;
      pending.set(id, 0);
      socket.send(JSON.stringify({ id, type: 'complete' }));
    }
  };
  socket.on('message', (data) => {
    let message: any;
    try {
      message = JSON.parse(String(data));
    } catch {
      message = { unparsable: String(data) };
    }
    received.messages.push(message);
    if (message.type === 'pong' && message.payload?.last === true) ponged = true;
    if ((message.type === 'complete' || message.type === 'error') && typeof message.id === 'string') {
      pending.set(message.id, (pending.get(message.id) ?? 0) - 1);
    }
    leaveSubscriptions();
    wake();
  });
  socket.on('close', (code, reason) => {
    if (!leaving) received.close ??= { code, reason: reason.toString() };
    wake();
  });

  let timer: NodeJS.Timeout | undefined;
  // Not a wait for time to pass: a bound on a server that stops answering, so that it fails here.
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the server neither closed nor answered within 5 s: ${shorten(received.messages)}`)), 5000);
  });
  async function until(condition: () => boolean) {
    while (!received.close && !condition()) await Promise.race([new Promise<void>((resolve) => (wake = resolve)), stalled]);
  }

  // However the exchange ends: no timer left, and the socket gone before the next run.
  await using _left = deferred(async () => {
    clearTimeout(timer);
    if (socket.readyState !== WebSocket.CLOSED) {
      leaving = true;
      const closed = once(socket, 'close');
      socket.terminate();
      await closed;
    }
  });
  for (const f of frames) {
    if (received.close) break;
    let message: any;
    try {
      message = JSON.parse(f.data.toString('utf8'));
    } catch {
      message = undefined;
    }
    const id = isObject(message) && typeof message.id === 'string' && message.id !== '' ? message.id : undefined;
    const subscription = /^\s*subscription\b/.test(String(message?.payload?.query));
    if (id && message.type === 'subscribe') {
      // The server answers each subscribe it takes with complete or error.
      pending.set(id, (pending.get(id) ?? 0) + 1);
      if (subscription) subscriptions.add(id);
    }
    // A complete from the client ends its operation without an answer.
    if (id && message.type === 'complete') pending.set(id, 0);
    socket.send(f.data, { binary: f.binary });
    // A client waits for connection_ack before it subscribes; this one too, once it has sent an init.
    if (!f.binary && message?.type === 'connection_init') await until(() => received.messages.some((m) => m.type === 'connection_ack'));
    if (f.wait && id && !subscription) await until(() => (pending.get(id) ?? 0) <= 0);
  }
  if (!received.close) socket.send(JSON.stringify({ type: 'ping', payload: { last: true } }));
  await until(() => ponged && [...pending.values()].every((n) => n <= 0));
  return received;
}

// graphql-ws's close codes for what the client did wrong, WebSocket's for a policy it broke or a
// frame too large, and a normal close.
const clientCloseCodes = new Set([1000, 1008, 1009, 4400, 4401, 4403, 4406, 4408, 4409, 4429]);

/**
 * `form`: the server closed with a protocol code, sent only protocol messages, and answered every
 * operation well-formed. The others: no operation ran that this policy of the gateway refuses over
 * HTTP (only persisted operations, no introspection, variables up to MAX_VARIABLES_BYTES).
 */
type Check = 'form' | 'persisted' | 'introspection' | 'variables';

function checkConversation(frames: Frame[], received: Received, check: Check) {
  if (check === 'form' && received.close && !clientCloseCodes.has(received.close.code)) {
    throw new Error(`the server closed with ${received.close.code} "${received.close.reason}"`);
  }
  // Every payload sent under an id: an id may be used again once its operation is done.
  const sent = new Map<string, any[]>();
  for (const f of frames) {
    try {
      const m = JSON.parse(f.data.toString('utf8'));
      if (isObject(m) && m.type === 'subscribe' && typeof m.id === 'string') sent.set(m.id, [...(sent.get(m.id) ?? []), m.payload]);
    } catch {
      // not JSON
    }
  }
  for (const message of received.messages) {
    if (!isObject(message) || !['connection_ack', 'next', 'error', 'complete', 'ping', 'pong'].includes(message.type)) {
      throw new Error(`the server sent ${shorten(message)}`);
    }
    const answer = (body: unknown) => ({ status: 200, contentType: 'application/json', text: JSON.stringify(body) });
    if (check === 'form' && message.type === 'error') checkAnswer(answer({ errors: message.payload }));
    if (check === 'form' && message.type === 'next') checkAnswer(answer(message.payload));
    if (check === 'form' || message.type !== 'next' || message.payload?.data == null) continue;
    // Where one id carried several operations, a rule is broken only if each of them broke it.
    const requests = sent.get(message.id) ?? [];
    const persisted = (r: any) => r?.extensions?.persistedQuery?.sha256Hash === persistedHash && !r?.query;
    if (check === 'persisted' && requests.every((r) => !persisted(r))) {
      throw new Error(`an operation that is not persisted ran over graphql-ws: ${shorten(requests)} -> ${shorten(message.payload)}`);
    }
    const data = JSON.stringify(message.payload.data);
    if (check === 'introspection' && /"__schema"|"__type"/.test(data)) {
      throw new Error(`introspection was answered over graphql-ws with introspection off: ${shorten(message.payload)}`);
    }
    if (check === 'variables' && requests.every((r) => JSON.stringify(r?.variables ?? {}).length > MAX_VARIABLES_BYTES)) {
      throw new Error(`variables larger than MAX_VARIABLES_BYTES (${MAX_VARIABLES_BYTES}) were accepted over graphql-ws: ${shorten(requests)}`);
    }
  }
}

describe.each([
  ['persisted operations only, introspection off', { persistedOnly: true, introspection: false }],
  ['any operation, introspection off', { persistedOnly: false, introspection: false }],
] as const)('graphql-ws frames, %s', (name, policy) => {
  let fuzz: FuzzStack;
  let url: string;

  beforeAll(async () => {
    fuzz = await startFuzzStack({
      limits: {
        introspection: policy.introspection,
        maxVariablesBytes: MAX_VARIABLES_BYTES,
        ...(policy.persistedOnly ? { persistedOperationsFile: join(dir, 'operations.json'), requirePersistedOperations: true } : {}),
      },
    });
    url = (await fuzz.stack.gateway.start(0)).replace('http://', 'ws://');
  });
  afterAll(() => fuzz?.stop());

  const checks: [Check, string][] = [
    ['form', 'closes with a protocol code, or answers each operation well-formed'],
    ...(policy.persistedOnly ? [['persisted', 'runs only persisted operations, as HTTP does'] as [Check, string]] : []),
    ['introspection', 'answers no introspection, as HTTP does'],
    ['variables', 'takes no variables over the limit, as HTTP does'],
  ];

  it.each(checks)('%s: %s', async (check, _title) => {
    await assertProperty(
      fc.asyncProperty(check === 'form' ? conversation : orderlyConversation, async (frames) => {
        await fuzz.prepare();
        const received = await converse(url, frames);
        await guard.check();
        checkConversation(frames, received, check);
        const { served } = await fuzz.calls();
        const writes = writesIn(served);
        if (policy.persistedOnly && writes.length > 0) throw new Error(`a persisted-only gateway wrote upstream: ${writes.join(', ')}`);
        if (fuzz.circuit() !== 'closed') throw new Error(`the circuit breaker is ${fuzz.circuit()} after this conversation`);
      }),
      fuzzParams(`ws ${name} ${check}`, 40, 6000),
    );
  }, fuzzTimeout());

  it('still serves a probe client afterwards, over HTTP and over graphql-ws', async () => {
    await fuzz.prepare();
    if (policy.persistedOnly) {
      const answer = await fuzz.send({ body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: persistedHash } } }) });
      if (answer.text !== JSON.stringify({ data: { app: { appName: 'todo-app' } } })) throw new Error(`probe over HTTP: ${answer.text}`);
    } else {
      await fuzz.probe();
    }
    // graphql-ws requires a query string in every subscribe: a persisted operation cannot be sent
    // by its hash alone, so the probe over graphql-ws runs where any operation may.
    if (policy.persistedOnly) return;
    const received = await converse(url, [
      text({ type: 'connection_init', payload: { authorization: `Bearer ${adminKey}` } }),
      text({ id: 'probe', type: 'subscribe', payload: { query: probeQuery } }),
    ]);
    const next = received.messages.find((m) => m.type === 'next' && m.id === 'probe');
    if (JSON.stringify(next?.payload) !== JSON.stringify({ data: { app: { appName: 'todo-app' } } })) {
      throw new Error(`probe over graphql-ws: ${shorten(received)}`);
    }
  });
});
