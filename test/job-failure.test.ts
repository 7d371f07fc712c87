import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobFailureMessage, type StartingJob } from '../src/emulator/faults.js';
import type { OperationName } from '../src/emulator/wire-model.js';
import { startStack, type Stack } from './helpers.js';
import { readmeExample } from './helpers-readme.js';

const JOB_MS = 3000;
const TODO = 'd1todoapp00001';
const GALLERY = 'd2gallery00002';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  // An environment with no resources, for the operations that create the one auth of an environment.
  stack.emulator.store.createBackend(TODO, 'todo-app', 'bare');
  await stack.emulator.advance(JOB_MS);
});
afterAll(() => stack.stop());
beforeEach(() => {
  stack.emulator.faults.clear();
});

const REASON = `query ($appId: ID!, $environmentName: String!, $jobId: ID!) {
  backendJob(appId: $appId, environmentName: $environmentName, jobId: $jobId) { state status isDone error }
}`;

const authConfig = {
  authResources: 'USER_POOL_ONLY',
  service: 'COGNITO',
  userPoolConfigs: { userPoolName: 'pool', signInMethod: 'USERNAME', requiredSignUpAttributes: [] },
};

// Each job-starting mutation, with an input that starts a job on the demo data, and the start of
// the message the emulator chooses for it.
const failing: [string, OperationName, Record<string, unknown>, RegExp][] = [
  ['cloneBackend', 'CloneBackend', { appId: TODO, environmentName: 'dev', targetEnvironmentName: 'copy' },
    /^Failed to clone backend environment dev to copy: stack amplify-d1todoapp00001-copy is in ROLLBACK_COMPLETE state\. The following resource\(s\) failed to create: \[AuthRole, UnauthRole\]\. Resource handler returned message: "/],
  ['createBackend', 'CreateBackend', { appId: TODO, appName: 'todo-app', environmentName: 'fresh' },
    /^Failed to create backend environment fresh: stack amplify-d1todoapp00001-fresh is in ROLLBACK_COMPLETE state/],
  ['deleteBackend', 'DeleteBackend', { appId: TODO, environmentName: 'prod' },
    /^Failed to delete backend environment prod: stack amplify-d1todoapp00001-prod is in DELETE_FAILED state/],
  ['createBackendApi', 'CreateBackendAPI', { appId: TODO, environmentName: 'dev', resourceName: 'secondapi', config: {} },
    /^Failed to create API secondapi in environment dev: .*Schema Creation Status is FAILED/],
  ['updateBackendApi', 'UpdateBackendAPI', { appId: TODO, environmentName: 'dev', resourceName: 'todoappapi', config: {} },
    /^Failed to update API todoappapi in environment dev: stack amplify-d1todoapp00001-dev is in UPDATE_ROLLBACK_COMPLETE state/],
  ['deleteBackendApi', 'DeleteBackendAPI', { appId: TODO, environmentName: 'dev', resourceName: 'todoappapi' },
    /^Failed to delete API todoappapi in environment dev: .*\(Service: AppSync, Status Code: 400\)"$/],
  ['generateBackendApiModels', 'GenerateBackendAPIModels', { appId: TODO, environmentName: 'dev', resourceName: 'todoappapi' },
    /^Failed to generate models for API todoappapi in environment dev: InvalidDirectiveError: /],
  ['createBackendAuth', 'CreateBackendAuth', { appId: TODO, environmentName: 'bare', resourceName: 'bareauth', config: authConfig },
    /^Failed to create auth bareauth in environment bare: .*\(Service: CognitoIdentityProvider, Status Code: 400\)"$/],
  ['deleteBackendAuth', 'DeleteBackendAuth', { appId: TODO, environmentName: 'dev', resourceName: 'todoappauth' },
    /^Failed to delete auth todoappauth in environment dev: .*Cannot delete user pool with a domain/],
  ['createBackendStorage', 'CreateBackendStorage',
    { appId: TODO, environmentName: 'bare', resourceName: 'photos', config: { permissions: { authenticated: ['READ'] } } },
    /^Failed to create storage photos in environment bare: .*photos-d1todoapp00001-bare already exists \(Service: S3, Status Code: 409\)"$/],
  ['updateBackendAuth', 'UpdateBackendAuth',
    { appId: TODO, environmentName: 'dev', resourceName: 'todoappauth', config: { ...authConfig, userPoolConfigs: { passwordPolicy: { minimumLength: 16 } } } },
    /^Failed to update auth todoappauth in environment dev: stack amplify-d1todoapp00001-dev is in UPDATE_ROLLBACK_COMPLETE state/],
  ['importBackendAuth', 'ImportBackendAuth',
    { appId: TODO, environmentName: 'bare', userPoolId: 'us-east-1_AbCdEf123', webClientId: 'webclient1', nativeClientId: 'nativeclient1' },
    /^Failed to import auth into environment bare of app d1todoapp00001: User pool us-east-1_AbCdEf123 does not exist\./],
  ['updateBackendStorage', 'UpdateBackendStorage',
    { appId: TODO, environmentName: 'dev', resourceName: 'todoappstorage', config: { permissions: { authenticated: ['READ'] } } },
    /^Failed to update storage todoappstorage in environment dev: /],
  ['importBackendStorage', 'ImportBackendStorage',
    { appId: TODO, environmentName: 'bare', bucketName: 'todoappstorage-d1todoapp00001-prod' },
    /^Failed to import storage into environment bare of app d1todoapp00001: Access Denied to bucket todoappstorage-d1todoapp00001-prod /],
  ['deleteBackendStorage', 'DeleteBackendStorage', { appId: TODO, environmentName: 'dev', resourceName: 'todoappstorage' },
    /^Failed to delete storage todoappstorage in environment dev: .*The bucket you tried to delete is not empty/],
  ['removeAllBackends', 'RemoveAllBackends', { appId: GALLERY },
    /^Failed to remove the backends of app d2gallery00002: stack amplify-d2gallery00002-staging is in DELETE_FAILED state/],
  ['createBackendConfig', 'CreateBackendConfig', { appId: GALLERY },
    /^Failed to create the backend config of app d2gallery00002: .*\(Service: Iam, Status Code: 403\)$/],
];

describe('a FAILED job says why', () => {
  it.each(failing)('%s: error is the message the emulator chose, as given, and nothing changed', async (field, operation, input, message) => {
    const before = stack.emulator.store.snapshot().apps;
    stack.emulator.faults.inject({ operation, type: 'failJob' });
    const inputType = `${field[0].toUpperCase()}${field.slice(1)}Input`;
    const started = await stack.graphql(`mutation ($input: ${inputType}!) { ${field}(input: $input) { job { jobId environmentName state } } }`, { input });
    expect(started.errors).toBeUndefined();
    const { jobId, environmentName, state } = started.data[field].job;
    expect(state).toBe('IN_PROGRESS');

    await stack.emulator.advance(JOB_MS);
    const res = await stack.graphql(REASON, { appId: input.appId, environmentName, jobId });
    expect(res.errors).toBeUndefined();
    expect(res.data.backendJob).toMatchObject({ state: 'FAILED', status: 'FAILED', isDone: true, error: expect.stringMatching(message) });
    // Exposed as the service gave it: the very string the emulator stored.
    expect(res.data.backendJob.error).toBe(stack.emulator.store.snapshot().jobs[jobId].error);
    expect(stack.emulator.store.snapshot().apps).toEqual(before);
  });
});

describe('jobFailureMessage', () => {
  // Names that cannot themselves read as a value gone missing.
  const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/).filter((n) => !/undefined|null|object/i.test(n));
  const category = fc.constantFrom('api' as const, 'auth' as const, 'storage' as const);
  const job = fc.oneof(
    fc.record({ appId: name, env: name }).map(({ appId, env }): [StartingJob, string[]] => [
      { operation: 'CreateBackend', appId, environmentNames: [env], effect: { type: 'addEnvironment', appId, environmentName: env } },
      [env],
    ]),
    fc.record({ appId: name, from: name, to: name }).map(({ appId, from, to }): [StartingJob, string[]] => [
      { operation: 'CloneBackend', appId, environmentNames: [from, to], effect: { type: 'cloneEnvironment', appId, from, to } },
      [from, to],
    ]),
    fc.record({ appId: name, env: name, category, resourceName: name, verb: fc.constantFrom('Create', 'Update', 'Import') }).map(
      ({ appId, env, category, resourceName, verb }): [StartingJob, string[]] => [
        {
          operation: `${verb}Backend${category === 'api' ? 'API' : category === 'auth' ? 'Auth' : 'Storage'}`,
          appId,
          environmentNames: [env],
          effect: {
            type: 'putResource', appId, environmentName: env, category,
            record: category === 'storage'
              ? { resourceName, bucketName: `${resourceName}-bucket`, imported: verb === 'Import' }
              : { resourceName, resourceConfig: {}, ...(category === 'auth' && verb === 'Import' ? { imported: { userPoolId: `us-east-1_${resourceName}`, webClientId: 'w', nativeClientId: 'n' } } : {}) },
          },
        },
        category === 'api' || verb !== 'Import' ? [env, resourceName] : [env],
      ],
    ),
    fc.record({ appId: name, env: name, category, resourceName: name }).map(({ appId, env, category, resourceName }): [StartingJob, string[]] => [
      { operation: 'DeleteBackendX', appId, environmentNames: [env], effect: { type: 'removeResource', appId, environmentName: env, category, resourceName } },
      [env, resourceName],
    ]),
    fc.record({ appId: name, envs: fc.array(name, { maxLength: 3 }) }).map(({ appId, envs }): [StartingJob, string[]] => [
      { operation: 'RemoveAllBackends', appId, environmentNames: envs, effect: { type: 'removeAllEnvironments', appId, cleanAmplifyApp: false } },
      envs.slice(0, 1),
    ]),
  );

  it('names the app, the environments and the resource of any job, and nothing undefined', () => {
    fc.assert(
      fc.property(job, ([starting, named]) => {
        const message = jobFailureMessage(starting);
        expect(message).not.toMatch(/undefined|null|\[object/);
        for (const part of [starting.appId, ...named]) expect(message).toContain(part);
      }),
      { seed: 13, numRuns: 300 },
    );
  });

  it('says something for an operation it has no words for', () => {
    expect(jobFailureMessage({ operation: 'SomethingNew', appId: 'a', environmentNames: ['dev'] })).toBe(
      'SomethingNew failed: Resource is not in the state stackUpdateComplete',
    );
  });
});

describe('the README example of a failed job', () => {
  it('runs as written: the clone fails, Reason answers as the README shows; a resource job fails the same way', async () => {
    const [document, answer] = readmeExample('job-failure');
    expect(document.lang).toBe('graphql');
    expect(answer.lang).toBe('json');
    const run = (operationName: string, variables?: Record<string, unknown>) =>
      stack.request({ query: document.body, operationName, variables }).then((r) => r.body);

    stack.emulator.faults.inject({ operation: 'CloneBackend', type: 'failJob' });
    const clone = await run('Clone');
    expect(clone.errors).toBeUndefined();
    expect(clone.data.cloneBackend.job.state).toBe('IN_PROGRESS');
    await stack.emulator.advance(JOB_MS);
    const reason = await run('Reason', clone.data.cloneBackend.job);
    expect(reason).toEqual(JSON.parse(answer.body));
    // The copy never appeared.
    expect((await stack.graphql(`{ backendEnvironment(appId: "${TODO}", name: "test") { name } }`)).data).toEqual({ backendEnvironment: null });

    stack.emulator.faults.inject({ operation: 'CreateBackendStorage', type: 'failJob' });
    const storage = await run('AddStorage');
    expect(storage.errors).toBeUndefined();
    await stack.emulator.advance(JOB_MS);
    const storageReason = await run('Reason', storage.data.createBackendStorage.job);
    expect(storageReason.data.backendJob).toMatchObject({
      state: 'FAILED',
      error: expect.stringMatching(/^Failed to create storage photos in environment dev: /),
    });
  });

  it('the pendingJob example of the README runs', async () => {
    const [example] = readmeExample('pending-job');
    expect(example.body).toMatch(/pendingJob/);
    const res = await stack.graphql(example.body);
    expect(res).toEqual({ data: { backendEnvironment: { pendingJob: null } } });
  });
});
