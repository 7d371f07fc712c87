import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createGateway, type Gateway } from '../src/server.js';

// What `npm start` does (src/main.ts), in-process: config from the environment, a gateway on the
// embedded demo emulator, served over HTTP.
const startGateway = async () => {
  const gateway = await createGateway(loadConfig({ PORT: '0', EMULATOR_PORT: '0' }));
  const url = await gateway.start(0);
  return { gateway, url };
};

async function post(url: string, query: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

let gateway: Gateway;
let url: string;
beforeAll(async () => {
  ({ gateway, url } = await startGateway());
});
afterAll(() => gateway.stop());

const appTree = `
  appName
  environments {
    name
    apis { resourceName }
    auth { resourceName }
    storages { resourceName }
    jobs(first: 10) { edges { node { operation state isDone } } }
  }
`;

describe('npm start', () => {
  it('listens on 127.0.0.1 with the embedded emulator as its upstream', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    expect(gateway.url).toBe(url);
    expect(gateway.emulator?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers the demo graph over HTTP: two apps, three environments, each with api, auth, storage and finished jobs', async () => {
    const res = await post(
      url,
      `{
        todo: app(appId: "d1todoapp00001") { ${appTree} }
        gallery: app(appId: "d2gallery00002") { ${appTree} }
      }`,
    );
    expect(res.errors).toBeUndefined();
    const { todo, gallery } = res.data;
    expect([todo.appName, gallery.appName]).toEqual(['todo-app', 'photo-gallery']);
    const environments = [...todo.environments, ...gallery.environments];
    expect(environments.map((e: any) => e.name)).toEqual(['dev', 'prod', 'staging']);
    for (const env of environments) {
      expect(env.apis).toHaveLength(1);
      expect(env.auth).toEqual({ resourceName: expect.any(String) });
      expect(env.storages).toHaveLength(1);
      expect(env.jobs.edges.length).toBeGreaterThan(0);
      for (const { node } of env.jobs.edges)
        expect(node).toMatchObject({ state: 'COMPLETED', isDone: true });
    }
    expect(todo.environments[0].apis[0].resourceName).toBe('todoappapi');
  });

  it('lists the demo apps of the embedded emulator (Query.apps), in its one region of the default account', async () => {
    const res = await post(url, '{ apps { edges { node { appId appName region account platform } } } }');
    expect(res.errors).toBeUndefined();
    expect(res.data.apps.edges.map((e: any) => e.node)).toEqual([
      { appId: 'd1todoapp00001', appName: 'todo-app', region: 'us-east-1', account: 'default', platform: 'WEB' },
      { appId: 'd2gallery00002', appName: 'photo-gallery', region: 'us-east-1', account: 'default', platform: 'WEB' },
    ]);
  });

  it('serves GraphiQL on GET /graphql to a browser', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('<title>amplifybackend-graphql</title>');
    expect(html).toContain('d1todoapp00001');
  });

  it('exposes the 22 write operations as mutations, each taking one argument named input', async () => {
    const res = await post(
      url,
      `{ __schema { mutationType { fields { name args { name type { kind ofType { kind } } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    const fields: { name: string; args: { name: string; type: any }[] }[] =
      res.data.__schema.mutationType.fields;
    expect(fields.map((f) => f.name).sort()).toEqual([
      'cloneBackend',
      'createBackend',
      'createBackendApi',
      'createBackendAuth',
      'createBackendConfig',
      'createBackendStorage',
      'createToken',
      'deleteBackend',
      'deleteBackendApi',
      'deleteBackendAuth',
      'deleteBackendStorage',
      'deleteToken',
      'generateBackendApiModels',
      'importBackendAuth',
      'importBackendStorage',
      'removeAllBackends',
      'removeBackendConfig',
      'updateBackendApi',
      'updateBackendAuth',
      'updateBackendConfig',
      'updateBackendJob',
      'updateBackendStorage',
    ]);
    for (const field of fields) {
      expect(field.args, field.name).toEqual([
        { name: 'input', type: { kind: 'NON_NULL', ofType: { kind: 'INPUT_OBJECT' } } },
      ]);
    }
  });

  it('stop() closes the gateway and its emulator', async () => {
    const own = await startGateway();
    const emulatorUrl = own.gateway.emulator!.url;
    expect((await post(own.url, '{ app(appId: "d2gallery00002") { appName } }')).data).toEqual({
      app: { appName: 'photo-gallery' },
    });
    await own.gateway.stop();
    expect(own.gateway.server.listening).toBe(false);
    await expect(fetch(own.url, { method: 'POST' })).rejects.toThrow();
    await expect(fetch(`${emulatorUrl}/_emulator/stats`)).rejects.toThrow();
    // The other gateway is untouched.
    expect((await post(url, '{ app(appId: "d2gallery00002") { appName } }')).data.app.appName).toBe(
      'photo-gallery',
    );
  });
});
