import fc from 'fast-check';
import { afterAll, beforeAll, it } from 'vitest';
import { assertProperty, fuzzParams, fuzzTimeout, labelled, probeQuery, startFuzzStack, type FuzzStack } from '../helpers-adversarial.js';

// One small request must not starve every other client (issue 12, finding 5): lists of thousands
// of distinct items in `nodes(ids:)` and `_entities`, passed inline or in variables, are bounded
// before they cost upstream calls, and a client asking at the same time is served.

/**
 * Upstream calls one request may cause. A request refused for its size causes none; one within the
 * list limits a few per item. Well under the upstream queue (1000 by default), so that one request
 * cannot fill it.
 */
const MAX_UPSTREAM_CALLS_PER_REQUEST = 250;

let fuzz: FuzzStack;

beforeAll(async () => {
  fuzz = await startFuzzStack();
});
afterAll(() => fuzz?.stop());

const base64 = (text: string) => Buffer.from(text).toString('base64');
const count = fc.integer({ min: 1000, max: 5000 });

const bigRequest = fc.oneof(
  count.map((n) =>
    labelled(
      {
        query: 'query Big($ids: [ID!]!) { nodes(ids: $ids) { __typename } }',
        variables: { ids: Array.from({ length: n }, (_, i) => base64(`App:app${i}`)) },
      },
      `nodes(ids: $ids) with ${n} distinct ids in variables`,
    ),
  ),
  count.map((n) =>
    labelled(
      {
        query: 'query Big($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
        variables: { r: Array.from({ length: n }, (_, i) => ({ __typename: 'App', appId: `app${i}` })) },
      },
      `_entities(representations: $r) with ${n} distinct apps in variables`,
    ),
  ),
  count.map((n) =>
    labelled(
      {
        query: `{ nodes(ids: [${Array.from({ length: n }, (_, i) => JSON.stringify(base64(`App:app${i}`))).join(',')}]) { __typename } }`,
        variables: {},
      },
      `nodes(ids: [...]) with ${n} distinct ids inline`,
    ),
  ),
);

it('bounds the upstream work of one request, and serves another client meanwhile', async () => {
  await assertProperty(
    fc.asyncProperty(bigRequest, async (request) => {
      await fuzz.prepare();
      const big = fuzz.send({ body: JSON.stringify(request) });
      const probe = fuzz.send({ body: JSON.stringify({ query: probeQuery }) });
      const [, probed] = await Promise.all([big, probe]);
      const { made } = await fuzz.calls();
      const total = Object.values(made).reduce((a, b) => (a ?? 0) + (b ?? 0), 0) ?? 0;
      if (probed.text !== JSON.stringify({ data: { app: { appName: 'todo-app' } } })) {
        throw new Error(`another client was not served meanwhile: ${probed.status} ${probed.text.slice(0, 300)}`);
      }
      if (total > MAX_UPSTREAM_CALLS_PER_REQUEST + 1) {
        const bytes = request.query.length + JSON.stringify(request.variables).length;
        throw new Error(`one request of ${bytes} bytes made ${total} upstream calls`);
      }
    }),
    fuzzParams('bounded work', 3, 8000),
  );
}, fuzzTimeout());
