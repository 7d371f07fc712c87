import { beforeAll, describe, expect, it } from 'vitest';
import { nothingKept, type Stack } from './helpers.js';
import { graphqlError } from './helpers-errors.js';
import { useFileStack } from './helpers-stack.js';

const TODO = 'd1todoapp00001';

let stack: Stack;
// Counts upstream calls per request: nothing kept across requests.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept }, clearFaults: true });

const globalId = (typename: string, key: string) =>
  Buffer.from(`${typename}:${key}`).toString('base64');

/** A global id's type name and key as text (App's key is a bare app id, the others a JSON list). */
function decodeRaw(id: string) {
  const text = Buffer.from(id, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return { typename: text.slice(0, colon), key: text.slice(colon + 1) };
}

// What each entity looks like, asked the same way through its own field and through node().
// Spread inside `... on Node`, so the same selection is valid on every one of them.
const FIELDS = `
  __typename
  id
  ... on Node {
    ... on App { appId appName }
    ... on BackendEnvironment { appId name }
    ... on BackendApi { appId environmentName resourceName config { apiName } }
    ... on BackendAuth { appId environmentName resourceName }
    ... on BackendStorage { appId environmentName resourceName config { bucketName } }
    ... on BackendJob { appId environmentName jobId operation status }
    ... on AdminToken { appId sessionId challengeCode ttl }
  }
`;

/** One of every entity, read through the ordinary fields. */
async function everyEntity() {
  const res = await stack.graphql(`{
    app(appId: "${TODO}") {
      ${FIELDS}
      environment(name: "dev") {
        ${FIELDS}
        apis { ${FIELDS} }
        auth { ${FIELDS} }
        storages { ${FIELDS} }
        jobs(first: 1) { edges { node { ${FIELDS} } } }
      }
    }
  }`);
  expect(res.errors).toBeUndefined();
  const { app } = res.data;
  const { environment } = app;
  const strip = ({ apis: _a, auth: _b, storages: _c, jobs: _d, environment: _e, ...rest }: any) =>
    rest;
  const created = await stack.graphql(`mutation {
    createToken(input: { appId: "${TODO}" }) { token { ${FIELDS} } }
  }`);
  expect(created.errors).toBeUndefined();
  return {
    App: strip(app),
    BackendEnvironment: strip(environment),
    BackendApi: environment.apis[0],
    BackendAuth: environment.auth,
    BackendStorage: environment.storages[0],
    BackendJob: environment.jobs.edges[0].node,
    AdminToken: created.data.createToken.token,
  };
}

describe('global ids', () => {
  let entities: Awaited<ReturnType<typeof everyEntity>>;
  beforeAll(async () => {
    entities = await everyEntity();
  });

  it('gives every entity a distinct global id naming its type and key', () => {
    const ids = Object.values(entities).map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    const decoded = Object.fromEntries(
      Object.entries(entities).map(([type, e]) => [type, decodeRaw(e.id)]),
    );
    expect(decoded).toEqual({
      App: { typename: 'App', key: TODO },
      BackendEnvironment: { typename: 'BackendEnvironment', key: JSON.stringify([TODO, 'dev']) },
      BackendApi: { typename: 'BackendApi', key: JSON.stringify([TODO, 'dev', 'todoappapi']) },
      BackendAuth: { typename: 'BackendAuth', key: JSON.stringify([TODO, 'dev', 'todoappauth']) },
      BackendStorage: {
        typename: 'BackendStorage',
        key: JSON.stringify([TODO, 'dev', 'todoappstorage']),
      },
      BackendJob: {
        typename: 'BackendJob',
        key: JSON.stringify([TODO, 'dev', entities.BackendJob.jobId]),
      },
      AdminToken: {
        typename: 'AdminToken',
        key: JSON.stringify([TODO, entities.AdminToken.sessionId]),
      },
    });
  });

  for (const type of [
    'App',
    'BackendEnvironment',
    'BackendApi',
    'BackendAuth',
    'BackendStorage',
    'BackendJob',
    'AdminToken',
  ] as const) {
    it(`node(id) resolves a ${type} id back to the same ${type}`, async () => {
      const entity = entities[type];
      expect(entity.__typename).toBe(type);
      const res = await stack.graphql(`query ($id: ID!) { node(id: $id) { ${FIELDS} } }`, {
        id: entity.id,
      });
      expect(res).toEqual({ data: { node: entity } });
    });
  }

  it('nodes(ids) resolves every id, in order', async () => {
    const list = Object.values(entities).reverse();
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { ${FIELDS} } }`, {
      ids: list.map((e) => e.id),
    });
    expect(res).toEqual({ data: { nodes: list } });
  });

  it('nodes(ids) answers a repeated id twice', async () => {
    const { App, BackendApi } = entities;
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [App.id, BackendApi.id, App.id],
    });
    expect(res).toEqual({
      data: { nodes: [{ id: App.id }, { id: BackendApi.id }, { id: App.id }] },
    });
  });

  it('node(id) and nodes(ids) of the same ids in one request agree', async () => {
    const { App, BackendJob } = entities;
    const res = await stack.graphql(
      `query ($app: ID!, $job: ID!) {
        app: node(id: $app) { __typename id }
        job: node(id: $job) { __typename id }
        both: nodes(ids: [$job, $app]) { __typename id }
      }`,
      { app: App.id, job: BackendJob.id },
    );
    const app = { __typename: 'App', id: App.id };
    const job = { __typename: 'BackendJob', id: BackendJob.id };
    expect(res).toEqual({ data: { app, job, both: [job, app] } });
  });

  it('nodes(ids): an id whose lookup fails fails only its own slot', async () => {
    const { App, AdminToken, BackendStorage } = entities;
    stack.emulator.faults.inject({ operation: 'GetToken', type: 'throttle' });
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [App.id, AdminToken.id, BackendStorage.id],
    });
    expect(res.data).toEqual({ nodes: [{ id: App.id }, null, { id: BackendStorage.id }] });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['RATE_LIMITED', ['nodes', 1]],
    ]);
  });

  it('nodes(ids) of one environment and its resources costs one GetBackend', async () => {
    const { BackendEnvironment, BackendApi, BackendAuth } = entities;
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [BackendEnvironment.id, BackendApi.id, BackendAuth.id],
    });
    expect(res.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('node(id) of an environment costs the same single GetBackend as backendEnvironment', async () => {
    await stack.graphql(
      `query ($id: ID!) { node(id: $id) { id ... on BackendEnvironment { name app { appName } } } }`,
      {
        id: entities.BackendEnvironment.id,
      },
    );
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });
});

describe('ids of a well-formed type with an unknown key', () => {
  const unknown = {
    App: globalId('App', 'nosuchapp0001'),
    BackendEnvironment: globalId('BackendEnvironment', JSON.stringify([TODO, 'qa'])),
    'BackendEnvironment of an unknown app': globalId(
      'BackendEnvironment',
      JSON.stringify(['nosuchapp0001', 'dev']),
    ),
    BackendApi: globalId('BackendApi', JSON.stringify([TODO, 'dev', 'nosuchapi'])),
    BackendAuth: globalId('BackendAuth', JSON.stringify([TODO, 'dev', 'nosuchauth'])),
    BackendStorage: globalId('BackendStorage', JSON.stringify([TODO, 'dev', 'nosuchstorage'])),
    'BackendApi of an unknown environment': globalId(
      'BackendApi',
      JSON.stringify([TODO, 'qa', 'todoappapi']),
    ),
    BackendJob: globalId('BackendJob', JSON.stringify([TODO, 'dev', 'nosuchjob'])),
    AdminToken: globalId('AdminToken', JSON.stringify([TODO, 'nosuchsession'])),
  };

  for (const [what, id] of Object.entries(unknown)) {
    it(`node(id) gives null and no error for an unknown ${what}`, async () => {
      expect(await stack.graphql(`query ($id: ID!) { node(id: $id) { id } }`, { id })).toEqual({
        data: { node: null },
      });
    });
  }

  it('nodes(ids) gives null in the slot of an unknown id', async () => {
    const app = globalId('App', TODO);
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [app, unknown.BackendJob, unknown.BackendEnvironment],
    });
    expect(res).toEqual({ data: { nodes: [{ id: app }, null, null] } });
  });

  it('a resource id of the wrong type is not found', async () => {
    // todoappapi is an API, not a storage.
    const id = globalId('BackendStorage', JSON.stringify([TODO, 'dev', 'todoappapi']));
    expect(await stack.graphql(`query ($id: ID!) { node(id: $id) { id } }`, { id })).toEqual({
      data: { node: null },
    });
  });
});

describe('malformed ids', () => {
  const malformed = {
    'not base64': '!!!',
    'base64 without a type': Buffer.from('d1todoapp00001').toString('base64'),
    'an empty key': globalId('App', ''),
    'a type that is not a node': globalId('BackendApiConfig', 'x'),
    'an unknown type': globalId('Nope', JSON.stringify([TODO])),
    'a key that is not JSON': globalId('BackendEnvironment', 'd1todoapp00001/dev'),
    'a key with too few parts': globalId('BackendApi', JSON.stringify([TODO, 'dev'])),
    'a key with too many parts': globalId('AdminToken', JSON.stringify([TODO, 'a', 'b'])),
    'a key with an empty part': globalId('BackendJob', JSON.stringify([TODO, '', 'job'])),
    'a key that is not strings': globalId('BackendEnvironment', JSON.stringify([TODO, 1])),
  };

  for (const [what, id] of Object.entries(malformed)) {
    it(`node(id) with ${what} is BAD_USER_INPUT, without any upstream call`, async () => {
      const res = await stack.graphql(`query ($id: ID!) { node(id: $id) { id } }`, { id });
      expect(res.data).toEqual({ node: null });
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: expect.stringMatching(/^Invalid global id/),
          path: ['node'],
          extensions: { code: 'BAD_USER_INPUT', field: 'id' },
        }),
      ]);
      expect(stack.calls()).toEqual({});
    });
  }

  it('the error names the id', async () => {
    const res = await stack.graphql(`{ node(id: "!!!") { id } }`);
    expect(res.errors).toStrictEqual([
      graphqlError({
        code: 'BAD_USER_INPUT',
        field: 'id',
        column: 3,
        path: 'node',
        message: 'Invalid global id "!!!"',
      }),
    ]);
  });

  it('nodes(ids) with one malformed id is BAD_USER_INPUT', async () => {
    const res = await stack.graphql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: [globalId('App', TODO), malformed['an unknown type']],
    });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['BAD_USER_INPUT', ['nodes']],
    ]);
    expect(stack.calls()).toEqual({});
  });
});
