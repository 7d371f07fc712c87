import { describe, expect, it } from 'vitest';
import { deferred, startStack, type Stack, nothingKept } from './helpers.js';
import { send } from './helpers-http.js';
import { TooManyRequestsException } from '@aws-sdk/client-amplifybackend';
import { toUpstreamError } from '../src/aws/errors.js';
import { maskError } from '../src/errors.js';
import { graphqlError, unansweredError, upstreamBadRequest, upstreamError, upstreamNotFound } from './helpers-errors.js';
import { useFileStack } from './helpers-stack.js';

// Every error code, produced by real upstream answers (the emulator, through the real SDK).

const TODO = 'd1todoapp00001';
const GALLERY = 'd2gallery00002';

let stack: Stack;
// Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept }, clearFaults: true });

/** The property matcher of an error that carries an upstream request id. */
const REQUEST_ID = { extensions: { requestId: expect.any(String) } };

const APP = `query ($appId: ID!) { app(appId: $appId) { appId appName } }`;
/** Where in APP an error of its `app` field is. */
const inApp = { column: 23, path: 'app' };

describe('NOT_FOUND', () => {
  it('on a mutation: deleteBackend of an unknown environment', async () => {
    const res = await stack.graphql(`mutation {
      deleteBackend(input: { appId: "${TODO}", environmentName: "qa" }) { job { jobId } }
    }`);
    expect(res.data).toBeNull();
    expect(res.errors).toStrictEqual([
      upstreamNotFound('DeleteBackend', 'environment', { column: 7, line: 2, path: 'deleteBackend', message: 'Environment qa not found in app d1todoapp00001' }),
    ]);
    expect(stack.calls()).toEqual({ DeleteBackend: 1 });
  });

  it('names the missing resource type: updateBackendConfig of an app without config', async () => {
    const res = await stack.graphql(`mutation {
      updateBackendConfig(input: { appId: "${GALLERY}" }) { config { appId } }
    }`);
    expect(res.errors).toStrictEqual([
      upstreamNotFound('UpdateBackendConfig', 'config', {
        column: 7,
        line: 2,
        path: 'updateBackendConfig',
        message: 'App d2gallery00002 has no backend config; call CreateBackendConfig first',
      }),
    ]);
  });

  it('a nullable lookup of something unknown is null, without an error', async () => {
    const res = await stack.graphql(`{
      app(appId: "nosuchapp0001") { appId }
      backendEnvironment(appId: "${TODO}", name: "qa") { name }
      backendJob(appId: "${TODO}", environmentName: "dev", jobId: "nosuchjob") { jobId }
      adminToken(appId: "${TODO}", sessionId: "nosuchsession") { sessionId }
    }`);
    expect(res).toEqual({
      data: { app: null, backendEnvironment: null, backendJob: null, adminToken: null },
    });
  });
});

describe('BAD_USER_INPUT', () => {
  it('from an upstream BadRequest: creating an environment that exists', async () => {
    const res = await stack.graphql(`mutation {
      createBackend(input: { appId: "${TODO}", appName: "todo-app", environmentName: "dev" }) { job { jobId } }
    }`);
    expect(res.data).toBeNull();
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('CreateBackend', { column: 7, line: 2, path: 'createBackend', message: 'Environment dev already exists in app d1todoapp00001' }),
    ]);
  });

  it('from an upstream BadRequest: creating a resource that exists', async () => {
    const res = await stack.graphql(`mutation {
      createBackendStorage(input: {
        appId: "${TODO}", environmentName: "dev", resourceName: "todoappstorage",
        config: { permissions: { authenticated: [READ] } }
      }) { job { jobId } }
    }`);
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('CreateBackendStorage', { column: 7, line: 2, path: 'createBackendStorage', message: 'storage resource todoappstorage already exists in environment dev' }),
    ]);
  });

  it('from the refusal of a second pending job (ValidationException)', async () => {
    const input = { appId: 'errpending01', appName: 'pending', environmentName: 'dev' };
    const CREATE = `mutation ($input: CreateBackendInput!) { createBackend(input: $input) { job { state } } }`;
    const first = await stack.graphql(CREATE, { input });
    expect(first).toEqual({ data: { createBackend: { job: { state: 'IN_PROGRESS' } } } });

    const second = await stack.graphql(CREATE, { input });
    expect(second.data).toBeNull();
    expect({ errors: second.errors }).toMatchInlineSnapshot(
      { errors: [{ extensions: { requestId: expect.any(String), blockingJob: { jobId: expect.any(String), createTime: expect.any(String) } } }] },
      `
      {
        "errors": [
          {
            "extensions": {
              "awsErrorName": "ValidationException",
              "blockingJob": {
                "createTime": Any<String>,
                "environmentName": "dev",
                "jobId": Any<String>,
                "operation": "CreateBackend",
                "status": "IN_PROGRESS",
              },
              "code": "JOB_PENDING",
              "operation": "CreateBackend",
              "requestId": Any<String>,
              "serviceName": "AmplifyBackend",
            },
            "locations": [
              {
                "column": 42,
                "line": 1,
              },
            ],
            "message": "There is already a pending job for the requested appId",
            "path": [
              "createBackend",
            ],
          },
        ],
      }
    `,
    );

    // Once the first job is done, the environment exists: the answer changes to a BadRequest.
    await stack.emulator.advance(3000);
    const third = await stack.graphql(CREATE, { input });
    expect(third.errors?.map((e) => [e.extensions?.code, e.extensions?.awsErrorName])).toEqual([
      ['BAD_USER_INPUT', 'BadRequestException'],
    ]);
  });

  it("from the gateway's own checks, before any upstream call", async () => {
    const res = await stack.graphql(
      `{ backendEnvironment(appId: "${TODO}", name: "has space") { name } }`,
    );
    expect(res.errors).toStrictEqual([
      graphqlError({
        code: 'BAD_USER_INPUT',
        field: 'name',
        column: 3,
        path: 'backendEnvironment',
        message: 'name: must not contain white space',
      }),
    ]);
    expect(stack.calls()).toEqual({});
  });
});


// What a throttled `app` lookup answers once the SDK gives up.
// The service sends no Retry-After: the client is told to wait a second, the SDK's backoff already spent.
const throttledApp = upstreamError({
  code: 'RATE_LIMITED',
  awsErrorName: 'TooManyRequestsException',
  operation: 'GetBackend',
  ...inApp,
  message: 'Rate exceeded',
  retryAfterSeconds: 1,
});

describe('RATE_LIMITED', () => {
  let retrying: Stack;
  useFileStack((started) => (retrying = started), { start: { gateway: { upstreamMaxAttempts: 3 } }, clearFaults: true });

  it('after the SDK has retried: exactly 3 GetBackend calls', async () => {
    retrying.emulator.faults.inject({ operation: 'GetBackend', type: 'throttle', forever: true });
    const res = await retrying.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect({ errors: res.errors }).toStrictEqual({ errors: [throttledApp] });
    expect(retrying.calls()).toEqual({ GetBackend: 3 });
  });

  it('not when a retry succeeds', async () => {
    retrying.emulator.faults.inject({ operation: 'GetBackend', type: 'throttle', count: 2 });
    const res = await retrying.graphql(APP, { appId: TODO });
    expect(res).toEqual({ data: { app: { appId: TODO, appName: 'todo-app' } } });
    expect(retrying.calls()).toEqual({ GetBackend: 3 });
  });

  it('a throttled nullable lookup gives the error, not a silent null', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'throttle' });
    const res = await stack.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect({ errors: res.errors }).toStrictEqual({ errors: [throttledApp] });
  });

  it('on a mutation', async () => {
    stack.emulator.faults.inject({ operation: 'CreateToken', type: 'throttle' });
    const res = await stack.graphql(
      `mutation { createToken(input: { appId: "${TODO}" }) { token { sessionId } } }`,
    );
    expect(res.data).toBeNull();
    expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.operation, e.path])).toEqual([
      ['RATE_LIMITED', 'CreateToken', ['createToken']],
    ]);
  });
});

describe('UPSTREAM_TIMEOUT', () => {
  it('from a 504 GatewayTimeoutException', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'timeout' });
    const res = await stack.graphql(
      `{ backendEnvironment(appId: "${TODO}", name: "dev") { name } }`,
    );
    expect(res.data).toEqual({ backendEnvironment: null });
    expect(res.errors).toStrictEqual([
      upstreamError({ code: 'UPSTREAM_TIMEOUT', awsErrorName: 'GatewayTimeoutException', operation: 'GetBackend', column: 3, path: 'backendEnvironment', message: 'Endpoint request timed out' }),
    ]);
  });

  it('when the upstream does not answer within upstreamTimeoutMs', async () => {
    await using slow = await startStack({ gateway: { upstreamTimeoutMs: 200 } });
    slow.emulator.faults.inject({ operation: 'GetBackend', type: 'latency', delayMs: 2000 });
    const res = await slow.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect(res.errors).toStrictEqual([
      unansweredError({ code: 'UPSTREAM_TIMEOUT', awsErrorName: 'TimeoutError', operation: 'GetBackend', ...inApp, message: 'AmplifyBackend did not answer in time (GetBackend)' }),
    ]);
  });
});

describe('UPSTREAM_ERROR', () => {
  it('from an unmodelled 500', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'internal' });
    const res = await stack.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect(res.errors).toStrictEqual([
      upstreamError({ code: 'UPSTREAM_ERROR', awsErrorName: 'InternalServiceException', operation: 'GetBackend', ...inApp, message: 'Internal service error (injected)' }),
    ]);
  });

  it('from a dropped connection', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackend', type: 'drop' });
    const res = await stack.graphql(APP, { appId: TODO });
    expect(res.data).toEqual({ app: null });
    expect(res.errors).toStrictEqual([
      unansweredError({ code: 'UPSTREAM_ERROR', awsErrorName: 'ECONNRESET', operation: 'GetBackend', ...inApp, message: 'AmplifyBackend could not be reached (GetBackend): socket hang up' }),
    ]);
    expect(stack.calls()).toEqual({ GetBackend: 1 });
  });

  it('from an unmodelled 500 on a mutation', async () => {
    stack.emulator.faults.inject({ operation: 'DeleteBackend', type: 'internal' });
    const res = await stack.graphql(`mutation {
      deleteBackend(input: { appId: "${TODO}", environmentName: "dev" }) { job { jobId } }
    }`);
    expect(res.errors?.map((e) => [e.extensions?.code, e.extensions?.awsErrorName])).toEqual([
      ['UPSTREAM_ERROR', 'InternalServiceException'],
    ]);
    expect(stack.calls()).toEqual({ DeleteBackend: 1 });
  });
});

describe('partial failures', () => {
  it('one failing item in a list fails only that item', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackendAuth', type: 'throttle' });
    const res = await stack.graphql(`{
      app(appId: "${TODO}") {
        environments { name auth { resourceName config { authResources } } }
      }
    }`);
    expect(stack.calls()).toMatchObject({ GetBackendAuth: 2 });
    // Which of the two parallel calls meets the fault is up to the network: find it from the path.
    expect(res.errors).toHaveLength(1);
    const failed = res.errors![0].path![2] as number;
    expect([0, 1]).toContain(failed);
    expect({ errors: res.errors }).toMatchInlineSnapshot(
      {
        errors: [
          { ...REQUEST_ID, path: ['app', 'environments', expect.any(Number), 'auth', 'config'] },
        ],
      }, `
      {
        "errors": [
          {
            "extensions": {
              "awsErrorName": "TooManyRequestsException",
              "code": "RATE_LIMITED",
              "operation": "GetBackendAuth",
              "requestId": Any<String>,
              "retryAfterSeconds": 1,
              "serviceName": "AmplifyBackend",
            },
            "locations": [
              {
                "column": 49,
                "line": 3,
              },
            ],
            "message": "Rate exceeded",
            "path": [
              "app",
              "environments",
              Any<Number>,
              "auth",
              "config",
            ],
          },
        ],
      }
    `);
    const environments = res.data.app.environments;
    expect(environments[failed]).toEqual({
      name: ['dev', 'prod'][failed],
      auth: { resourceName: 'todoappauth', config: null },
    });
    expect(environments[1 - failed]).toEqual({
      name: ['dev', 'prod'][1 - failed],
      auth: {
        resourceName: 'todoappauth',
        config: { authResources: 'IDENTITY_POOL_AND_USER_POOL' },
      },
    });
  });

  it('one failing root field leaves the others', async () => {
    stack.emulator.faults.inject({ operation: 'GetBackendJob', type: 'internal' });
    const res = await stack.graphql(`{
      app(appId: "${GALLERY}") { appName }
      backendJob(appId: "${GALLERY}", environmentName: "staging", jobId: "anyjob") { jobId }
    }`);
    expect(res.data).toEqual({ app: { appName: 'photo-gallery' }, backendJob: null });
    expect(res.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([
      ['UPSTREAM_ERROR', ['backendJob']],
    ]);
  });
});

describe('answers that break the contract', () => {
  /** Makes GetBackend answer `patch` over what it would say, until the `using` scope ends. */
  function patchGetBackend(patch: Record<string, unknown>) {
    const store = stack.emulator.store;
    const original = store.getBackend;
    store.getBackend = ((...args: Parameters<typeof original>) => ({
      ...original(...args),
      ...patch,
    })) as typeof original;
    return deferred(() => {
      store.getBackend = original;
    });
  }

  it('an amplifyMetaConfig that is not JSON is a clear UPSTREAM_ERROR; the raw string still reads', async () => {
    await using _patched = patchGetBackend({ amplifyMetaConfig: '{not json' });
    const res = await stack.graphql(`{
        backendEnvironment(appId: "${TODO}", name: "dev") { name amplifyMetaConfigRaw amplifyMetaConfig }
      }`);
    expect(res.data).toEqual({
      backendEnvironment: {
        name: 'dev',
        amplifyMetaConfigRaw: '{not json',
        amplifyMetaConfig: null,
      },
    });
    expect(res.errors).toMatchInlineSnapshot(`
      [
        {
          "extensions": {
            "code": "UPSTREAM_ERROR",
            "serviceName": "AmplifyBackend",
          },
          "locations": [
            {
              "column": 94,
              "line": 2,
            },
          ],
          "message": "AmplifyBackend returned an amplifyMetaConfig that is not a JSON object",
          "path": [
            "backendEnvironment",
            "amplifyMetaConfig",
          ],
        },
      ]
    `);
  });

  it('feature flags that are JSON but not an object are a clear UPSTREAM_ERROR', async () => {
    await using _patched = patchGetBackend({ amplifyFeatureFlags: '["not", "an", "object"]' });
    const res = await stack.graphql(
      `{ backendEnvironment(appId: "${TODO}", name: "dev") { featureFlags } }`,
    );
    expect(res.data).toEqual({ backendEnvironment: { featureFlags: null } });
    expect(res.errors?.map((e) => [e.message, e.extensions])).toEqual([
      [
        'AmplifyBackend returned amplifyFeatureFlags that is not a JSON object',
        { code: 'UPSTREAM_ERROR', serviceName: 'AmplifyBackend' },
      ],
    ]);
  });

  it('anything unexpected is masked as "Unexpected error."', () => {
    const masked = maskError(new Error('connection string postgres://secret'), 'Unexpected error.');
    expect(masked.message).toBe('Unexpected error.');
    expect(JSON.stringify(masked)).not.toContain('secret');
  });

  it('an enum value the graph does not know is a clear UPSTREAM_ERROR on that field only', async () => {
    const store = stack.emulator.store;
    const saved = store.snapshot();
    const changed = structuredClone(saved);
    const auth = changed.apps[GALLERY].environments.staging.auth.photogalleryauth;
    (auth.resourceConfig.userPoolConfigs as Record<string, unknown>).signInMethod = 'PASSKEY';
    store.replace(changed);
    await using _restored = deferred(() => store.replace(saved));
    const res = await stack.graphql(`{
        backendEnvironment(appId: "${GALLERY}", name: "staging") {
          auth { config { userPoolConfigs { userPoolName signInMethod } } }
        }
      }`);
    expect(res.data).toEqual({
      backendEnvironment: {
        auth: {
          config: {
            userPoolConfigs: { userPoolName: 'photogallery_userpool', signInMethod: null },
          },
        },
      },
    });
    expect(res.errors).toMatchInlineSnapshot(`
      [
        {
          "extensions": {
            "code": "UPSTREAM_ERROR",
            "serviceName": "AmplifyBackend",
          },
          "locations": [
            {
              "column": 58,
              "line": 3,
            },
          ],
          "message": "AmplifyBackend answered a SignInMethod this gateway does not know: "PASSKEY"",
          "path": [
            "backendEnvironment",
            "auth",
            "config",
            "userPoolConfigs",
            "signInMethod",
          ],
        },
      ]
    `);
  });
});

describe('a Host header that is no host', () => {
  // Yoga's server adapter made the request's URL from it and answered 500 with a stack trace.
  it.each(['[::1', 'exa mple', 'a:99999999', '%'])('%j is refused with 400, on either path, with no stack', async (host) => {
    for (const fastPath of [true, false]) {
      await using stack = await startStack({ gateway: { fastPath } });
      const url = await stack.gateway.start(0, '127.0.0.1');
      const answer = await send(`${url}/graphql`, {
        method: 'POST',
        headers: { host, 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      const body = answer.body.toString();
      expect(answer.status).toBe(400);
      expect(JSON.parse(body).errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(body).not.toMatch(/at |TypeError/);
    }
  });
});

describe('what a throttled call tells the client to wait', () => {
  // AmplifyBackend's Retry-After, when it sends one (in seconds), else a second.
  it.each([
    ['7', 7],
    [undefined, 1],
    ['soon', 1],
    ['99999999', 1],
  ])('Retry-After %j: retryAfterSeconds %i', (header, seconds) => {
    const throttled = Object.assign(
      new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429, attempts: 3 } }),
      { $response: { statusCode: 429, headers: header === undefined ? {} : { 'retry-after': header } } },
    );
    const error = toUpstreamError('GetBackend', throttled);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: seconds, upstreamFault: true });
  });
});
