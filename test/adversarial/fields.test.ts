// Every root query and mutation field, with every ID and String argument (and every string of every
// mutation input) generated: hostile strings, demo names that reach upstream, global ids of random
// parts, lists of thousands. Three properties per field, so that one bug does not hide another:
// - contained: the process stays up, and upstream sees only the operations the field may cause,
//   each at its own path (an operation the emulator served that the gateway did not call is a
//   request that reached another operation's path);
// - the same with path segments only (dot segments beside route words), tried more often;
// - answered: a well-formed answer that blames the client (no 5xx, no UPSTREAM_*, no masked error),
//   and a circuit breaker still closed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertProperty, checkAnswer, checkUpstream, fuzzParams,
  fuzzTimeout, useFuzzStack, mayCause, type Answer,
} from '../helpers-adversarial.js';
import { requestFor, rootFields, segment, takesPathSegments, type GeneratedRequest, type RootField } from './arbitraries.js';

const stack = useFuzzStack();

async function send(root: RootField, request: GeneratedRequest): Promise<Answer> {
  await stack.fuzz.prepare();
  const answer = await stack.fuzz.send({ body: JSON.stringify({ query: request.query, variables: request.variables }) });
  await stack.guard.check();
  return answer;
}

async function contained(root: RootField, request: GeneratedRequest) {
  await send(root, request);
  const { made, served } = await stack.fuzz.calls();
  checkUpstream(`${root.kind}.${root.name}`, made, served);
}

async function answered(root: RootField, request: GeneratedRequest) {
  const answer = await send(root, request);
  checkAnswer(answer);
  if (stack.fuzz.circuit() !== 'closed') throw new Error(`the circuit breaker is ${stack.fuzz.circuit()} after this request`);
}

const fields = rootFields.filter((f) => f.kind !== 'subscription').map((f) => [`${f.kind} ${f.name}`, f] as const);

it('knows what every root field may cause upstream', () => {
  expect(rootFields.map((f) => `${f.kind}.${f.name}`).filter((f) => !(f in mayCause))).toEqual([]);
});

/** A batch of runs, then a probe client: still served, upstream included. */
async function batch(property: fc.IAsyncProperty<[GeneratedRequest]>, params: fc.Parameters<[GeneratedRequest]>) {
  await assertProperty(property, params);
  await stack.fuzz.prepare();
  await stack.fuzz.probe();
}

describe('root fields under attack', () => {
  it.each(fields)('%s: the process stays up and upstream sees only its operations', async (name, root) => {
    await batch(fc.asyncProperty(requestFor(root), (r) => contained(root, r)), fuzzParams(`contained ${name}`, 15, 3000));
  }, fuzzTimeout());

  it.each(fields.filter(([, root]) => takesPathSegments(root)))('%s: path segments reach no other operation', async (name, root) => {
    await batch(fc.asyncProperty(requestFor(root, segment), (r) => contained(root, r)), fuzzParams(`segments ${name}`, 30, 3000));
  }, fuzzTimeout());

  it.each(fields)('%s: every answer is well-formed and blames the client', async (name, root) => {
    await batch(fc.asyncProperty(requestFor(root), (r) => answered(root, r)), fuzzParams(`answered ${name}`, 15, 3000));
  }, fuzzTimeout());
});
