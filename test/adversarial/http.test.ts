// Whole HTTP requests generated: bodies that are not objects, batches of junk, GET with junk query
// strings, wrong content types, over a real socket. Every answer is a well-formed GraphQL response
// (a list of them for a batch) or a 4xx that says what is wrong; no 5xx, nothing written upstream.
import fc from 'fast-check';
import { beforeAll, it } from 'vitest';
import {
  assertProperty, adminHeaders, checkAnswer, fuzzParams, fuzzTimeout, useFuzzStack,
  isObject, labelled, nextEventData, probeQuery, rawHttp, writesIn, type Answer,
} from '../helpers-adversarial.js';
import { anyString, shorten } from './arbitraries.js';

const stack = useFuzzStack();
let url: string;

beforeAll(async () => {
  url = await stack.fuzz.stack.gateway.start(0);
});

const operations = [
  '{ __typename }',
  probeQuery,
  'query A { __typename } query B { __typename }',
  'query Q($id: ID!) { app(appId: $id) { appName } }',
  'query Q($ids: [ID!]!) { nodes(ids: $ids) { __typename } }',
  'mutation { __typename }',
  'subscription { __typename }',
  '{ __schema { queryType { name } } }',
  `{ ${'__typename '.repeat(800)}}`,
  `{ ${'app(appId: "d1todoapp00001") { appName } '.repeat(60)}}`,
  `{ ${'a: __typename '.repeat(100)}}`,
  `query { ${'app(appId: "x") { environments { app { environments { '.repeat(6)}name${' } } } }'.repeat(6)} }`,
  '{ __typename @skip(if: false) @include(if: true) }',
  'fragment F on Query { ...F } { ...F }',
  '{',
  '',
  '#',
  '{ __typename(x: 1) }',
  '{ nope }',
];

const query = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...operations) }, { weight: 1, arbitrary: anyString });
const junk = fc.jsonValue({ maxDepth: 2 });

/** What a client might put in a GraphQL request object, each member sometimes missing or of the wrong type. */
const paramsWith = (requiredKeys: 'query'[]) => fc.record(
  {
    query: fc.oneof({ weight: 4, arbitrary: query }, { weight: 1, arbitrary: junk }),
    variables: fc.oneof(
      fc.record({ id: anyString, ids: fc.array(anyString, { maxLength: 5 }) }, { requiredKeys: [] }),
      junk,
      fc.constantFrom('{bad', '{"id":"d1todoapp00001"}'),
    ),
    operationName: fc.oneof(fc.constantFrom('', 'A', 'B', 'Q', 'Nope'), anyString, junk),
    extensions: fc.oneof(
      junk,
      fc.record({ persistedQuery: fc.oneof(junk, fc.record({ version: junk, sha256Hash: fc.oneof(anyString, junk) })) }),
    ),
  },
  { requiredKeys },
);
const params = paramsWith([]);

const body = fc.oneof(
  { weight: 4, arbitrary: params.map((p) => JSON.stringify(p)) },
  { weight: 2, arbitrary: fc.array(fc.oneof(params, junk, fc.constant(null)), { maxLength: 12 }).map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: junk.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: params.chain((p) => fc.nat().map((n) => JSON.stringify(p).slice(0, n % 40))) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: query.map((q) => `query=${encodeURIComponent(q.replace(/[\ud800-\udfff]/g, ''))}`) },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json',
  'application/graphql-response+json',
  'application/graphql',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'text/plain',
  'application/json; charset=utf-16',
  'application/xml',
  '',
  'x',
);

const accept = fc.constantFrom(
  'application/json',
  'application/graphql-response+json',
  '*/*',
  '',
  'text/event-stream',
  'application/xml',
);

// Any byte string a URL may carry, percent-encoded byte by byte (encodeURIComponent refuses lone
// surrogates); raw `%` sequences that decode to nothing come separately.
const encode = (text: string) =>
  [...Buffer.from(text, 'utf8')]
    .map((b) => String.fromCharCode(b))
    .map((c) => (/[A-Za-z0-9\-_.~]/.test(c) ? c : `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .join('');

const queryString = fc
  .array(
    fc.oneof(
      fc
        .tuple(
          fc.constantFrom('query', 'variables', 'operationName', 'extensions', 'x', ''),
          fc.oneof(query, fc.constantFrom('{bad', '%zz', '%', '[]', 'null', '{}'), anyString),
        )
        .map(
        ([k, v]) => (v.startsWith('%') ? `${k}=${v}` : `${k}=${encode(v)}`),
      ),
      fc.constantFrom('&', '=', '%', '%zz', 'query', 'query=%7B__typename%7D&query=%7Bnope%7D'),
    ),
    { maxLength: 5 },
  )
  .map((parts) => (parts.length ? `?${parts.join('&')}` : ''));

interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const asRequest = (method: string, path: string, headers: Record<string, string>, text?: string): HttpRequest => {
  const req = { method, path, headers: { ...adminHeaders, ...headers }, body: text };
  return labelled(req, shorten(req));
};

const json = { 'content-type': 'application/json', accept: 'application/json' };

/** POST bodies that are one request object, its members of any shape. */
const objects = paramsWith(['query']).map((p) => asRequest('POST', '/graphql', json, JSON.stringify(p)));

/** POST bodies of any kind: batches of junk, JSON that is no object, broken JSON. */
const posts = body.map((text) => asRequest('POST', '/graphql', { 'content-type': 'application/json', accept: 'application/json' }, text));

/** GET with any query string. */
const gets = fc
  .tuple(queryString, fc.constantFrom('application/json', 'application/graphql-response+json', '*/*', '', 'text/event-stream'))
  .map(([qs, a]) => asRequest('GET', `/graphql${qs}`, a ? { accept: a } : {}));

/** Any method, content type and accept header, with or without a credential. */
const anyRequests = fc
  .tuple(fc.constantFrom('POST', 'GET', 'PUT', 'DELETE', 'PATCH'), contentType, accept, body, queryString, fc.boolean())
  .map(([method, type, a, text, qs, credential]) => {
    const req = asRequest(method, `/graphql${method === 'POST' ? '' : qs}`, {}, method === 'GET' ? undefined : text);
    if (!credential) delete req.headers.authorization;
    if (type) req.headers['content-type'] = type;
    if (a) req.headers.accept = a;
    return req;
  });

/** The `data:` payloads of a complete event stream. */
function events(answer: Answer): Answer[] {
  return nextEventData(answer.text).map((text) => ({ ...answer, contentType: 'application/json', text }));
}

async function attack(req: HttpRequest) {
  await stack.fuzz.prepare();
  const answer = await rawHttp(url, req);
  await stack.guard.check();
  let batch = false;
  try {
    batch = Array.isArray(JSON.parse(req.body ?? ''));
  } catch {
    // not a batch
  }
  if (answer.contentType.startsWith('text/event-stream')) {
    if (answer.status >= 500) checkAnswer(answer);
    // A batch asked for as an event stream is answered as one event: the list of its results.
    for (const event of events(answer)) checkAnswer(event, { batch });
  } else {
    checkAnswer(answer, { batch });
  }
  const { served } = await stack.fuzz.calls();
  const writes = writesIn(served);
  if (writes.length > 0) throw new Error(`a request of read-only operations wrote upstream: ${writes.join(', ')}`);
  if (stack.fuzz.circuit() !== 'closed') throw new Error(`the circuit breaker is ${stack.fuzz.circuit()} after this request`);
}

it.each([
  ['POST request objects', objects, 60],
  ['POST bodies and batches', posts, 60],
  ['GET query strings', gets, 60],
  ['any method, content type and accept header', anyRequests, 60],
] as const)('answers %s well-formed, as the client mistake they are', async (name, requests, runs) => {
  await assertProperty(fc.asyncProperty(requests, attack), fuzzParams(`http ${name}`, runs, 6000));
  await stack.fuzz.prepare();
  await stack.fuzz.probe();
}, fuzzTimeout());

it('answers a request without a credential with a 401 that says what to send', async () => {
  const answer = await rawHttp(url, {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: probeQuery }),
  });
  checkAnswer(answer);
  if (answer.status !== 401 || !isObject(JSON.parse(answer.text))) throw new Error(`expected a 401, got ${answer.status}`);
});
