import { describe, expect, it } from 'vitest';
import { defaultFeatureFlags } from '../src/emulator/store/new-environment.js';
import { startStack, type Stack, nothingKept } from './helpers.js';
import { demoStorage } from './helpers-resources.js';
import { useFileStack } from './helpers-stack.js';

const JOB_MS = 3000;
const TODO = 'd1todoapp00001';

let stack: Stack;
// Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept }, clearFaults: true });

/**
 * A stack of its own, for a test that changes the demo data. Nothing kept: its tests read what a
 * job changed as soon as the emulator ends it, with no poller watching (kept, that shows within
 * the TTL).
 */
async function withFreshStack(test: (fresh: Stack) => Promise<void>) {
  await using fresh = await startStack({ gateway: nothingKept });
  await test(fresh);
}

const ENVIRONMENT = `query ($appId: ID!, $name: String!) {
  backendEnvironment(appId: $appId, name: $name) {
    appId
    name
    app { appId appName }
    amplifyMetaConfig
    amplifyMetaConfigRaw
    featureFlags
  }
}`;

const RESOURCES = `query ($appId: ID!, $name: String!) {
  backendEnvironment(appId: $appId, name: $name) {
    apis { resourceName config { apiName service transformSchema defaultAuthType { mode } conflictResolution } }
    auth {
      resourceName
      config { authResources service userPoolConfigs { userPoolName signInMethod requiredSignUpAttributes } }
    }
    storages { resourceName config { bucketName imported serviceName permissions { authenticated unAuthenticated } } }
  }
}`;

describe('backendEnvironment', () => {
  it('parses amplifyMetaConfig into categories keyed by resource name', async () => {
    const res = await stack.graphql(ENVIRONMENT, { appId: TODO, name: 'dev' });
    expect(res.errors).toBeUndefined();
    const env = res.data.backendEnvironment;
    expect(env).toMatchObject({
      appId: TODO,
      name: 'dev',
      app: { appId: TODO, appName: 'todo-app' },
    });
    const meta = env.amplifyMetaConfig;
    expect(Object.keys(meta.api)).toEqual(['todoappapi']);
    expect(Object.keys(meta.auth)).toEqual(['todoappauth']);
    expect(Object.keys(meta.storage)).toEqual(['todoappstorage']);
    expect(meta.api.todoappapi).toMatchObject({
      service: 'AppSync',
      providerPlugin: 'awscloudformation',
    });
    expect(meta.auth.todoappauth).toMatchObject({ service: 'Cognito', serviceType: 'managed' });
    expect(meta.storage.todoappstorage).toMatchObject({
      service: 'S3',
      output: { BucketName: 'todoappstorage-d1todoapp00001-dev' },
    });
    expect(meta.providers.awscloudformation.StackName).toBe('amplify-d1todoapp00001-dev');
  });

  it('gives amplifyMetaConfigRaw as the same document, as a string', async () => {
    const res = await stack.graphql(ENVIRONMENT, { appId: TODO, name: 'prod' });
    const env = res.data.backendEnvironment;
    expect(typeof env.amplifyMetaConfigRaw).toBe('string');
    expect(JSON.parse(env.amplifyMetaConfigRaw)).toEqual(env.amplifyMetaConfig);
  });

  it('parses featureFlags', async () => {
    const res = await stack.graphql(ENVIRONMENT, { appId: 'd2gallery00002', name: 'staging' });
    expect(res.data.backendEnvironment.featureFlags).toEqual(defaultFeatureFlags());
  });

  it('reads the environment, its app and its amplify-meta with one GetBackend', async () => {
    await stack.graphql(ENVIRONMENT, { appId: TODO, name: 'dev' });
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('gives null and no errors for an unknown environment or app', async () => {
    const res = await stack.graphql(`{
      env: backendEnvironment(appId: "${TODO}", name: "qa") { name }
      app: backendEnvironment(appId: "nosuchapp0001", name: "dev") { name }
    }`);
    expect(res).toEqual({ data: { env: null, app: null } });
  });

  it('is reachable as app.environment(name) with the same fields', async () => {
    const viaApp = await stack.graphql(`{
      app(appId: "${TODO}") { environment(name: "dev") { name amplifyMetaConfigRaw } }
    }`);
    const direct = await stack.graphql(ENVIRONMENT, { appId: TODO, name: 'dev' });
    expect(viaApp.data.app.environment.amplifyMetaConfigRaw).toBe(
      direct.data.backendEnvironment.amplifyMetaConfigRaw,
    );
  });
});

describe('resources of an environment', () => {
  it('lists apis, auth and storages from amplify-meta, with their configs', async () => {
    const res = await stack.graphql(RESOURCES, { appId: TODO, name: 'dev' });
    expect(res.errors).toBeUndefined();
    const env = res.data.backendEnvironment;
    expect(env.apis).toEqual([
      {
        resourceName: 'todoappapi',
        config: {
          apiName: 'todoappapi',
          service: 'AppSync',
          transformSchema: expect.stringContaining('type Todo @model'),
          defaultAuthType: { mode: 'AMAZON_COGNITO_USER_POOLS' },
          conflictResolution: 'AUTOMERGE',
        },
      },
    ]);
    expect(env.auth).toEqual({
      resourceName: 'todoappauth',
      config: {
        authResources: 'IDENTITY_POOL_AND_USER_POOL',
        service: 'COGNITO',
        userPoolConfigs: {
          userPoolName: 'todoapp_userpool',
          signInMethod: 'EMAIL',
          requiredSignUpAttributes: ['EMAIL'],
        },
      },
    });
    expect(env.storages).toEqual([demoStorage('dev')]);
  });

  it('finds api(resourceName) and storage(resourceName), and gives null for unknown names', async () => {
    const res = await stack.graphql(`{
      backendEnvironment(appId: "d2gallery00002", name: "staging") {
        api(resourceName: "photogalleryapi") { appId environmentName resourceName config { apiName } }
        storage(resourceName: "photogallerystorage") { appId environmentName resourceName config { bucketName } }
        noApi: api(resourceName: "nosuchapi") { resourceName }
        noStorage: storage(resourceName: "nosuchstorage") { resourceName }
        wrongCategory: api(resourceName: "photogallerystorage") { resourceName }
      }
    }`);
    expect(res).toEqual({
      data: {
        backendEnvironment: {
          api: {
            appId: 'd2gallery00002',
            environmentName: 'staging',
            resourceName: 'photogalleryapi',
            config: { apiName: 'photogalleryapi' },
          },
          storage: {
            appId: 'd2gallery00002',
            environmentName: 'staging',
            resourceName: 'photogallerystorage',
            config: { bucketName: 'photogallerystorage-d2gallery00002-staging' },
          },
          noApi: null,
          noStorage: null,
          wrongCategory: null,
        },
      },
    });
  });

  it('resolves unknown resource names without a Get* call', async () => {
    await stack.graphql(`{
      backendEnvironment(appId: "${TODO}", name: "dev") {
        api(resourceName: "nosuchapi") { config { apiName } }
        storage(resourceName: "nosuchstorage") { config { bucketName } }
      }
    }`);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('gives an environment without resources empty lists and a null auth', async () => {
    const appId = 'envtest0001';
    const created = await stack.graphql(
      `mutation { createBackend(input: { appId: "${appId}", appName: "bare", environmentName: "dev" }) { job { state } } }`,
    );
    expect(created.errors).toBeUndefined();
    await stack.emulator.advance(JOB_MS);
    const res = await stack.graphql(`{
      backendEnvironment(appId: "${appId}", name: "dev") {
        apis { resourceName }
        auth { resourceName }
        storages { resourceName }
        api(resourceName: "any") { resourceName }
        storage(resourceName: "any") { resourceName }
        amplifyMetaConfig
      }
    }`);
    expect(res.errors).toBeUndefined();
    const env = res.data.backendEnvironment;
    expect(env).toMatchObject({ apis: [], auth: null, storages: [], api: null, storage: null });
    expect(env.amplifyMetaConfig).toMatchObject({ api: {}, auth: {}, storage: {} });
  });
});

describe('cloneBackend', () => {
  const CLONE = `mutation ($input: CloneBackendInput!) {
    cloneBackend(input: $input) {
      app { appId }
      environment { name }
      targetEnvironment { name }
      job { appId environmentName operation status state }
    }
  }`;

  it('starts a CloneBackend job; the target appears after it completes, with the same resources', () =>
    withFreshStack(async (fresh) => {
      const res = await fresh.graphql(CLONE, {
        input: { appId: TODO, environmentName: 'dev', targetEnvironmentName: 'qa' },
      });
      expect(res).toEqual({
        data: {
          cloneBackend: {
            app: { appId: TODO },
            environment: { name: 'dev' },
            targetEnvironment: { name: 'qa' },
            job: {
              appId: TODO,
              environmentName: 'dev',
              operation: 'CloneBackend',
              status: 'IN_PROGRESS',
              state: 'IN_PROGRESS',
            },
          },
        },
      });

      const pending = await fresh.graphql(`{
        app(appId: "${TODO}") { environments { name } }
        backendEnvironment(appId: "${TODO}", name: "qa") { name }
      }`);
      expect(pending).toEqual({
        data: {
          app: { environments: [{ name: 'dev' }, { name: 'prod' }] },
          backendEnvironment: null,
        },
      });

      await fresh.emulator.advance(JOB_MS);
      const apps = await fresh.graphql(`{ app(appId: "${TODO}") { environments { name } } }`);
      expect(apps.data.app.environments).toEqual([
        { name: 'dev' },
        { name: 'prod' },
        { name: 'qa' },
      ]);

      const source = (await fresh.graphql(RESOURCES, { appId: TODO, name: 'dev' })).data
        .backendEnvironment;
      const copy = (await fresh.graphql(RESOURCES, { appId: TODO, name: 'qa' })).data
        .backendEnvironment;
      expect(copy.apis).toEqual(source.apis);
      expect(copy.auth).toEqual(source.auth);
      // A managed bucket belongs to one environment: the copy gets its own.
      expect(copy.storages).toEqual([
        {
          ...source.storages[0],
          config: { ...source.storages[0].config, bucketName: 'todoappstorage-d1todoapp00001-qa' },
        },
      ]);
    }));

  it('rejects an invalid target environment name before any upstream call', async () => {
    const res = await stack.graphql(CLONE, {
      input: { appId: TODO, environmentName: 'dev', targetEnvironmentName: 'QA' },
    });
    expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
      ['BAD_USER_INPUT', 'input.targetEnvironmentName'],
    ]);
    expect(stack.calls()).toEqual({});
  });
});

describe('deleteBackend', () => {
  it('removes the environment once its job completes; the job stays readable', () =>
    withFreshStack(async (fresh) => {
      const res = await fresh.graphql(`mutation {
        deleteBackend(input: { appId: "${TODO}", environmentName: "prod" }) {
          app { appId }
          environment { name }
          job { jobId environmentName operation state }
        }
      }`);
      expect(res.errors).toBeUndefined();
      const { job } = res.data.deleteBackend;
      expect(res.data.deleteBackend).toEqual({
        app: { appId: TODO },
        environment: { name: 'prod' },
        job: {
          jobId: expect.any(String),
          environmentName: 'prod',
          operation: 'DeleteBackend',
          state: 'IN_PROGRESS',
        },
      });

      // Still there until the job completes.
      const pending = await fresh.graphql(
        `{ backendEnvironment(appId: "${TODO}", name: "prod") { name } }`,
      );
      expect(pending).toEqual({ data: { backendEnvironment: { name: 'prod' } } });

      await fresh.emulator.advance(JOB_MS);
      const gone = await fresh.graphql(`{
        app(appId: "${TODO}") { environments { name } environment(name: "prod") { name } }
        backendEnvironment(appId: "${TODO}", name: "prod") { name }
      }`);
      expect(gone).toEqual({
        data: {
          app: { environments: [{ name: 'dev' }], environment: null },
          backendEnvironment: null,
        },
      });

      const jobRes = await fresh.graphql(
        `query ($jobId: ID!) {
          backendJob(appId: "${TODO}", environmentName: "prod", jobId: $jobId) {
            jobId operation status state isDone error
          }
        }`,
        { jobId: job.jobId },
      );
      expect(jobRes).toEqual({
        data: {
          backendJob: {
            jobId: job.jobId,
            operation: 'DeleteBackend',
            status: 'COMPLETED',
            state: 'COMPLETED',
            isDone: true,
            error: null,
          },
        },
      });
    }));
});
