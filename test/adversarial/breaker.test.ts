import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { assertProperty, fuzzParams, fuzzTimeout, startFuzzStack, type FuzzStack } from '../helpers-adversarial.js';
import { hostileString, requestFor, rootFields } from './arbitraries.js';

// A client's mistakes are not the upstream's failures: however many generated requests one client
// sends (each refused, or answered NOT_FOUND, or anything else its input causes), the circuit
// breaker stays closed, so that no reader can take the gateway away from everyone (issue 12,
// finding 4). Each run starts from a new gateway, whose breaker has counted nothing. (Whether the
// process survives each request is for fields.test.ts.)

let fuzz: FuzzStack;

beforeAll(async () => {
  fuzz = await startFuzzStack();
});
afterAll(async () => {
  await fuzz?.stop();
});

// Queries with hostile values only: a reader's attack. Lists of thousands are left to the field
// properties: here they would only make each run slow.
const hostileRequest = fc.oneof(
  ...rootFields.filter((f) => f.kind === 'query' && !['nodes', '_entities'].includes(f.name)).map((f) => requestFor(f, hostileString)),
);

it('stays closed whatever a client sends', async () => {
  await assertProperty(
    fc.asyncProperty(fc.array(hostileRequest, { minLength: 11, maxLength: 20 }), async (requests) => {
      await fuzz.restart();
      for (const request of requests) {
        await fuzz.send({ body: JSON.stringify({ query: request.query, variables: request.variables }) });
        if (fuzz.circuit() !== 'closed') {
          throw new Error(`the circuit breaker is ${fuzz.circuit()} after ${requests.indexOf(request) + 1} requests`);
        }
      }
    }),
    fuzzParams('breaker', 10, 6000),
  );
  await fuzz.prepare();
  await fuzz.probe();
}, fuzzTimeout());
