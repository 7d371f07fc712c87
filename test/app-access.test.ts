import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createManualScheduler, createWsClients, startStack, startStorageJob, until, type GraphQLResponse, type Stack } from './helpers.js';
import { runOver, transports, type Operation, type Transport } from './helpers-transport.js';

// The app a team's credential names, another team's app, and an id no app has.
const OWN = 'd1todoapp00001';
const OTHER = 'd2gallery00002';
const MISSING = 'd9nosuchapp0009';

const SECRET = 'a-test-secret-for-hs256-at-least-32-characters';
const APPS_CLAIM = 'amplify_apps';

// API keys, and a JWT whose claim names its apps (signed before the tests run).
const credentials = {
  'an exact id': { key: 'key-apps-exact-0000000001', apps: [OWN] },
  'a prefix': { key: 'key-apps-prefix-000000002', apps: ['d1todo*'] },
  'another team': { key: 'key-apps-other-0000000003', apps: [OTHER, 'd3*'] },
  'every app': { key: 'key-apps-every-0000000004', apps: undefined },
  "a token's claim": { key: '', apps: [OTHER], jwt: true },
} as const satisfies Record<string, { key: string; apps?: readonly string[]; jwt?: true }>;
type Credential = keyof typeof credentials;
const bearers: Record<Credential, string> = Object.fromEntries(
  Object.entries(credentials).map(([name, { key }]) => [name, key]),
) as Record<Credential, string>;
const apiKeys = Object.values(credentials)
  .filter((c) => !('jwt' in c))
  .map(({ key, apps }) => ({
    key,
    scopes: ['read', 'write', 'admin'] as ('read' | 'write' | 'admin')[],
    ...(apps ? { apps: [...apps] } : {}),
  }));

// As the graph encodes them: a one-part key as it is, a longer one as a JSON list.
const nodeId = (typename: string, ...key: string[]) =>
  Buffer.from(`${typename}:${key.length === 1 ? key[0] : JSON.stringify(key)}`).toString('base64');

/** Every way an operation names or reaches an app, for app `a`. */
const entryPoints: Record<string, { operation: (a: string) => Operation; subscription?: true; query?: true }> = {
  app: { query: true, operation: (a) => ({ query: `{ app(appId: "${a}") { appId appName } }` }) },
  backendEnvironment: {
    query: true,
    operation: (a) => ({ query: `{ backendEnvironment(appId: "${a}", name: "dev") { name } }` }),
  },
  'node(id:)': {
    query: true,
    operation: (a) => ({ query: 'query ($id: ID!) { node(id: $id) { id } }', variables: { id: nodeId('App', a) } }),
  },
  'nodes(ids:)': {
    query: true,
    operation: (a) => ({
      query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: { ids: [nodeId('BackendEnvironment', a, 'dev'), nodeId('App', a)] },
    }),
  },
  _entities: {
    query: true,
    operation: (a) => ({
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on App { appName } } }',
      variables: { r: [{ __typename: 'App', appId: a }] },
    }),
  },
  'a mutation input': {
    operation: (a) => ({
      query: `mutation { createBackendStorage(input: { appId: "${a}", environmentName: "dev", resourceName: "tenancy",
        config: { permissions: { authenticated: [READ] } } }) { job { jobId } } }`,
    }),
  },
  removeAllBackends: {
    operation: (a) => ({ query: `mutation { removeAllBackends(input: { appId: "${a}" }) { app { appId } } }` }),
  },
  'the backendJob subscription': {
    subscription: true,
    operation: (a) => ({ query: `subscription { backendJob(appId: "${a}", environmentName: "dev", jobId: "j-none") { jobId } }` }),
  },
  'the backendJobs subscription': {
    subscription: true,
    operation: (a) => ({ query: `subscription { backendJobs(appId: "${a}", environmentName: "dev") { jobId } }` }),
  },
};

let stack: Stack;
/** Runs an operation with the credential for every app, for a test's setup. */
const asEveryApp = {
  graphql: async (query: string, variables?: Record<string, unknown>) =>
    (await stack.request({ query, variables }, { authorization: `Bearer ${bearers['every app']}` })).body,
};
let scheduler: ReturnType<typeof createManualScheduler>;

beforeAll(async () => {
  scheduler = createManualScheduler();
  stack = await startStack({ scheduler, gateway: { access: { apiKeys, jwt: { secret: SECRET, appsClaim: APPS_CLAIM } } } });
  await stack.gateway.start(0);
  bearers["a token's claim"] = await new SignJWT({ scope: 'read write admin', [APPS_CLAIM]: credentials["a token's claim"].apps })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('team-gallery')
    .setExpirationTime(Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(SECRET));
});
afterAll(() => stack.stop());
afterEach(() => until(() => stack.gateway.jobs.stats().subscribers === 0, 'every watch to end'));

/**
 * The first answer of an operation. A subscription that got past its checks polls once (the manual
 * scheduler polls only when told) so that it has something to say; a refused one answers at once.
 */
async function answer(transport: Transport, operation: Operation, credential: Credential, subscription = false) {
  const watching = stack.gateway.jobs.stats().subscribers;
  let settled = false;
  const run = runOver(transport, stack.gateway, operation, {
    take: 1,
    headers: { authorization: `Bearer ${bearers[credential]}` },
  }).finally(() => (settled = true));
  if (subscription) {
    await until(() => settled || stack.gateway.jobs.stats().subscribers > watching, 'an answer or a watch');
    if (!settled) await scheduler.advance(0);
  }
  const { results } = await run;
  return results[0];
}

/** What may differ between two answers that look alike: which app, and the request ids the service makes up. */
const normalized = (result: GraphQLResponse, appId: string) =>
  JSON.parse(
    JSON.stringify(result)
      .replaceAll(appId, '<app>')
      .replaceAll(Buffer.from(`["${appId}`).toString('base64').slice(0, 8), '<id>')
      .replace(/"requestId":"[^"]*"/g, '"requestId":"<request id>"'),
  ) as GraphQLResponse;

const subscriptionTransports = transports.filter((t) => t !== 'http');
const cases = Object.entries(entryPoints).flatMap(([name, entry]) =>
  (entry.subscription ? subscriptionTransports : transports).map((transport) => [name, transport, entry] as const),
);

describe('an app outside the credential looks like an app that does not exist, and costs no call', () => {
  it.each(cases)('%s over %s', async (_name, transport, { operation, subscription }) => {
    for (const [credential, appId] of [
      ['an exact id', OTHER],
      ['a prefix', OTHER],
      ['another team', OWN],
      ["a token's claim", OWN],
    ] as const) {
      const missing = await answer(transport, operation(MISSING), 'every app', subscription);
      stack.resetCalls();
      const refused = await answer(transport, operation(appId), credential, subscription);
      expect(stack.calls(), `${credential} asking for ${appId}`).toEqual({});
      expect(normalized(refused, appId), `${credential} asking for ${appId}`).toEqual(normalized(missing, MISSING));
      expect(refused.errors ?? []).not.toContainEqual(expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }));
      await until(() => stack.gateway.jobs.stats().subscribers === 0, 'every watch to end');
    }
  });
});

describe('an app inside the credential answers as for a credential with every app', () => {
  const reads = cases.filter(([, , entry]) => entry.query);
  it.each(reads)('%s over %s', async (_name, transport, { operation }) => {
    const everyApp = await answer(transport, operation(OWN), 'every app');
    expect(everyApp.errors).toBeUndefined();
    // The app is found (the refused side's nulls would otherwise compare equal to nothing found).
    for (const value of Object.values(everyApp.data ?? {})) expect([value].flat()).not.toContain(null);
    for (const credential of ['an exact id', 'a prefix'] as const) {
      expect(await answer(transport, operation(OWN), credential)).toEqual(everyApp);
    }
  });

  describe('the backendJobs subscription', () => {
    let jobId: string;
    beforeAll(async () => {
      jobId = await startStorageJob(asEveryApp, 'allowed', 'prod', OWN);
    });

    it.each(subscriptionTransports)('over %s', async (transport) => {
      const { operation } = entryPoints['the backendJobs subscription'];
      const query = (operation(OWN).query as string).replace('"dev"', '"prod"');
      expect(await answer(transport, { query }, 'a prefix', true)).toEqual({ data: { backendJobs: { jobId } } });
    });
  });
});

describe('reads kept for every client (the default TTL)', () => {
  const reads = cases.filter(([, , entry]) => entry.query);
  it.each(reads)('%s over %s: an answer kept for one credential is no answer for a credential without the app', async (_name, transport, { operation }) => {
    const missing = await answer(transport, operation(MISSING), 'every app');
    const owner = await answer(transport, operation(OWN), 'an exact id');
    expect(owner.errors).toBeUndefined();
    stack.resetCalls();
    // Kept: the owner asks again at no cost.
    expect(await answer(transport, operation(OWN), 'an exact id')).toEqual(owner);
    expect(stack.calls()).toEqual({});
    for (const credential of ['another team', "a token's claim"] as const) {
      const refused = await answer(transport, operation(OWN), credential);
      expect(normalized(refused, OWN), credential).toEqual(normalized(missing, MISSING));
    }
    expect(stack.calls()).toEqual({});
  });
});

describe('account-wide reads', () => {
  it.each(transports)('s3Buckets over %s needs a credential with every app', async (transport) => {
    const query = { query: '{ s3Buckets { edges { node { name } } } }' };
    stack.resetCalls();
    const refused = await answer(transport, query, 'an exact id');
    expect(refused.errors).toEqual([
      expect.objectContaining({
        message: 'ListS3Buckets reads the whole AWS account, so it needs a credential for every app (*)',
        extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
      }),
    ]);
    expect(stack.calls()).toEqual({});
    expect((await answer(transport, query, 'every app')).errors).toBeUndefined();
  });
});

describe('a shared subscription', () => {
  const ws = createWsClients();
  afterAll(() => ws.disposeAll());

  it('is not joined, over SSE or graphql-ws, by a credential that may not see its app', async () => {
    const jobId = await startStorageJob(asEveryApp, 'shared', 'staging', OTHER);
    const operation = entryPoints['the backendJob subscription'].operation(OTHER);
    const query = (operation.query as string).replace('j-none', jobId).replace('"dev"', '"staging"');
    // The other team follows its job: one shared stream, its state sent to whoever joins.
    const owner = ws
      .connect(stack.gateway.url!.replace(/^http/, 'ws'), { authorization: `Bearer ${bearers['another team']}` })
      .iterate({ query });
    await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the owner\'s watch');
    await scheduler.advance(0);
    expect((await owner.next()).value).toEqual({ data: { backendJob: { jobId } } });

    for (const transport of subscriptionTransports) {
      stack.resetCalls();
      const intruder = await answer(transport, { query }, 'an exact id');
      expect(intruder, transport).toEqual({
        data: null,
        errors: [expect.objectContaining({ message: `App ${OTHER} not found`, extensions: expect.objectContaining({ code: 'NOT_FOUND' }) })],
      });
      expect(stack.calls()).toEqual({});
    }
    await owner.return?.();
  });
});
