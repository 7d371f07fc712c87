// Property-based: generated names and bodies sent to every emulator operation over raw HTTP.
// The emulator never answers 5xx, a refused request changes nothing, Object.prototype is never
// written, and the whole state can still be read. Seeded and bounded; FUZZ_RUNS=n runs longer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { operations, type Member, type Operation, type Shape } from '../src/emulator/wire-model.js';
import { stateProblem } from '../src/emulator/state-file.js';
import { labelsOf, minimalBody, pathOf, prototypeKeys, rawHttp, stateOf, usingEmulator } from './helpers-emulator.js';

const runs = (fallback: number) => Number(process.env.FUZZ_RUNS ?? fallback);
// Longer FUZZ_RUNS get the time they need (a few ms a request on a busy machine).
const timeoutFor = (requests: number) => Math.max(20_000, requests * 10);
const TODO = 'd1todoapp00001';
const JOB_MS = 3000;

/** Names an attacker would try, and names that exist in the demo state. */
const special = fc.constantFrom(
  '.', '..', '...', '%2e%2e', '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
  '__defineSetter__', '%', '%25', '%zz', '\u0000', '\\', '/', '?', '#', ' ', '', '\ud800', 'ab\udc00cd',
  TODO, 'd2gallery00002', 'dev', 'prod', 'staging', 'todoappapi', 'todoappauth', 'todoappstorage',
);
const oddChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.constantFrom('\ud800', '\udfff', '.', '%', '/', '\\', '\u0000', '\u202e'),
);
const name = fc.oneof(
  { arbitrary: special, weight: 4 },
  { arbitrary: fc.string({ unit: oddChar, maxLength: 12 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1000, maxLength: 1000 }), weight: 1 },
);

// Resources of the demo state, so that requests naming one get past the lookup.
const demoResources = ['todoappapi', 'todoappauth', 'todoappstorage', 'photogalleryapi', 'photogalleryauth', 'photogallerystorage'];
const resourceName = fc.oneof(
  { arbitrary: fc.constantFrom(...demoResources), weight: 3 },
  { arbitrary: name, weight: 1 },
);

/**
 * A label as a client puts it on the wire: dot segments as they are (the SDK leaves them so),
 * everything else percent-encoded as UTF-8. A lone surrogate has no UTF-8 form: its label gets
 * U+FFFD, and the surrogate itself goes in bodies.
 */
const segment = (value: string) => (value === '.' || value === '..' ? value : encodeURIComponent(value.toWellFormed()));

/** Anything JSON, including keys that are Object.prototype members. */
const key = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype'));
const json: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    name,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(fc.tuple(key, tie('value')), { maxLength: 3 }).map((entries) => Object.fromEntries(entries)),
  ),
})).value;

/** A value of the model's shape most of the time, and of any shape now and then. */
function valueOf(shape: Shape): fc.Arbitrary<unknown> {
  const right = ((): fc.Arbitrary<unknown> => {
    switch (shape.kind) {
      case 'string':
        return name;
      case 'boolean':
        return fc.boolean();
      case 'double':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'integer':
        return fc.integer({ min: (shape.min ?? -100) - 2, max: (shape.max ?? 100) + 2 });
      case 'enum':
        return fc.oneof(fc.constantFrom(...shape.values), name);
      case 'list':
        return fc.array(valueOf(shape.member), { maxLength: 3 });
      case 'structure':
        return structureOf(shape.members);
    }
  })();
  return fc.oneof({ arbitrary: right, weight: 5 }, { arbitrary: json, weight: 1 });
}

// Model members (each maybe absent) plus a few members the model does not know.
function structureOf(members: Record<string, Member>): fc.Arbitrary<Record<string, unknown>> {
  const known = fc.record(
    Object.fromEntries(
      Object.entries(members).map(([member, { shape }]) => [member, member === 'resourceName' ? resourceName : valueOf(shape)]),
    ),
    { requiredKeys: [] },
  );
  const extra = fc.array(fc.tuple(key, json), { maxLength: 2 }).map((entries) => Object.fromEntries(entries));
  return fc.tuple(known, extra).map(([k, e]) => ({ ...e, ...k }));
}

const bodyOf = (operation: Operation) =>
  fc.oneof(
    { arbitrary: structureOf(operation.body).map((body) => JSON.stringify(body)), weight: 8 },
    { arbitrary: json.map((value) => JSON.stringify(value) ?? ''), weight: 1 },
    { arbitrary: fc.string({ maxLength: 20 }), weight: 1 },
  );

type Emulator = Awaited<ReturnType<typeof usingEmulator>>;

/** Sends one request and checks the invariants every answer must keep. */
async function send(emulator: Emulator, method: string, path: string, body: string | undefined) {
  // Jobs due and tokens expired by the clock change the state on any request: settle them first.
  emulator.store.settle();
  const before = stateOf(emulator);
  const res = await rawHttp(emulator.url, method, path, body);
  expect(res.status, `${method} ${path} ${body?.slice(0, 200)} answered ${JSON.stringify(res.body)}`).toBeLessThan(500);
  expect(res.status).toBeGreaterThanOrEqual(200);
  if (res.status >= 400) {
    expect(res.errorType).toEqual(expect.any(String));
    expect(res.body.message).toEqual(expect.any(String));
    expect(stateOf(emulator), `${method} ${path} was refused but changed the state`).toEqual(before);
  }
  return res;
}

/** The state can be read, and is one a restart would load. */
async function expectReadable(emulator: Emulator) {
  // GET /_emulator/state completes due jobs first, so their effects run on whatever was accepted.
  const state = await rawHttp(emulator.url, 'GET', '/_emulator/state');
  expect(state.status).toBe(200);
  expect(stateProblem(emulator.store.snapshot())).toBeUndefined();
}

describe('the emulator under generated input', () => {
  it('answers every operation with generated names in every label and body string without a 5xx', async () => {
    await using emulator = await usingEmulator({ seed: 'demo' });
    const prototype = prototypeKeys();
    await fc.assert(
      fc.asyncProperty(name, name, name, async (app, environment, other) => {
        const labels: Record<string, string> = { appId: app, backendEnvironmentName: environment, jobId: other, sessionId: other };
        for (const operation of operations) {
          const path = pathOf(operation, (label) => segment(labels[label]));
          const body = operation.method === 'GET' ? undefined : JSON.stringify(minimalBody(operation.body, other));
          await send(emulator, operation.method, path, body);
        }
        await emulator.advance(JOB_MS);
        await expectReadable(emulator);
        expect(prototypeKeys()).toEqual(prototype);
      }),
      { seed: 12, numRuns: runs(20) },
    );
  }, timeoutFor(runs(20) * 31));

  it('answers generated bodies, well-formed or not, to every operation without a 5xx', async () => {
    // The session made below must outlive the clock's moves over every run.
    await using emulator = await usingEmulator({ seed: 'demo', tokenTtlSeconds: 365 * 24 * 3600 });
    const prototype = prototypeKeys();
    const session = (await rawHttp(emulator.url, 'POST', `/backend/${TODO}/challenge`, '{}')).body.sessionId as string;
    // Every run starts from this state, so one RemoveAllBackends does not leave the rest nothing to work on.
    const initial = emulator.store.snapshot();
    // Labels that name things that exist (an app with one of its environments), so bodies reach the store.
    const existing = fc.record({
      target: fc.constantFrom([TODO, 'dev'], [TODO, 'prod'], ['d2gallery00002', 'staging']),
      jobId: fc.constantFrom(...Object.keys(initial.jobs)),
    });
    // Mostly a real name, now and then a generated one in its place.
    const realOrOdd = fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: name, weight: 1 });
    const labelsFor = (operation: Operation) =>
      fc.tuple(existing, ...labelsOf(operation).map(() => realOrOdd)).map(([{ target, jobId }, ...odd]) => {
        const real: Record<string, string> = { appId: target[0], backendEnvironmentName: target[1], jobId, sessionId: session };
        return Object.fromEntries(labelsOf(operation).map((l, i) => [l, odd[i] ?? real[l]]));
      });
    const request = fc
      .constantFrom(...operations)
      .chain((operation) =>
        fc.tuple(
          fc.constant(operation),
          labelsFor(operation),
          operation.method === 'GET' ? fc.constant(undefined) : bodyOf(operation),
          fc.boolean(),
        ),
      );
    await fc.assert(
      fc.asyncProperty(request, async ([operation, values, body, advance]) => {
        emulator.store.replace(initial);
        await send(emulator, operation.method, pathOf(operation, (l) => segment(values[l])), body);
        if (advance) await emulator.advance(JOB_MS);
        await expectReadable(emulator);
        expect(prototypeKeys()).toEqual(prototype);
      }),
      { seed: 34, numRuns: runs(300) },
    );
  }, timeoutFor(runs(300)));
});
