import { describe, expect, it } from 'vitest';
import { nothingKept, type Stack } from './helpers.js';
import { graphqlError } from './helpers-errors.js';
import { useFileStack } from './helpers-stack.js';

const JOB_MS = 3000;

let stack: Stack;
// Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept }, clearFaults: true });

// Each mutating test works on an app of its own, so tests do not depend on each other.
let appCount = 0;
const newAppId = () => `apptest${String(++appCount).padStart(4, '0')}`;

const CREATE_BACKEND = `mutation ($input: CreateBackendInput!) {
  createBackend(input: $input) {
    app { appId }
    environment { appId name }
    job { id appId environmentName jobId operation status state isDone }
  }
}`;

/** Creates an app with one environment and lets its job complete. */
async function createApp(appId: string, environmentName = 'dev') {
  const res = await stack.graphql(CREATE_BACKEND, {
    input: { appId, appName: `app-${appId}`, environmentName },
  });
  expect(res.errors).toBeUndefined();
  await stack.emulator.advance(JOB_MS);
  return res.data.createBackend;
}

const APP_ENVIRONMENTS = `query ($appId: ID!) { app(appId: $appId) { appId appName environments { name } } }`;

describe('query app', () => {
  it('returns the app name and its environments', async () => {
    const res = await stack.graphql(`{
      app(appId: "d1todoapp00001") { appId appName environments { appId name } }
    }`);
    expect(res).toEqual({
      data: {
        app: {
          appId: 'd1todoapp00001',
          appName: 'todo-app',
          environments: [
            { appId: 'd1todoapp00001', name: 'dev' },
            { appId: 'd1todoapp00001', name: 'prod' },
          ],
        },
      },
    });
  });

  it('answers environment(name) from the environment list, with one GetBackend', async () => {
    const res = await stack.graphql(`{
      app(appId: "d2gallery00002") {
        appName
        environment(name: "staging") { appId name }
      }
    }`);
    expect(res).toEqual({
      data: {
        app: {
          appName: 'photo-gallery',
          environment: { appId: 'd2gallery00002', name: 'staging' },
        },
      },
    });
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('gives null for an environment name the app does not have', async () => {
    const res = await stack.graphql(`{
      app(appId: "d1todoapp00001") { environment(name: "qa") { name } }
    }`);
    expect(res).toEqual({ data: { app: { environment: null } } });
  });

  it('gives null and no errors at all for an unknown app', async () => {
    const res = await stack.graphql(`{ app(appId: "nosuchapp0001") { appId appName } }`);
    expect(res).toEqual({ data: { app: null } });
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });
});

describe('createBackend', () => {
  it('returns an IN_PROGRESS CreateBackend job for the new environment', async () => {
    const appId = newAppId();
    const res = await stack.graphql(CREATE_BACKEND, {
      input: { appId, appName: 'fresh', environmentName: 'dev' },
    });
    expect(res.errors).toBeUndefined();
    const payload = res.data.createBackend;
    expect(payload.app).toEqual({ appId });
    expect(payload.environment).toEqual({ appId, name: 'dev' });
    expect(payload.job).toEqual({
      id: expect.any(String),
      appId,
      environmentName: 'dev',
      jobId: expect.any(String),
      operation: 'CreateBackend',
      status: 'IN_PROGRESS',
      state: 'IN_PROGRESS',
      isDone: false,
    });
  });

  it('files the job under the environment, in its jobs connection', async () => {
    const appId = newAppId();
    const res = await stack.graphql(
      `mutation ($input: CreateBackendInput!) {
        createBackend(input: $input) {
          job { jobId }
          environment { jobs(first: 5) { edges { node { jobId operation state } } } }
        }
      }`,
      { input: { appId, appName: 'fresh', environmentName: 'dev' } },
    );
    expect(res.errors).toBeUndefined();
    const { job, environment } = res.data.createBackend;
    expect(environment.jobs.edges).toEqual([
      { node: { jobId: job.jobId, operation: 'CreateBackend', state: 'IN_PROGRESS' } },
    ]);

    await stack.emulator.advance(JOB_MS);
    const after = await stack.graphql(
      `query ($appId: ID!) {
        backendEnvironment(appId: $appId, name: "dev") {
          jobs(first: 5) { edges { node { jobId operation state isDone } } }
        }
      }`,
      { appId },
    );
    expect(after).toEqual({
      data: {
        backendEnvironment: {
          jobs: {
            edges: [
              {
                node: {
                  jobId: job.jobId,
                  operation: 'CreateBackend',
                  state: 'COMPLETED',
                  isDone: true,
                },
              },
            ],
          },
        },
      },
    });
  });

  it('adds the environment to app.environments only once the job completes', async () => {
    const appId = newAppId();
    const created = await stack.graphql(CREATE_BACKEND, {
      input: { appId, appName: 'fresh', environmentName: 'dev' },
    });
    expect(created.errors).toBeUndefined();

    const pending = await stack.graphql(APP_ENVIRONMENTS, { appId });
    expect(pending).toEqual({ data: { app: { appId, appName: 'fresh', environments: [] } } });

    await stack.emulator.advance(JOB_MS - 1);
    expect((await stack.graphql(APP_ENVIRONMENTS, { appId })).data.app.environments).toEqual([]);

    await stack.emulator.advance(1);
    const done = await stack.graphql(APP_ENVIRONMENTS, { appId });
    expect(done).toEqual({
      data: { app: { appId, appName: 'fresh', environments: [{ name: 'dev' }] } },
    });
  });

  it('adds a second environment to an existing app', async () => {
    const appId = newAppId();
    await createApp(appId, 'dev');
    await createApp(appId, 'test');
    const res = await stack.graphql(APP_ENVIRONMENTS, { appId });
    expect(res.data.app.environments).toEqual([{ name: 'dev' }, { name: 'test' }]);
  });

  it('rejects an invalid environment name before any upstream call', async () => {
    const res = await stack.graphql(CREATE_BACKEND, {
      input: { appId: newAppId(), appName: 'fresh', environmentName: 'Bad-Name' },
    });
    expect(res.data).toBeNull();
    expect(res.errors).toStrictEqual([
      graphqlError({
        code: 'BAD_USER_INPUT',
        field: 'input.environmentName',
        column: 3,
        line: 2,
        path: 'createBackend',
        message: 'input.environmentName: must be 2 to 10 lowercase letters (an Amplify environment name)',
      }),
    ]);
    expect(stack.calls()).toEqual({});
  });

  it('rejects an app id that cannot travel in a URI path before any upstream call', async () => {
    const res = await stack.graphql(CREATE_BACKEND, {
      input: { appId: 'a/b', appName: 'fresh', environmentName: 'dev' },
    });
    expect(res.data).toBeNull();
    expect(res.errors).toStrictEqual([
      graphqlError({
        code: 'BAD_USER_INPUT',
        field: 'input.appId',
        column: 3,
        line: 2,
        path: 'createBackend',
        message: 'input.appId: must not contain "/"',
      }),
    ]);
    expect(stack.calls()).toEqual({});
  });

  it('rejects an empty app name before any upstream call', async () => {
    const res = await stack.graphql(CREATE_BACKEND, {
      input: { appId: newAppId(), appName: '', environmentName: 'dev' },
    });
    expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
      ['BAD_USER_INPUT', 'input.appName'],
    ]);
    expect(stack.calls()).toEqual({});
  });
});

describe('removeAllBackends', () => {
  it('starts a RemoveAllBackends job; the environments go when it completes', async () => {
    const appId = newAppId();
    await createApp(appId, 'dev');
    const res = await stack.graphql(
      `mutation ($appId: ID!) {
        removeAllBackends(input: { appId: $appId }) {
          app { appId }
          job { environmentName operation state }
        }
      }`,
      { appId },
    );
    expect(res).toEqual({
      data: {
        removeAllBackends: {
          app: { appId },
          job: { environmentName: 'dev', operation: 'RemoveAllBackends', state: 'IN_PROGRESS' },
        },
      },
    });
    expect((await stack.graphql(APP_ENVIRONMENTS, { appId })).data.app.environments).toEqual([
      { name: 'dev' },
    ]);

    await stack.emulator.advance(JOB_MS);
    expect(await stack.graphql(APP_ENVIRONMENTS, { appId })).toEqual({
      data: { app: { appId, appName: `app-${appId}`, environments: [] } },
    });
  });

  it('with cleanAmplifyApp, removes the app itself', async () => {
    const appId = newAppId();
    await createApp(appId, 'dev');
    const res = await stack.graphql(
      `mutation ($appId: ID!) {
        removeAllBackends(input: { appId: $appId, cleanAmplifyApp: true }) { job { operation } }
      }`,
      { appId },
    );
    expect(res.errors).toBeUndefined();
    await stack.emulator.advance(JOB_MS);
    expect(await stack.graphql(APP_ENVIRONMENTS, { appId })).toEqual({ data: { app: null } });
  });
});

describe('backend config', () => {
  const loginAuthConfig = {
    awsCognitoIdentityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555',
    awsCognitoRegion: 'us-east-1',
    awsUserPoolsId: 'us-east-1_AbCdEfGhI',
    awsUserPoolsWebClientId: 'webclient0123456789',
  };

  it('createBackendConfig -> updateBackendConfig round-trips loginAuthConfig -> removeBackendConfig', async () => {
    const appId = newAppId();
    await createApp(appId, 'dev');

    const created = await stack.graphql(
      `mutation ($appId: ID!) {
        createBackendConfig(input: { appId: $appId }) {
          app { appId }
          job { environmentName operation state }
        }
      }`,
      { appId },
    );
    expect(created).toEqual({
      data: {
        createBackendConfig: {
          app: { appId },
          job: { environmentName: 'dev', operation: 'CreateBackendConfig', state: 'IN_PROGRESS' },
        },
      },
    });
    await stack.emulator.advance(JOB_MS);

    const UPDATE = `mutation ($input: UpdateBackendConfigInput!) {
      updateBackendConfig(input: $input) {
        app { appId }
        config {
          appId
          backendManagerAppId
          error
          loginAuthConfig {
            awsCognitoIdentityPoolId awsCognitoRegion awsUserPoolsId awsUserPoolsWebClientId
          }
        }
      }
    }`;
    const updated = await stack.graphql(UPDATE, { input: { appId, loginAuthConfig } });
    expect(updated).toEqual({
      data: {
        updateBackendConfig: {
          app: { appId },
          config: { appId, backendManagerAppId: appId, error: null, loginAuthConfig },
        },
      },
    });

    // Members left out keep their value.
    const partial = await stack.graphql(UPDATE, {
      input: { appId, loginAuthConfig: { awsCognitoRegion: 'eu-west-1' } },
    });
    expect(partial.data.updateBackendConfig.config.loginAuthConfig).toEqual({
      ...loginAuthConfig,
      awsCognitoRegion: 'eu-west-1',
    });

    const removed = await stack.graphql(
      `mutation ($appId: ID!) { removeBackendConfig(input: { appId: $appId }) { app { appId } error } }`,
      { appId },
    );
    expect(removed).toEqual({ data: { removeBackendConfig: { app: { appId }, error: null } } });

    // Gone: a second update finds no config.
    const again = await stack.graphql(UPDATE, { input: { appId, loginAuthConfig } });
    expect(again.data).toBeNull();
    expect(again.errors?.map((e) => [e.extensions?.code, e.extensions?.awsErrorName])).toEqual([
      ['NOT_FOUND', 'NotFoundException'],
    ]);
  });

  it('createBackendConfig keeps a given backendManagerAppId', async () => {
    const appId = newAppId();
    await createApp(appId, 'dev');
    const created = await stack.graphql(
      `mutation ($appId: ID!) {
        createBackendConfig(input: { appId: $appId, backendManagerAppId: "manager0001" }) { job { state } }
      }`,
      { appId },
    );
    expect(created.errors).toBeUndefined();
    await stack.emulator.advance(JOB_MS);
    const updated = await stack.graphql(
      `mutation ($appId: ID!) {
        updateBackendConfig(input: { appId: $appId }) { config { backendManagerAppId loginAuthConfig { awsCognitoRegion } } }
      }`,
      { appId },
    );
    expect(updated).toEqual({
      data: {
        updateBackendConfig: {
          config: { backendManagerAppId: 'manager0001', loginAuthConfig: null },
        },
      },
    });
  });

  it('rejects an empty loginAuthConfig member before any upstream call', async () => {
    const res = await stack.graphql(
      `mutation { updateBackendConfig(input: { appId: "d1todoapp00001", loginAuthConfig: { awsCognitoRegion: "" } }) { app { appId } } }`,
    );
    expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([
      ['BAD_USER_INPUT', 'input.loginAuthConfig.awsCognitoRegion'],
    ]);
    expect(stack.calls()).toEqual({});
  });
});
