import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';
import { resourceTestKit } from './helpers-resources.js';
import { firstOver, transports } from './helpers-transport.js';
import { evaluate } from './helpers-gen2.js';

// BackendEnvironment.gen2 through the gateway: what it reads upstream (through the request's
// loaders), on every transport, and for environments with imported or several resources.

const APP = 'd1todoapp00001';
const gen2Query = (appId: string, name: string) => ({
  query: `query($appId: ID!, $name: String!) {
    backendEnvironment(appId: $appId, name: $name) { gen2 { files { path contents } notes { resource severity message } } }
  }`,
  variables: { appId, name },
});

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  await stack.gateway.start(0);
});
afterAll(() => stack.stop());

const exportOf = async (appId: string, name: string) => {
  const { query, variables } = gen2Query(appId, name);
  const res = await stack.graphql(query, variables);
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment?.gen2 as { files: { path: string; contents: string }[]; notes: { resource: string; severity: string; message: string }[] } | undefined;
};
const file = (exported: { files: { path: string; contents: string }[] } | undefined, path: string) => exported?.files.find((f) => f.path === path)?.contents ?? '';

const { complete, freshEnvironment, at } = resourceTestKit({
  stack: () => stack,
  appId: APP,
  appName: 'todo-app',
  prefix: 'gentwo',
  selection: 'job { jobId }',
  resources: 'amplifyMetaConfigRaw',
});

describe('BackendEnvironment.gen2', () => {
  it('exports the demo environment: backend, auth, data, storage, and reads each resource once', async () => {
    stack.resetCalls();
    const exported = await exportOf(APP, 'dev');
    expect(exported?.files.map((f) => f.path)).toEqual([
      'amplify/backend.ts',
      'amplify/auth/resource.ts',
      'amplify/data/resource.ts',
      'amplify/storage/resource.ts',
      'amplify/package.json',
      'amplify/tsconfig.json',
    ]);
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAuth: 1, GetBackendAPI: 1, GetBackendStorage: 1 });
    const { auth } = evaluate(file(exported, 'amplify/auth/resource.ts'));
    expect(auth.loginWith.externalProviders.google).toEqual({ clientId: { secret: 'GOOGLE_CLIENT_ID' }, clientSecret: { secret: 'GOOGLE_CLIENT_SECRET' } });
    expect(evaluate(file(exported, 'amplify/data/resource.ts')).data.schema).toContain('type Todo @model @auth(rules: [{ allow: owner }])');
  });

  it('never carries a secret: the demo Google client secret appears nowhere', async () => {
    const { query, variables } = gen2Query(APP, 'dev');
    const res = await stack.request({ query, variables });
    expect(JSON.stringify(res.body)).not.toContain('demo-google-secret');
    expect(JSON.stringify(res.body)).toContain('demo-google-client.apps.googleusercontent.com');
  });

  it('asked beside auth { config }, the auth resource is read once', async () => {
    stack.resetCalls();
    const res = await stack.graphql(`{ backendEnvironment(appId: "${APP}", name: "prod") { auth { config { service } } gen2 { notes { message } } } }`);
    expect(res.errors).toBeUndefined();
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAuth: 1, GetBackendAPI: 1, GetBackendStorage: 1 });
  });

  it.each(transports)('answers the same over %s', async (transport) => {
    const expected = await exportOf(APP, 'dev');
    const res = await firstOver(transport, stack.gateway, gen2Query(APP, 'dev'));
    expect(res.errors).toBeUndefined();
    expect((res.data as any).backendEnvironment.gen2).toEqual(expected);
  });

  it('an unknown environment is null', async () => {
    stack.resetCalls();
    expect(await exportOf(APP, 'nosuchenv')).toBeUndefined();
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('an environment with imported auth and storage: referenceAuth, and the bucket in the outputs', async () => {
    const env = await freshEnvironment();
    const pool = { userPoolId: 'us-east-1_Ab12Cd34E', webClientId: 'webclient1234567890abcdefgh', nativeClientId: 'native1234567890abcdefghij', identityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555' };
    await complete('importBackendAuth', at(env, pool));
    await complete('importBackendStorage', at(env, { bucketName: 'acme-media-assets', serviceName: 'S3' }));
    stack.resetCalls();
    const exported = await exportOf(APP, env);
    // An imported pool is referenced by its ids: its Gen 1 settings are not read.
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendStorage: 1 });
    expect(evaluate(file(exported, 'amplify/auth/resource.ts')).auth).toMatchObject({
      userPoolId: pool.userPoolId,
      userPoolClientId: pool.webClientId,
      identityPoolId: pool.identityPoolId,
    });
    expect(file(exported, 'amplify/backend.ts')).toContain('bucket_name: "acme-media-assets"');
    expect(exported?.files.some((f) => f.path.startsWith('amplify/storage/'))).toBe(false);
    // The emulator's amplify-meta names role names, not ARNs: placeholders, each an ERROR note.
    expect(exported?.notes.filter((n) => n.severity === 'ERROR').map((n) => n.message)).toEqual([
      expect.stringContaining('authRoleArn'),
      expect.stringContaining('unauthRoleArn'),
    ]);
  });

  it('an environment with two APIs: two data files, one wired', async () => {
    const env = await freshEnvironment();
    const api = (name: string) => ({ resourceName: name, config: { apiName: name, service: 'AppSync', transformSchema: `type ${name} @model { id: ID! }`, defaultAuthType: { mode: 'API_KEY' } } });
    await complete('createBackendApi', at(env, api('first')));
    await complete('createBackendApi', at(env, api('second')));
    const exported = await exportOf(APP, env);
    expect(exported?.files.map((f) => f.path)).toEqual(['amplify/backend.ts', 'amplify/data/first/resource.ts', 'amplify/data/second/resource.ts', 'amplify/package.json', 'amplify/tsconfig.json']);
    expect(exported?.notes).toContainEqual(expect.objectContaining({ resource: 'api/second', severity: 'WARNING' }));
  });
});

describe('BackendEnvironment.gen2 and app access', () => {
  let scoped: Stack;
  beforeAll(async () => {
    scoped = await startStack({ gateway: { access: { apiKeys: [{ key: 'key-gen2-other-app-000001', scopes: ['read'], apps: ['d2gallery00002'] }] } } });
  });
  afterAll(() => scoped.stop());

  it("another app's environment is not found, and none of its resources is read", async () => {
    const { query, variables } = gen2Query(APP, 'dev');
    const res = await scoped.request({ query, variables }, { 'x-api-key': 'key-gen2-other-app-000001' });
    expect(res.body.data).toEqual({ backendEnvironment: null });
    expect(scoped.calls()).toEqual({});
  });
});
