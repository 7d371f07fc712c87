import { describe, expect, it } from 'vitest';
import { nothingKept, type Stack } from './helpers.js';
import { refusal, upstreamBadRequest, upstreamNotFound, type Refusal } from './helpers-errors.js';
import { resourceTestKit } from './helpers-resources.js';
import { useFileStack } from './helpers-stack.js';

const APP = 'd1todoapp00001';

let stack: Stack;
// Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
useFileStack((started) => (stack = started), { start: { gateway: nothingKept } });

const settings = `settings {
  cognitoUserPoolId description expirationTime
  openIDAuthTTL openIDClientId openIDIatTTL openIDIssueURL openIDProviderName
}`;
const configFields = `config {
  apiName service transformSchema
  defaultAuthType { mode ${settings} }
  additionalAuthTypes { mode ${settings} }
  conflictResolution
}`;

const noteSchema = `type Note @model {
  id: ID!
  title: String!
}
`;

const noteAndTagSchema = `${noteSchema}
type Tag @model {
  id: ID!
  label: String!
}
`;

/** The API of an environment: its config and its models. */
async function readApi(env: string, resourceName: string, fields = configFields) {
  const res = await stack.graphql(
    `query($appId: ID!, $env: String!, $name: String!) {
      backendEnvironment(appId: $appId, name: $env) {
        api(resourceName: $name) { resourceName ${fields} }
      }
    }`,
    { appId: APP, env, name: resourceName },
  );
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment.api;
}

async function readModels(env: string, resourceName: string) {
  return (
    await readApi(env, resourceName, 'models { status models modelsRaw modelIntrospectionSchema }')
  ).models;
}

const jobFields = 'job { jobId operation status state isDone environmentName }';

const { environmentView, mutate, at, complete, freshEnvironment, environmentWith, startJob, afterJobs, itRefuses } = resourceTestKit({
  stack: () => stack,
  appId: APP,
  appName: 'todo-app',
  prefix: 'api',
  selection: `${jobFields} api { resourceName }`,
  resources: 'apis { resourceName }',
});

const newApiConfig = {
  apiName: 'notes',
  transformSchema: noteSchema,
  defaultAuthType: { mode: 'API_KEY', settings: { expirationTime: 30, description: 'public' } },
  additionalAuthTypes: [
    { mode: 'AMAZON_COGNITO_USER_POOLS', settings: { cognitoUserPoolId: 'us-east-1_abc123' } },
    {
      mode: 'OPENID_CONNECT',
      settings: {
        openIDProviderName: 'acme',
        openIDIssueURL: 'https://id.acme.example',
        openIDClientId: 'acme-client',
        openIDAuthTTL: '3600',
        openIDIatTTL: '600',
      },
    },
  ],
  conflictResolution: 'OPTIMISTIC_CONCURRENCY',
};

/** A fresh environment with one API, `notesapi`, created and completed. */
const environmentWithApi = () => environmentWith('createBackendApi', { resourceName: 'notesapi', config: newApiConfig });

describe('BackendApi fields', () => {
  it('config answers every member of the demo API, conflictResolution flattened', async () => {
    const api = await readApi('dev', 'todoappapi');
    expect(api).toMatchInlineSnapshot(`
      {
        "config": {
          "additionalAuthTypes": [
            {
              "mode": "API_KEY",
              "settings": {
                "cognitoUserPoolId": null,
                "description": "public read",
                "expirationTime": 7,
                "openIDAuthTTL": null,
                "openIDClientId": null,
                "openIDIatTTL": null,
                "openIDIssueURL": null,
                "openIDProviderName": null,
              },
            },
          ],
          "apiName": "todoappapi",
          "conflictResolution": "AUTOMERGE",
          "defaultAuthType": {
            "mode": "AMAZON_COGNITO_USER_POOLS",
            "settings": null,
          },
          "service": "AppSync",
          "transformSchema": "type Todo @model @auth(rules: [{ allow: owner }]) {
        id: ID!
        name: String!
        description: String
        priority: Priority
        tags: [String!]
      }

      enum Priority {
        LOW
        MEDIUM
        HIGH
      }
      ",
        },
        "resourceName": "todoappapi",
      }
    `);
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAPI: 1 });
  });

  it('models are the generated DataStore models, parsed and raw, and LATEST', async () => {
    const models = await readModels('dev', 'todoappapi');
    expect(models.status).toBe('LATEST');
    expect(JSON.parse(models.modelsRaw)).toEqual(models.models);
    expect(Object.keys(models.models.models)).toEqual(['Todo']);
    expect(models.models.enums.Priority).toEqual({
      name: 'Priority',
      values: ['LOW', 'MEDIUM', 'HIGH'],
    });
    expect(models.models.models.Todo.fields.priority.type).toEqual({ enum: 'Priority' });
    expect(models.modelIntrospectionSchema).toMatchObject({
      version: 1,
      models: { Todo: { name: 'Todo' } },
    });
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAPIModels: 1 });
  });

  it('an API is also a node, found by its id', async () => {
    const listed = await readApi('dev', 'todoappapi', 'id');
    const res = await stack.graphql(
      `query($id: ID!) {
        node(id: $id) { ... on BackendApi { resourceName environmentName config { apiName } } }
      }`,
      {
        id: listed.id,
      },
    );
    expect(res).toEqual({
      data: {
        node: {
          resourceName: 'todoappapi',
          environmentName: 'dev',
          config: { apiName: 'todoappapi' },
        },
      },
    });
  });

  it('an API the environment does not have is null', async () => {
    const res = await stack.graphql(
      `{
        backendEnvironment(appId: "${APP}", name: "dev") {
          api(resourceName: "nosuchapi") { config { apiName } }
        }
      }`,
    );
    expect(res).toEqual({ data: { backendEnvironment: { api: null } } });
  });
});

describe('createBackendApi', () => {
  it('returns its IN_PROGRESS job, which environment.jobs lists', async () => {
    const env = await freshEnvironment();
    const { job, api } = await startJob('createBackendApi', at(env, { resourceName: 'notesapi', config: newApiConfig }), 'CreateBackendAPI');
    expect(job.isDone).toBe(false);
    expect(api).toEqual({ resourceName: 'notesapi' });

    const view = await environmentView(env);
    // Not there until the job completes.
    expect(view.apis).toEqual([]);
    expect(view.amplifyMetaConfig.api).toEqual({});
  });

  it('after the job completes, the API answers the config it was created with', async () => {
    const env = await environmentWithApi();
    expect(await readApi(env, 'notesapi')).toMatchInlineSnapshot(`
      {
        "config": {
          "additionalAuthTypes": [
            {
              "mode": "AMAZON_COGNITO_USER_POOLS",
              "settings": {
                "cognitoUserPoolId": "us-east-1_abc123",
                "description": null,
                "expirationTime": null,
                "openIDAuthTTL": null,
                "openIDClientId": null,
                "openIDIatTTL": null,
                "openIDIssueURL": null,
                "openIDProviderName": null,
              },
            },
            {
              "mode": "OPENID_CONNECT",
              "settings": {
                "cognitoUserPoolId": null,
                "description": null,
                "expirationTime": null,
                "openIDAuthTTL": "3600",
                "openIDClientId": "acme-client",
                "openIDIatTTL": "600",
                "openIDIssueURL": "https://id.acme.example",
                "openIDProviderName": "acme",
              },
            },
          ],
          "apiName": "notes",
          "conflictResolution": "OPTIMISTIC_CONCURRENCY",
          "defaultAuthType": {
            "mode": "API_KEY",
            "settings": {
              "cognitoUserPoolId": null,
              "description": "public",
              "expirationTime": 30,
              "openIDAuthTTL": null,
              "openIDClientId": null,
              "openIDIatTTL": null,
              "openIDIssueURL": null,
              "openIDProviderName": null,
            },
          },
          "service": "AppSync",
          "transformSchema": "type Note @model {
        id: ID!
        title: String!
      }
      ",
        },
        "resourceName": "notesapi",
      }
    `);
    const view = await environmentView(env);
    expect(view.apis).toEqual([{ resourceName: 'notesapi' }]);
    expect(view.jobs.edges[0].node).toMatchObject({ operation: 'CreateBackendAPI', state: 'COMPLETED' });
  });

  it('after the job completes, amplifyMetaConfig.api names the API and its auth', async () => {
    const env = await environmentWithApi();
    const meta = (await environmentView(env)).amplifyMetaConfig;
    expect(Object.keys(meta.api)).toEqual(['notesapi']);
    expect(meta.api.notesapi).toMatchObject({
      providerPlugin: 'awscloudformation',
      service: 'AppSync',
      output: {
        GraphQLAPIIdOutput: expect.any(String),
        GraphQLAPIEndpointOutput: expect.stringMatching(
          /^https:\/\/.+\.appsync-api\.us-east-1\.amazonaws\.com\/graphql$/,
        ),
        authConfig: {
          defaultAuthentication: newApiConfig.defaultAuthType,
          additionalAuthenticationProviders: newApiConfig.additionalAuthTypes,
        },
      },
    });
  });

  it('service defaults to AppSync and apiName to the resource name when left out', async () => {
    const env = await environmentWith('createBackendApi', { resourceName: 'bareapi', config: {} });
    expect(await readApi(env, 'bareapi')).toMatchObject({
      config: {
        apiName: 'bareapi',
        service: 'AppSync',
        transformSchema: null,
        defaultAuthType: null,
        additionalAuthTypes: [],
      },
    });
  });

  it('a new API has no models yet: STALE, and no models', async () => {
    const env = await environmentWithApi();
    expect(await readModels(env, 'notesapi')).toEqual({
      status: 'STALE',
      models: null,
      modelsRaw: null,
      modelIntrospectionSchema: null,
    });
  });

  it('a second write while the job is running is refused by the service', async () => {
    const env = await freshEnvironment();
    const first = await mutate('createBackendApi', at(env, { resourceName: 'oneapi', config: {} }));
    expect(first.errors).toBeUndefined();
    const second = await mutate('createBackendApi', at(env, { resourceName: 'twoapi', config: {} }));
    expect({ errors: second.errors }).toMatchInlineSnapshot(
      {
        errors: [
          {
            extensions: {
              requestId: expect.any(String),
              blockingJob: { jobId: expect.any(String), createTime: expect.any(String), environmentName: expect.any(String) },
            },
          },
        ],
      },
      `
      {
        "errors": [
          {
            "extensions": {
              "awsErrorName": "ValidationException",
              "blockingJob": {
                "createTime": Any<String>,
                "environmentName": Any<String>,
                "jobId": Any<String>,
                "operation": "CreateBackendAPI",
                "status": "IN_PROGRESS",
              },
              "code": "JOB_PENDING",
              "operation": "CreateBackendAPI",
              "requestId": Any<String>,
              "serviceName": "AmplifyBackend",
            },
            "locations": [
              {
                "column": 44,
                "line": 1,
              },
            ],
            "message": "There is already a pending job for the requested appId",
            "path": [
              "createBackendApi",
            ],
          },
        ],
      }
    `,
    );
    expect(second.errors?.[0].extensions?.blockingJob).toMatchObject({ jobId: first.data.createBackendApi.job.jobId, environmentName: env });
  });

  it('an API name already taken in the environment is refused', async () => {
    const res = await mutate('createBackendApi', at('dev', { resourceName: 'todoappapi', config: {} }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('CreateBackendAPI', { column: 44, path: 'createBackendApi', message: 'api resource todoappapi already exists in environment dev' }),
    ]);
  });
});

describe('updateBackendApi', () => {
  it('returns its job, and after it completes config shows the change', async () => {
    const env = await environmentWithApi();
    const change = { conflictResolution: 'AUTOMERGE', defaultAuthType: { mode: 'AWS_IAM' } };
    await startJob('updateBackendApi', at(env, { resourceName: 'notesapi', config: change }), 'UpdateBackendAPI');
    // Unchanged until the job completes.
    expect((await readApi(env, 'notesapi')).config.conflictResolution).toBe(
      'OPTIMISTIC_CONCURRENCY',
    );

    await stack.emulator.advance(3000);
    const { config } = await readApi(env, 'notesapi');
    expect(config.conflictResolution).toBe('AUTOMERGE');
    // Update merges what it names into what is there: the settings stay.
    expect(config.defaultAuthType).toMatchObject({
      mode: 'AWS_IAM',
      settings: { expirationTime: 30 },
    });
    const meta = (await environmentView(env)).amplifyMetaConfig;
    expect(meta.api.notesapi.output.authConfig.defaultAuthentication).toEqual({
      ...newApiConfig.defaultAuthType,
      mode: 'AWS_IAM',
    });
  });

  it('changes only what it names', async () => {
    const env = await environmentWithApi();
    const before = await readApi(env, 'notesapi');
    await complete('updateBackendApi', at(env, { resourceName: 'notesapi', config: { apiName: 'renamed' } }));
    expect(await readApi(env, 'notesapi')).toEqual({
      ...before,
      config: { ...before.config, apiName: 'renamed' },
    });
  });

  it('a new transform schema makes the models STALE; generating makes them LATEST', async () => {
    const env = await environmentWithApi();
    const generate = () => complete('generateBackendApiModels', at(env, { resourceName: 'notesapi' }));
    await generate();
    const first = await readModels(env, 'notesapi');
    expect(first.status).toBe('LATEST');
    expect(Object.keys(first.models.models)).toEqual(['Note']);

    await complete('updateBackendApi', at(env, { resourceName: 'notesapi', config: { transformSchema: noteAndTagSchema } }));
    const stale = await readModels(env, 'notesapi');
    // The models of the old schema, marked STALE.
    expect(stale).toEqual({ ...first, status: 'STALE' });

    await generate();
    const latest = await readModels(env, 'notesapi');
    expect(latest.status).toBe('LATEST');
    expect(Object.keys(latest.models.models)).toEqual(['Note', 'Tag']);
    expect(latest.modelsRaw).not.toBe(first.modelsRaw);
  });

  it('an API the environment does not have is NOT_FOUND', async () => {
    const res = await mutate('updateBackendApi', at('dev', { resourceName: 'nosuchapi', config: { apiName: 'x' } }));
    expect(res.errors).toStrictEqual([
      upstreamNotFound('UpdateBackendAPI', 'api', { column: 44, path: 'updateBackendApi', message: 'api resource nosuchapi not found in environment dev' }),
    ]);
    expect(res.data).toBeNull();
  });
});

describe('generateBackendApiModels', () => {
  it('returns its job; after it completes the models are LATEST, from the schema', async () => {
    const env = await environmentWithApi();
    await startJob('generateBackendApiModels', at(env, { resourceName: 'notesapi' }), 'GenerateBackendAPIModels');
    expect((await readModels(env, 'notesapi')).status).toBe('STALE');

    await stack.emulator.advance(3000);
    const models = await readModels(env, 'notesapi');
    expect(models.status).toBe('LATEST');
    expect(models.models.models.Note.fields).toMatchObject({
      id: { type: 'ID', isRequired: true },
      title: { type: 'String', isRequired: true },
      createdAt: { type: 'AWSDateTime' },
    });
    expect(models.modelIntrospectionSchema.models).toEqual(models.models.models);
  });

  it('an API without a transform schema is refused', async () => {
    const env = await environmentWith('createBackendApi', { resourceName: 'bareapi', config: {} });
    const res = await mutate('generateBackendApiModels', at(env, { resourceName: 'bareapi' }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('GenerateBackendAPIModels', { column: 52, path: 'generateBackendApiModels', message: 'API bareapi has no transformSchema to generate models from' }),
    ]);
  });
});

describe('deleteBackendApi', () => {
  it('returns its job; after it completes the API is gone, also from amplify-meta', async () => {
    const env = await environmentWithApi();
    await startJob('deleteBackendApi', at(env, { resourceName: 'notesapi' }), 'DeleteBackendAPI');
    expect((await environmentView(env)).apis).toEqual([{ resourceName: 'notesapi' }]);

    const view = await afterJobs(env);
    expect(view.apis).toEqual([]);
    expect(view.amplifyMetaConfig.api).toEqual({});
    expect(await readApi(env, 'notesapi')).toBeNull();
  });
});

describe('transform schema', () => {
  const notGraphQL = (path: string, syntaxError: string): Refusal => ({
    code: 'BAD_USER_INPUT',
    field: 'input.config.transformSchema',
    column: 44,
    path,
    message: `input.config.transformSchema: must be a GraphQL schema (${syntaxError})`,
  });

  it('a transformSchema that is not GraphQL is refused', async () => {
    const env = await freshEnvironment();
    const res = await mutate('createBackendApi', at(env, { resourceName: 'badapi', config: { transformSchema: 'type Todo @model {' } }));
    expect(res.errors).toStrictEqual(refusal(notGraphQL('createBackendApi', 'Syntax Error: Expected Name, found <EOF>.')));
    expect(stack.calls()).toEqual({});
  });

  it('an update to a transformSchema that is not GraphQL is refused', async () => {
    const env = await environmentWithApi();
    const res = await mutate('updateBackendApi', at(env, { resourceName: 'notesapi', config: { transformSchema: 'not graphql at all' } }));
    expect(res.errors).toStrictEqual(refusal(notGraphQL('updateBackendApi', 'Syntax Error: Unexpected Name "not".')));
    expect(stack.calls()).toEqual({});
  });
});

describe('inputs are checked before any upstream call', () => {
  itRefuses([
    {
      name: 'a new resourceName with a dash',
      mutation: 'createBackendApi',
      input: at('dev', { resourceName: 'my-api', config: {} }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.resourceName',
        column: 44,
        path: 'createBackendApi',
        message: 'input.resourceName: must be 1 to 128 letters and digits (an Amplify resource name)',
      },
    },
    {
      name: 'an empty apiName',
      mutation: 'createBackendApi',
      input: at('dev', { resourceName: 'okapi', config: { apiName: '' } }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.config.apiName',
        column: 44,
        path: 'createBackendApi',
        message: 'input.config.apiName: must not be empty',
      },
    },
    {
      name: 'an environment name with a slash',
      mutation: 'deleteBackendApi',
      input: at('dev/x', { resourceName: 'todoappapi' }),
      error: {
        code: 'BAD_USER_INPUT',
        field: 'input.environmentName',
        column: 44,
        path: 'deleteBackendApi',
        message: 'input.environmentName: must not contain "/"',
      },
    },
    {
      name: 'an auth mode that does not exist',
      mutation: 'createBackendApi',
      input: at('dev', { resourceName: 'okapi', config: { defaultAuthType: { mode: 'PASSWORD' } } }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input.config.defaultAuthType.mode"; Value "PASSWORD" does not exist in "ApiAuthMode" enum.',
      },
    },
    {
      name: 'an auth type without its required mode',
      mutation: 'updateBackendApi',
      input: at('dev', { resourceName: 'todoappapi', config: { additionalAuthTypes: [{ settings: { description: 'x' } }] } }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input.config.additionalAuthTypes[0]"; Field "mode" of required type "ApiAuthMode!" was not provided.',
      },
    },
    {
      name: 'createBackendApi without its required config',
      mutation: 'createBackendApi',
      input: at('dev', { resourceName: 'okapi' }),
      error: {
        code: 'BAD_USER_INPUT',
        column: 10,
        message: 'Variable "$input" got invalid value at "input"; Field "config" of required type "BackendApiConfigInput!" was not provided.',
      },
    },
    {
      name: 'a conflict resolution strategy that does not exist, written inline',
      query: `mutation {
      updateBackendApi(input: {
        appId: "${APP}", environmentName: "dev", resourceName: "todoappapi"
        config: { conflictResolution: LAST_WRITER }
      }) {
        job { jobId }
      }
    }`,
      error: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        column: 39,
        line: 4,
        message: 'Value "LAST_WRITER" does not exist in "ResolutionStrategy" enum.',
      },
    },
    {
      name: 'generateBackendApiModels without a resourceName, written inline',
      query: `mutation {
      generateBackendApiModels(input: { appId: "${APP}", environmentName: "dev" }) { job { jobId } }
    }`,
      error: {
        code: 'GRAPHQL_VALIDATION_FAILED',
        column: 39,
        line: 2,
        message: 'Field "GenerateBackendApiModelsInput.resourceName" of required type "String!" was not provided.',
      },
    },
  ]);
});
