import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import fc from 'fast-check';
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  parse,
  specifiedRules,
  validate,
  type GraphQLCompositeType,
  type GraphQLInputType,
} from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createFairQueue, QueueFullError } from '../src/aws/fair-queue.js';
import { createResilience } from '../src/aws/resilience.js';
import { loadConfig } from '../src/config.js';
import { schema } from '../src/schema/index.js';
import { measure } from '../src/security/list-limits.js';
import { createWsClients, readEvents, startStack, until, type GraphQLResponse, type Stack } from './helpers.js';

// Issue 12, finding 5: one request with a long list (nodes(ids:), _entities) made ~1,000 upstream
// calls and filled the one upstream queue everybody shares. Lists are bounded before anything
// runs, the cost counts list lengths and variables, and the queue takes turns between clients.

const TODO = 'd1todoapp00001';
const appId = (id: string) => Buffer.from(`App:${JSON.stringify([id])}`).toString('base64');
const ids = (n: number) => Array.from({ length: n }, (_, i) => appId(`nosuchapp${String(i).padStart(5, '0')}`));
const codes = (res: GraphQLResponse) => res.errors?.map((e) => e.extensions?.code);
const representations = (n: number) => Array.from({ length: n }, (_, i) => ({ __typename: 'App', appId: `nosuchapp${i}` }));

describe('list limits', () => {
  let stack: Stack;
  let url: string;
  const ws = createWsClients();
  beforeAll(async () => {
    stack = await startStack({ gateway: { limits: { maxListItems: 100 } } });
    url = await stack.gateway.start(0, '127.0.0.1');
  });
  afterAll(async () => {
    await ws.disposeAll();
    await stack.stop();
  });
  beforeEach(() => stack.resetCalls());

  const literal = (list: string[]) => `[${list.map((s) => JSON.stringify(s)).join(', ')}]`;

  it.each([
    { what: 'nodes(ids:) as a literal', list: 'nodes(ids)', query: `{ nodes(ids: ${literal(ids(101))}) { id } }`, variables: {} },
    { what: 'nodes(ids:) as a variable', list: 'nodes(ids)', query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: ids(20_000) } },
    {
      what: "nodes(ids:) from a variable's default",
      list: 'nodes(ids)',
      query: `query ($ids: [ID!]! = ${literal(ids(101))}) { nodes(ids: $ids) { id } }`,
      variables: {},
    },
    {
      what: '_entities(representations:) as a variable',
      list: '_entities(representations)',
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      variables: { r: representations(20_000) },
    },
    {
      what: '_entities(representations:) as a literal',
      list: '_entities(representations)',
      query: `{ _entities(representations: [${representations(101).map((r) => `{ __typename: "App", appId: "${r.appId}" }`).join(', ')}]) { __typename } }`,
      variables: {},
    },
    {
      what: 'a list inside a mutation input',
      list: 'createBackendAuth(input.config.userPoolConfigs.oAuth.redirectSignInURIs)',
      query: 'mutation ($input: CreateBackendAuthInput!) { createBackendAuth(input: $input) { auth { resourceName } } }',
      variables: {
        input: {
          appId: TODO, environmentName: 'dev', resourceName: 'auth1',
          config: {
            authResources: 'USER_POOL_ONLY', service: 'COGNITO',
            userPoolConfigs: {
              userPoolName: 'pool', signInMethod: 'EMAIL', requiredSignUpAttributes: ['EMAIL'],
              oAuth: {
                oAuthGrantType: 'CODE', oAuthScopes: ['EMAIL'], redirectSignOutURIs: [],
                redirectSignInURIs: Array.from({ length: 101 }, (_, i) => `https://example.com/${i}`),
              },
            },
          },
        },
      },
    },
  ])('refuses $what over the limit, before any upstream call', async ({ query, variables, list }) => {
    const res = await stack.graphql(query, variables);
    expect(res.data).toBeUndefined();
    expect(codes(res)).toEqual(['MAX_LIST_ITEMS_EXCEEDED']);
    expect(res.errors?.[0].message).toMatch(new RegExp(`^The list ${list.replace(/[().[\]]/g, '\\$&')} has \\d+ items; at most 100 are allowed`));
    expect(res.errors?.[0].extensions).toMatchObject({ maxListItems: 100, list });
    expect(stack.totalCalls()).toBe(0);
  });

  it('serves a list of exactly the limit', async () => {
    const res = await stack.graphql('query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ids(100) });
    expect(res.errors).toBeUndefined();
    expect(res.data.nodes).toHaveLength(100);
    expect(stack.calls()).toEqual({ GetBackend: 100 });
  });

  it('refuses it over SSE as over plain HTTP', async () => {
    const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: ids(101) } }),
    });
    const events: GraphQLResponse[] = [];
    for await (const event of readEvents(res)) events.push(event);
    expect(events.map(codes)).toEqual([['MAX_LIST_ITEMS_EXCEEDED']]);
    expect(stack.totalCalls()).toBe(0);
  });

  it('refuses it over graphql-ws as over HTTP', async () => {
    const client = ws.connect(url.replace(/^http/, 'ws'));
    const results: GraphQLResponse[] = [];
    for await (const result of client.iterate({
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }',
      variables: { r: representations(101) },
    })) {
      results.push(result as GraphQLResponse);
    }
    expect(results.map(codes)).toEqual([['MAX_LIST_ITEMS_EXCEEDED']]);
    expect(stack.totalCalls()).toBe(0);
  });

  it('a list of any length is refused exactly when it is over the limit, literal or variable', async () => {
    const limit = 7;
    await fc.assert(
      fc.property(fc.nat({ max: 3 * limit }), fc.boolean(), fc.nat({ max: 3 }), (n, asVariable, aliases) => {
        const list = ids(n);
        const field = asVariable ? 'nodes(ids: $ids) { id }' : `nodes(ids: ${literal(list)}) { id }`;
        const selection = Array.from({ length: aliases + 1 }, (_, i) => `a${i}: ${field}`).join(' ');
        const document = parse(asVariable ? `query ($ids: [ID!]!) { ${selection} }` : `{ ${selection} }`);
        const result = measure(schema, document, undefined, { ids: list }, limit);
        const dependsOnVariables = asVariable ? { variables: true } : {};
        if (n > limit) expect(result).toEqual({ tooLong: { where: 'nodes(ids)', items: n }, ...dependsOnVariables });
        else expect(result).toEqual({ cost: (aliases + 1) * Math.max(1, n) * (2 + 1.5), ...dependsOnVariables });
      }),
      { seed: 125, numRuns: 200 },
    );
  });
});

describe('the cost of list arguments', () => {
  /** graphql-armor's own count of a document's cost. */
  function armorCost(query: string): number {
    let cost = -1;
    validate(schema, parse(query), [...specifiedRules, costLimitRule({ maxCost: Infinity, onAccept: [(_c, { n }) => (cost = n)] })]);
    return cost;
  }

  it.each([
    `{ app(appId: "${TODO}") { appId appName environments { name apis { resourceName } } } }`,
    `{ apps: node(id: "x") { id ... on App { appName environments { name } } } }`,
    `query { backendEnvironment(appId: "${TODO}", name: "dev") { jobs(first: 7) { edges { node { jobId ...J } } } } }
     fragment J on BackendJob { state operation }`,
    `{ s3Buckets(first: 3) { edges { node { name } } } __typename __schema { types { name } } }`,
  ])('without list arguments or variables, is what graphql-armor counts: %s', (query) => {
    const measured = measure(schema, parse(query), undefined, {}, 100);
    expect(measured).toEqual({ cost: armorCost(query) });
  });

  it('on random documents without list arguments or variables, is what graphql-armor counts', () => {
    const documents = fc.array(fc.nat({ max: 1000 }), { minLength: 60, maxLength: 60 }).map(randomDocument);
    fc.assert(
      fc.property(documents, (query) => {
        expect(validate(schema, parse(query))).toEqual([]);
        const measured = measure(schema, parse(query), undefined, {}, 100);
        expect('cost' in measured && measured.cost).toBeCloseTo(armorCost(query), 6);
      }),
      { seed: 125, numRuns: 150 },
    );
  });

  it('counts first/last from a variable as armor counts a literal', () => {
    const literal = `{ backendEnvironment(appId: "${TODO}", name: "dev") { jobs(first: 40) { edges { node { jobId } } } } }`;
    const variable = `query ($n: Int) { backendEnvironment(appId: "${TODO}", name: "dev") { jobs(first: $n) { edges { node { jobId } } } } }`;
    expect(measure(schema, parse(variable), undefined, { n: 40 }, 100)).toEqual({ cost: armorCost(literal), variables: true });
  });

  it('multiplies the cost of a field by the items of its list, so a repeated list under the item limit is refused', async () => {
    const stack = await startStack({ gateway: { limits: { maxCost: 5000 } } });
    onTestFinished(() => stack.stop());
    const selection = '{ id ... on App { appName environments { name apis { resourceName } auth { resourceName } } } }';
    const query = (aliases: number) =>
      `query ($ids: [ID!]!) { ${Array.from({ length: aliases }, (_, i) => `a${i}: nodes(ids: $ids) ${selection}`).join(' ')} }`;
    // Each alias alone is cheap and within the item limit, as graphql-armor sees it too.
    expect(armorCost(query(10))).toBeLessThan(5000);
    const refused = await stack.graphql(query(10), { ids: ids(100) });
    expect(codes(refused)).toEqual(['MAX_COST_EXCEEDED']);
    expect(refused.errors?.[0].message).toMatch(/^Query Cost limit of 5000 exceeded, found \d+/);
    expect(stack.totalCalls()).toBe(0);
    const served = await stack.graphql(query(10), { ids: ids(1) });
    expect(served.errors).toBeUndefined();
  });
});

/**
 * A query over the schema whose shape follows `choices`: fields picked among those whose required
 * arguments are scalars (filled with literals), `first:` now and then, nested up to three levels,
 * with inline fragments and named fragments, some spread twice.
 */
function randomDocument(choices: number[]): string {
  let at = 0;
  const pick = (n: number) => choices[at++ % choices.length] % n;
  const fragments: string[] = [];
  const literalFor = (type: GraphQLInputType): string | undefined => {
    const named = getNamedType(type);
    if (isListType(getNullableType(type)) || isInputObjectType(named)) return undefined;
    if (isEnumType(named)) return named.getValues()[0].name;
    return named.name === 'Int' ? '3' : named.name === 'Boolean' ? 'true' : '"x"';
  };
  const selectionOf = (type: GraphQLCompositeType, depth: number): string => {
    if (depth === 0) return '__typename';
    if (isUnionType(type)) {
      const possible = schema.getPossibleTypes(type);
      const chosen = possible[pick(possible.length)];
      return `__typename ... on ${chosen.name} { ${selectionOf(chosen, depth - 1)} }`;
    }
    const fields = Object.values(type.getFields()).filter((f) =>
      f.args.every((a) => !isNonNullType(a.type) || literalFor(a.type) !== undefined),
    );
    const parts: string[] = [];
    for (let i = 0, n = 1 + pick(3); i < n; i++) {
      const field = fields[pick(fields.length)];
      const args = field.args
        .filter((a) => isNonNullType(a.type) || (a.name === 'first' && pick(2) === 0))
        .map((a) => `${a.name}: ${literalFor(a.type)}`);
      const named = getNamedType(field.type);
      const head = `f${i}: ${field.name}${args.length ? `(${args.join(', ')})` : ''}`;
      if (!isCompositeType(named)) parts.push(head);
      else if (pick(4) === 0 && isObjectType(named)) {
        const index = fragments.push('') - 1;
        const name = `F${index}`;
        fragments[index] = `fragment ${name} on ${named.name} { ${selectionOf(named, depth - 1)} }`;
        parts.push(`${head} { ...${name} ${pick(2) === 0 ? `... on ${named.name} { ...${name} }` : ''} }`);
      } else parts.push(`${head} { ${selectionOf(named, depth - 1)} }`);
    }
    return parts.join(' ');
  };
  const query = `{ ${selectionOf(schema.getQueryType()!, 3)} }`;
  return [query, ...fragments].join('\n');
}

describe('the fair queue', () => {
  /** Tasks that finish when the test says, recording the order they start in. */
  function harness(options: { concurrency: number; maxWaiting: number; maxWaitingPerClient: number }) {
    const queue = createFairQueue(options);
    const started: string[] = [];
    const finishers: { name: string; finish: () => void }[] = [];
    const results = new Map<string, Promise<string>>();
    const run = (client: string, name: string, onWaiting?: Parameters<typeof queue.run>[2]) => {
      const result = queue.run(
        client,
        () => {
          started.push(name);
          return new Promise<string>((resolve) => finishers.push({ name, finish: () => resolve(name) }));
        },
        onWaiting,
      );
      result.catch(() => undefined);
      results.set(name, result);
      return result;
    };
    /** Finishes the oldest running task; once its caller has the answer, the next has started. */
    const finishOne = async () => {
      const oldest = finishers.shift();
      oldest?.finish();
      await results.get(oldest?.name ?? '');
    };
    return { queue, started, run, results, finishOne };
  }

  it('serves waiting clients in turns: a second client waits behind one call of the first, not all', async () => {
    const h = harness({ concurrency: 1, maxWaiting: 100, maxWaitingPerClient: 100 });
    for (let i = 0; i < 10; i++) h.run('flooder', `f${i}`);
    h.run('other', 'o0');
    h.run('other', 'o1');
    while (h.started.length < 12) await h.finishOne();
    expect(h.started).toEqual(['f0', 'f1', 'o0', 'f2', 'o1', 'f3', 'f4', 'f5', 'f6', 'f7', 'f8', 'f9']);
  });

  it("refuses a client over its own cap, and nobody else's calls", async () => {
    const h = harness({ concurrency: 1, maxWaiting: 100, maxWaitingPerClient: 3 });
    for (let i = 0; i < 6; i++) h.run('flooder', `f${i}`);
    h.run('other', 'o0');
    const refused = await Promise.allSettled(['f4', 'f5'].map((n) => h.results.get(n)!));
    expect(refused.map((r) => r.status === 'rejected' && (r.reason as QueueFullError).scope)).toEqual(['client', 'client']);
    expect(h.queue.waitingByClient()).toEqual(new Map([['flooder', 3], ['other', 1]]));
  });

  it('when the whole queue is full, the client with the most waiting gives way', async () => {
    const h = harness({ concurrency: 1, maxWaiting: 4, maxWaitingPerClient: 100 });
    for (let i = 0; i < 5; i++) h.run('flooder', `f${i}`);
    h.run('other', 'o0');
    // f0 runs, f1..f4 filled the queue; o0 took the place of the flooder's newest.
    await expect(h.results.get('f4')).rejects.toMatchObject({ scope: 'all', limit: 4 });
    expect(h.queue.waitingByClient()).toEqual(new Map([['flooder', 3], ['other', 1]]));
    // The flooder's own next call finds its queue the longest: refused, not another's.
    h.run('flooder', 'f5');
    await expect(h.results.get('f5')).rejects.toMatchObject({ scope: 'all' });
    h.run('third', 't0');
    await expect(h.results.get('f3')).rejects.toMatchObject({ scope: 'all' });
    expect(h.queue.waitingByClient()).toEqual(new Map([['flooder', 2], ['other', 1], ['third', 1]]));
  });

  it('a call another client waits for too starts at the first of their turns, once', async () => {
    const h = harness({ concurrency: 1, maxWaiting: 100, maxWaitingPerClient: 100 });
    for (let i = 0; i < 5; i++) h.run('flooder', `f${i}`);
    let alsoFor: ((client: string) => void) | undefined;
    h.run('flooder', 'shared', (join) => (alsoFor = join));
    alsoFor!('other');
    alsoFor!('other');
    while (h.started.length < 6) await h.finishOne();
    expect(h.started).toEqual(['f0', 'f1', 'shared', 'f2', 'f3', 'f4']);
    expect(h.queue.waiting()).toBe(0);
  });

  it('never runs more than its concurrency, starts each call at most once, and gives every client its turn', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c'), fc.constant('finish')), { maxLength: 60 }),
        async (concurrency, steps) => {
          const queue = createFairQueue({ concurrency, maxWaiting: 8, maxWaitingPerClient: 5 });
          let running = 0;
          const finishers: { finish: () => void; name: string }[] = [];
          const answers = new Map<string, Promise<unknown>>();
          const starts: string[] = [];
          // For each call waiting: its client, its place in its own queue, and what started since.
          const watched: { client: string; ahead: number; since: number; name: string }[] = [];
          let n = 0;
          const runCall = (client: string) => {
            const name = `${client}${n++}`;
            const ahead = queue.waitingByClient().get(client) ?? 0;
            const wasFull = queue.active() >= concurrency;
            if (wasFull) watched.push({ client, ahead, since: starts.length, name });
            const answered = queue
              .run(client, async () => {
                expect(++running).toBeLessThanOrEqual(concurrency);
                expect(starts).not.toContain(name);
                starts.push(name);
                await new Promise<void>((resolve) => finishers.push({ finish: resolve, name }));
                running--;
              })
              .catch((error) => {
                expect(error).toBeInstanceOf(QueueFullError);
                const i = watched.findIndex((w) => w.name === name);
                if (i >= 0) watched.splice(i, 1);
              });
            answers.set(name, answered);
          };
          // A call starts or waits as it is made; once a finished call is answered, its slot has
          // gone to the next.
          const finishOldest = async () => {
            const oldest = finishers.shift();
            oldest?.finish();
            await answers.get(oldest?.name ?? '');
          };
          for (const step of steps) {
            if (step === 'finish') await finishOldest();
            else runCall(step);
          }
          while (finishers.length > 0) await finishOldest();
          // Round-robin: before a waiting call starts, no other client starts more than one call
          // per call that was ahead of it in its own queue, plus one.
          for (const w of watched) {
            const at = starts.indexOf(w.name);
            expect(at).toBeGreaterThanOrEqual(0);
            const between = starts.slice(w.since, at);
            for (const other of ['a', 'b', 'c'].filter((c) => c !== w.client)) {
              expect(between.filter((s) => s.startsWith(other)).length).toBeLessThanOrEqual(w.ahead + 1);
            }
          }
          expect(queue.waiting()).toBe(0);
          expect(queue.active()).toBe(0);
        },
      ),
      { seed: 125, numRuns: 100 },
    );
  });
});

describe('calls without a client', () => {
  it("are the gateway's own (job pollers, the readiness probe): a client's turn of their own, not the last one's", async () => {
    const resilience = createResilience({ maxConcurrency: 1 });
    const started: string[] = [];
    const running: { name: string; finish: () => void }[] = [];
    const call = (name: string) => () => {
      started.push(name);
      return new Promise<void>((resolve) => running.push({ name, finish: resolve }));
    };
    const answered = new Map([
      ...['a0', 'a1', 'a2', 'a3'].map((name) => [name, resilience.run('GetBackend', call(name), { client: 'apikey:1' })] as const),
      ['poller', resilience.run('ListBackendJobs', call('poller'))] as const,
    ]);
    // One at a time, in the order they started: once a call is answered, the next has started.
    while (running.length > 0) {
      const { name, finish } = running.shift()!;
      finish();
      await answered.get(name);
    }
    expect(started).toEqual(['a0', 'a1', 'poller', 'a2', 'a3']);
    resilience.shutdown();
  });
});

describe('the upstream queue between clients of the gateway', () => {
  const FLOODER = 'flooder-key-0000000001';
  const OTHER = 'other-client-key-00001';
  const APP = `query ($appId: ID!) { app(appId: $appId) { appId appName } }`;

  let stack: Stack;
  afterEach(() => stack.stop());

  async function start(resilience: { maxConcurrency: number; maxQueue: number; maxQueuePerClient: number }) {
    stack = await startStack({
      gateway: {
        resilience,
        access: { insecure: false, apiKeys: [{ key: FLOODER, scopes: ['read'] }, { key: OTHER, scopes: ['read'] }] },
      },
    });
    // The one slot stays busy with the flooder's first call while the rest line up.
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 300 });
  }

  const ask = (key: string, appId: string) =>
    stack.request({ query: APP, variables: { appId } }, { 'x-api-key': key }).then((r) => r.body);

  /** Upstream calls made when `answer` came back. */
  const callsWhenAnswered = (answer: Promise<GraphQLResponse>) => answer.then((body) => ({ body, calls: stack.totalCalls() }));

  it("a client over its share is refused; another client's request is served after at most one of its calls", async () => {
    await start({ maxConcurrency: 1, maxQueue: 1000, maxQueuePerClient: 5 });
    const flood = Array.from({ length: 10 }, (_, i) => ask(FLOODER, `flood${i}`));
    await until(() => stack.gateway.aws.health().queued === 5 && stack.gateway.aws.health().inFlight === 1, 'the flood to line up');
    const other = await callsWhenAnswered(ask(OTHER, TODO));
    const flooded = await Promise.all(flood);

    expect(other.body).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    // The flooder's first call, one more of its calls, the other client's (and perhaps the
    // flooder's next, sent while the answer travels back): not the flooder's six.
    expect(other.calls).toBeLessThanOrEqual(4);
    // One running and five waiting are answered (no such app); the other four are refused.
    expect(flooded.filter((r) => r.data?.app === null && !r.errors)).toHaveLength(6);
    expect(flooded.filter((r) => codes(r)?.[0] === 'RATE_LIMITED')).toHaveLength(4);
    expect(stack.calls()).toEqual({ GetBackend: 7 });
  });

  it("a flood that fills the whole queue cannot make another client's request RATE_LIMITED", async () => {
    await start({ maxConcurrency: 1, maxQueue: 5, maxQueuePerClient: 1000 });
    const flood = Array.from({ length: 10 }, (_, i) => ask(FLOODER, `flood${i}`));
    await until(() => stack.gateway.aws.health().queued === 5, 'the flood to fill the queue');
    const other = await callsWhenAnswered(ask(OTHER, TODO));
    const flooded = await Promise.all(flood);

    expect(other.body).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    expect(other.calls).toBeLessThanOrEqual(4);
    // 1 running, 5 waiting, 4 refused; then one more gave its place to the other client.
    expect(flooded.filter((r) => codes(r)?.[0] === 'RATE_LIMITED')).toHaveLength(5);
  });

  it("a read the flooder also waits for is served at the other client's turn, and made once", async () => {
    await start({ maxConcurrency: 1, maxQueue: 1000, maxQueuePerClient: 1000 });
    const flood = Array.from({ length: 10 }, (_, i) => ask(FLOODER, `flood${i}`));
    const floodersTodo = ask(FLOODER, TODO);
    await until(() => stack.gateway.aws.health().queued === 10, 'the flood to line up');
    const other = await callsWhenAnswered(ask(OTHER, TODO));
    await Promise.all([...flood, floodersTodo]);

    expect(other.body).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    expect(other.calls).toBeLessThanOrEqual(4);
    expect(await floodersTodo).toEqual(other.body);
    expect(stack.calls()).toEqual({ GetBackend: 11 });
  });
});

describe('settings', () => {
  it.each([
    ['MAX_LIST_ITEMS', '0'],
    ['MAX_LIST_ITEMS', '1.5'],
    ['UPSTREAM_MAX_QUEUE_PER_CLIENT', '-1'],
    ['UPSTREAM_MAX_QUEUE_PER_CLIENT', 'many'],
  ])('%s=%s is refused with its name', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name} must be a whole number`));
  });

  it('reads them, with defaults of 100 items and 500 waiting calls', () => {
    expect(loadConfig({}).limits.maxListItems).toBe(100);
    expect(loadConfig({}).resilience.maxQueuePerClient).toBe(500);
    const config = loadConfig({ MAX_LIST_ITEMS: '20', UPSTREAM_MAX_QUEUE_PER_CLIENT: '0' });
    expect([config.limits.maxListItems, config.resilience.maxQueuePerClient]).toEqual([20, 0]);
  });
});
