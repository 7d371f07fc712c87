// Every AmplifyBackend operation sent through the real SDK client to the emulator over HTTP, with
// the state each one changes read back through the API. Jobs finish only when the test moves the
// emulator's manual clock forward.
import {
  AmplifyBackendClient,
  BadRequestException,
  CloneBackendCommand,
  CreateBackendAPICommand,
  CreateBackendAuthCommand,
  CreateBackendCommand,
  CreateBackendConfigCommand,
  CreateBackendStorageCommand,
  CreateTokenCommand,
  DeleteBackendAPICommand,
  DeleteBackendAuthCommand,
  DeleteBackendCommand,
  DeleteBackendStorageCommand,
  DeleteTokenCommand,
  GenerateBackendAPIModelsCommand,
  GetBackendAPICommand,
  GetBackendAPIModelsCommand,
  GetBackendAuthCommand,
  GetBackendCommand,
  GetBackendJobCommand,
  GetBackendStorageCommand,
  GetTokenCommand,
  ImportBackendAuthCommand,
  ImportBackendStorageCommand,
  ListBackendJobsCommand,
  ListS3BucketsCommand,
  NotFoundException,
  RemoveAllBackendsCommand,
  RemoveBackendConfigCommand,
  UpdateBackendAPICommand,
  UpdateBackendAuthCommand,
  UpdateBackendConfigCommand,
  UpdateBackendJobCommand,
  UpdateBackendStorageCommand,
  type CreateBackendAuthResourceConfig,
} from '@aws-sdk/client-amplifybackend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import { authConfig } from './helpers.js';
import { rejection, useEmulatorClient } from './helpers-emulator.js';

const APP = 'app0000001';
const ENV = 'dev';
/** The app and environment most requests name. */
const at = { AppId: APP, BackendEnvironmentName: ENV };
const JOB_MS = 3000;
const START = '2026-01-01T00:00:00.000Z';

let emulator: Emulator;
let client: AmplifyBackendClient;

interface AmplifyMeta {
  providers: { awscloudformation: Record<string, string> };
  api: Record<string, { service: string; output: Record<string, any> }>;
  auth: Record<string, { service: string; serviceType: string; output: Record<string, string> }>;
  storage: Record<string, { service: string; serviceType: string; output: Record<string, string> }>;
}

/** Moves the emulator's clock by the job duration, so every pending job completes. */
const finishJobs = () => emulator.advance(JOB_MS);

/** The answer of an operation that starts a job. */
const startedJob = (Operation: string, BackendEnvironmentName = ENV) => ({
  AppId: APP,
  BackendEnvironmentName,
  JobId: expect.any(String),
  Operation,
  Status: 'IN_PROGRESS',
});

/** The storage and config operations answer with a shorter job shape, without Operation. */
const startedStorageJob = (BackendEnvironmentName = ENV) => ({
  AppId: APP,
  BackendEnvironmentName,
  JobId: expect.any(String),
  Status: 'IN_PROGRESS',
});

async function createEnvironment(environmentName = ENV) {
  await client.send(
    new CreateBackendCommand({
      AppId: APP,
      AppName: 'my-app',
      BackendEnvironmentName: environmentName,
    }),
  );
  await finishJobs();
}

async function environmentList(appId = APP) {
  return (await client.send(new GetBackendCommand({ AppId: appId }))).BackendEnvironmentList;
}

async function amplifyMeta(environmentName = ENV, appId = APP): Promise<AmplifyMeta> {
  const backend = await client.send(
    new GetBackendCommand({ AppId: appId, BackendEnvironmentName: environmentName }),
  );
  return JSON.parse(backend.AmplifyMetaConfig ?? 'null');
}

async function expectNotFound(request: Promise<unknown>, resourceType: string) {
  const error = await rejection(request);
  expect(error).toBeInstanceOf(NotFoundException);
  expect(error).toMatchObject({ resourceType, $metadata: { httpStatusCode: 404 } });
}

/** A delete answers `job`; once jobs finish, `get` is NotFound and amplify-meta has no `kind` left. */
async function expectRemoved(deleting: Promise<unknown>, job: object, get: () => Promise<unknown>, kind: 'api' | 'auth' | 'storage') {
  expect(await deleting).toMatchObject(job);
  await finishJobs();
  await expectNotFound(get(), kind);
  expect((await amplifyMeta())[kind]).toEqual({});
}

const todoSchema = 'type Todo @model {\n  id: ID!\n  name: String!\n}\n';

async function createApi() {
  await client.send(
    new CreateBackendAPICommand({
      ...at,
      ResourceName: 'todoapi',
      ResourceConfig: {
        TransformSchema: todoSchema,
        DefaultAuthType: { Mode: 'API_KEY', Settings: { ExpirationTime: 7 } },
      },
    }),
  );
  await finishJobs();
}

async function createAuth() {
  await client.send(
    new CreateBackendAuthCommand({ ...at, ResourceName: 'userauth', ResourceConfig: authConfig() }),
  );
  await finishJobs();
}

const permissions = { Authenticated: ['READ' as const, 'CREATE_AND_UPDATE' as const] };

async function createStorage(resourceName: string) {
  await client.send(
    new CreateBackendStorageCommand({
      ...at,
      ResourceName: resourceName,
      ResourceConfig: { Permissions: permissions, ServiceName: 'S3' },
    }),
  );
  await finishJobs();
}

describe('on an empty emulator', () => {
  useEmulatorClient(
    (started, sdk) => {
      [emulator, client] = [started, sdk];
    },
    { each: true },
  );

  describe('apps and environments', () => {
    it('CreateBackend starts a job; the environment appears when it completes', async () => {
      const created = await client.send(new CreateBackendCommand({ ...at, AppName: 'my-app' }));
      expect(created).toMatchObject(startedJob('CreateBackend'));
      expect(created.Error).toBeUndefined();

      // The app exists at once; its environment only once the job is done.
      expect(await client.send(new GetBackendCommand({ AppId: APP }))).toMatchObject({
        AppId: APP,
        AppName: 'my-app',
        BackendEnvironmentList: [],
      });
      await finishJobs();
      expect(await environmentList()).toEqual([ENV]);
    });

    it('GetBackend of an environment returns its amplify-meta and feature flags', async () => {
      await createEnvironment();
      const backend = await client.send(new GetBackendCommand(at));
      expect(backend).toMatchObject({
        AppId: APP,
        AppName: 'my-app',
        BackendEnvironmentList: [ENV],
        BackendEnvironmentName: ENV,
      });
      expect(JSON.parse(backend.AmplifyMetaConfig!)).toEqual({
        providers: {
          awscloudformation: expect.objectContaining({
            Region: 'us-east-1',
            StackName: `amplify-${APP}-${ENV}`,
          }),
        },
        api: {},
        auth: {},
        storage: {},
      });
      expect(JSON.parse(backend.AmplifyFeatureFlags!)).toHaveProperty('features');
    });

    it('GetBackend of an unknown app or environment is a NotFoundException', async () => {
      await expectNotFound(client.send(new GetBackendCommand({ AppId: 'nope' })), 'app');
      await createEnvironment();
      await expectNotFound(
        client.send(new GetBackendCommand({ AppId: APP, BackendEnvironmentName: 'nope' })),
        'environment',
      );
    });

    it('CloneBackend copies an environment with its resources', async () => {
      await createEnvironment();
      await createApi();
      await createStorage('photos');

      const cloned = await client.send(
        new CloneBackendCommand({ ...at, TargetEnvironmentName: 'test' }),
      );
      expect(cloned).toMatchObject(startedJob('CloneBackend'));
      expect(await environmentList()).toEqual([ENV]);

      await finishJobs();
      expect(await environmentList()).toEqual([ENV, 'test']);
      const meta = await amplifyMeta('test');
      expect(Object.keys(meta.api)).toEqual(['todoapi']);
      // A managed bucket belongs to one environment, so the clone gets its own.
      expect(meta.storage.photos.output.BucketName).toBe(`photos-${APP}-test`);
    });

    it('DeleteBackend removes the environment when its job completes', async () => {
      await createEnvironment();
      await createEnvironment('prod');

      const prod = { AppId: APP, BackendEnvironmentName: 'prod' };
      const deleted = await client.send(new DeleteBackendCommand(prod));
      expect(deleted).toMatchObject(startedJob('DeleteBackend', 'prod'));
      expect(await environmentList()).toEqual([ENV, 'prod']);

      await finishJobs();
      expect(await environmentList()).toEqual([ENV]);
      await expectNotFound(client.send(new GetBackendCommand(prod)), 'environment');
    });

    it('RemoveAllBackends removes every environment and keeps the app', async () => {
      await createEnvironment();
      await createEnvironment('prod');

      const removed = await client.send(new RemoveAllBackendsCommand({ AppId: APP }));
      expect(removed).toMatchObject({
        AppId: APP,
        JobId: expect.any(String),
        Operation: 'RemoveAllBackends',
        Status: 'IN_PROGRESS',
      });
      expect(await environmentList()).toEqual([ENV, 'prod']);

      await finishJobs();
      expect(await environmentList()).toEqual([]);
    });

    it('RemoveAllBackends with CleanAmplifyApp removes the app itself', async () => {
      await createEnvironment();
      await client.send(new RemoveAllBackendsCommand({ AppId: APP, CleanAmplifyApp: true }));
      await finishJobs();
      await expectNotFound(client.send(new GetBackendCommand({ AppId: APP })), 'app');
    });
  });

  describe('jobs', () => {
    it('GetBackendJob shows a job IN_PROGRESS until the clock reaches its end', async () => {
      const { JobId } = await client.send(new CreateBackendCommand({ ...at, AppName: 'my-app' }));
      const job = new GetBackendJobCommand({ ...at, JobId });
      expect(await client.send(job)).toMatchObject({
        ...at,
        JobId,
        Operation: 'CreateBackend',
        Status: 'IN_PROGRESS',
        CreateTime: START,
        UpdateTime: START,
      });

      await emulator.advance(JOB_MS - 1);
      expect((await client.send(job)).Status).toBe('IN_PROGRESS');

      await emulator.advance(1);
      expect(await client.send(job)).toMatchObject({
        Status: 'COMPLETED',
        CreateTime: START,
        UpdateTime: '2026-01-01T00:00:03.000Z',
      });
    });

    it('GetBackendJob of an unknown job is a NotFoundException', async () => {
      await createEnvironment();
      await expectNotFound(client.send(new GetBackendJobCommand({ ...at, JobId: 'x' })), 'job');
    });

    it('ListBackendJobs lists newest first, filters, and pages with NextToken', async () => {
      await createEnvironment();
      await createApi();
      await client.send(new GenerateBackendAPIModelsCommand({ ...at, ResourceName: 'todoapi' }));
      await finishJobs();

      const first = await client.send(new ListBackendJobsCommand({ ...at, MaxResults: 2 }));
      expect(first.Jobs?.map((job) => job.Operation)).toEqual([
        'GenerateBackendAPIModels',
        'CreateBackendAPI',
      ]);
      expect(first.Jobs?.map((job) => job.Status)).toEqual(['COMPLETED', 'COMPLETED']);
      expect(first.NextToken).toEqual(expect.any(String));

      const second = await client.send(
        new ListBackendJobsCommand({ ...at, MaxResults: 2, NextToken: first.NextToken }),
      );
      expect(second.Jobs?.map((job) => job.Operation)).toEqual(['CreateBackend']);
      expect(second.NextToken).toBeUndefined();

      const filtered = await client.send(
        new ListBackendJobsCommand({ ...at, Operation: 'CreateBackendAPI' }),
      );
      expect(filtered.Jobs).toEqual([
        expect.objectContaining({ ...at, Operation: 'CreateBackendAPI' }),
      ]);
    });

    it('UpdateBackendJob to COMPLETED finishes a pending job at once', async () => {
      await createEnvironment();
      const { JobId } = await client.send(
        new CreateBackendStorageCommand({
          ...at,
          ResourceName: 'photos',
          ResourceConfig: { Permissions: permissions, ServiceName: 'S3' },
        }),
      );

      const updated = await client.send(
        new UpdateBackendJobCommand({ ...at, JobId, Status: 'COMPLETED' }),
      );
      expect(updated).toMatchObject({
        ...at,
        JobId,
        Operation: 'CreateBackendStorage',
        Status: 'COMPLETED',
      });
      // No clock movement needed: the job's effect is applied now.
      const storage = await client.send(
        new GetBackendStorageCommand({ ...at, ResourceName: 'photos' }),
      );
      expect(storage.ResourceName).toBe('photos');
    });

    it('UpdateBackendJob to another status ends the job without its effect', async () => {
      await createEnvironment();
      const { JobId } = await client.send(new DeleteBackendCommand(at));
      const updated = await client.send(
        new UpdateBackendJobCommand({ ...at, JobId, Status: 'CANCELLED' }),
      );
      expect(updated).toMatchObject({ JobId, Operation: 'DeleteBackend', Status: 'CANCELLED' });

      await finishJobs();
      expect(await environmentList()).toEqual([ENV]);
    });
  });

  describe('api', () => {
    beforeEach(() => createEnvironment());

    const getApi = () => client.send(new GetBackendAPICommand({ ...at, ResourceName: 'todoapi' }));

    it('CreateBackendAPI shows in GetBackendAPI and amplify-meta once done', async () => {
      const created = await client.send(
        new CreateBackendAPICommand({
          ...at,
          ResourceName: 'todoapi',
          ResourceConfig: {
            TransformSchema: todoSchema,
            DefaultAuthType: { Mode: 'API_KEY', Settings: { ExpirationTime: 7 } },
            AdditionalAuthTypes: [{ Mode: 'AWS_IAM' }],
          },
        }),
      );
      expect(created).toMatchObject(startedJob('CreateBackendAPI'));
      await expectNotFound(getApi(), 'api');

      await finishJobs();
      expect(await getApi()).toMatchObject({
        ...at,
        ResourceName: 'todoapi',
        ResourceConfig: {
          ApiName: 'todoapi',
          Service: 'AppSync',
          TransformSchema: todoSchema,
          DefaultAuthType: { Mode: 'API_KEY', Settings: { ExpirationTime: 7 } },
          AdditionalAuthTypes: [{ Mode: 'AWS_IAM' }],
        },
      });
      const { api } = await amplifyMeta();
      expect(api.todoapi).toMatchObject({
        service: 'AppSync',
        output: {
          authConfig: {
            defaultAuthentication: { mode: 'API_KEY' },
            additionalAuthenticationProviders: [{ mode: 'AWS_IAM' }],
          },
        },
      });
      expect(api.todoapi.output.GraphQLAPIEndpointOutput).toMatch(/^https:\/\/.+\/graphql$/);
    });

    it('UpdateBackendAPI changes what it names and keeps the rest', async () => {
      await createApi();
      const updated = await client.send(
        new UpdateBackendAPICommand({
          ...at,
          ResourceName: 'todoapi',
          ResourceConfig: { ConflictResolution: { ResolutionStrategy: 'AUTOMERGE' } },
        }),
      );
      expect(updated).toMatchObject(startedJob('UpdateBackendAPI'));
      await finishJobs();

      expect((await getApi()).ResourceConfig).toEqual({
        ApiName: 'todoapi',
        Service: 'AppSync',
        TransformSchema: todoSchema,
        DefaultAuthType: { Mode: 'API_KEY', Settings: { ExpirationTime: 7 } },
        ConflictResolution: { ResolutionStrategy: 'AUTOMERGE' },
      });
    });

    it('generated models are LATEST, and STALE after a schema change', async () => {
      await createApi();
      const request = { ...at, ResourceName: 'todoapi' };
      const before = await client.send(new GetBackendAPIModelsCommand(request));
      expect(before.Status).toBe('STALE');
      expect(before.Models).toBeUndefined();

      const generating = await client.send(new GenerateBackendAPIModelsCommand(request));
      expect(generating).toMatchObject(startedJob('GenerateBackendAPIModels'));
      await finishJobs();

      const generated = await client.send(new GetBackendAPIModelsCommand(request));
      expect(generated.Status).toBe('LATEST');
      const todo = JSON.parse(generated.Models!).models.Todo;
      expect(Object.keys(todo.fields)).toEqual(['id', 'name', 'createdAt', 'updatedAt']);
      expect(todo.fields.name).toMatchObject({ type: 'String', isRequired: true, isArray: false });
      expect(JSON.parse(generated.ModelIntrospectionSchema!)).toMatchObject({
        version: 1,
        models: { Todo: { name: 'Todo' } },
      });

      const changed = todoSchema.replace('name: String!', 'name: String!\n  done: Boolean');
      await client.send(
        new UpdateBackendAPICommand({ ...request, ResourceConfig: { TransformSchema: changed } }),
      );
      await finishJobs();
      const stale = await client.send(new GetBackendAPIModelsCommand(request));
      expect(stale.Status).toBe('STALE');
      expect(stale.Models).toBe(generated.Models);

      await client.send(new GenerateBackendAPIModelsCommand(request));
      await finishJobs();
      const regenerated = await client.send(new GetBackendAPIModelsCommand(request));
      expect(regenerated.Status).toBe('LATEST');
      expect(JSON.parse(regenerated.Models!).models.Todo.fields.done).toMatchObject({
        type: 'Boolean',
      });
    });

    it('DeleteBackendAPI removes the API from GetBackendAPI and amplify-meta', async () => {
      await createApi();
      expect(Object.keys((await amplifyMeta()).api)).toEqual(['todoapi']);

      const deleting = client.send(new DeleteBackendAPICommand({ ...at, ResourceName: 'todoapi' }));
      await expectRemoved(deleting, startedJob('DeleteBackendAPI'), getApi, 'api');
    });
  });

  describe('auth', () => {
    beforeEach(() => createEnvironment());

    const getAuth = (resourceName = 'userauth') =>
      client.send(new GetBackendAuthCommand({ ...at, ResourceName: resourceName }));

    it('CreateBackendAuth shows in GetBackendAuth and amplify-meta once done', async () => {
      const created = await client.send(
        new CreateBackendAuthCommand({
          ...at,
          ResourceName: 'userauth',
          ResourceConfig: authConfig(),
        }),
      );
      expect(created).toMatchObject(startedJob('CreateBackendAuth'));
      await expectNotFound(getAuth(), 'auth');

      await finishJobs();
      expect(await getAuth()).toMatchObject({
        ...at,
        ResourceName: 'userauth',
        ResourceConfig: authConfig(),
      });
      const { auth } = await amplifyMeta();
      expect(auth.userauth).toMatchObject({ service: 'Cognito', serviceType: 'managed' });
      expect(auth.userauth.output.UserPoolId).toMatch(/^us-east-1_/);
      // A user pool alone has no identity pool.
      expect(auth.userauth.output).not.toHaveProperty('IdentityPoolId');
    });

    it('round-trips the PascalCase wire members MFAMode and SocialProviderSettings', async () => {
      const resourceConfig: CreateBackendAuthResourceConfig = {
        AuthResources: 'IDENTITY_POOL_AND_USER_POOL',
        Service: 'COGNITO',
        IdentityPoolConfigs: { IdentityPoolName: 'idpool', UnauthenticatedLogin: true },
        UserPoolConfigs: {
          UserPoolName: 'pool',
          SignInMethod: 'EMAIL',
          RequiredSignUpAttributes: ['EMAIL', 'NAME'],
          Mfa: { MFAMode: 'OPTIONAL', Settings: { MfaTypes: ['TOTP'], SmsMessage: 'Code {####}' } },
          OAuth: {
            OAuthGrantType: 'CODE',
            OAuthScopes: ['EMAIL', 'OPENID'],
            RedirectSignInURIs: ['https://example.com/in'],
            RedirectSignOutURIs: ['https://example.com/out'],
            DomainPrefix: 'my-app',
            SocialProviderSettings: {
              Google: { ClientId: 'google-id', ClientSecret: 'google-secret' },
              SignInWithApple: { ClientId: 'apple-id', KeyId: 'k', PrivateKey: 'p', TeamId: 't' },
            },
          },
          PasswordPolicy: { MinimumLength: 10, AdditionalConstraints: ['REQUIRE_DIGIT'] },
          ForgotPassword: { DeliveryMethod: 'SMS', SmsSettings: { SmsMessage: 'Reset {####}' } },
          VerificationMessage: {
            DeliveryMethod: 'EMAIL',
            EmailSettings: { EmailSubject: 'Verify', EmailMessage: 'Code {####}' },
          },
        },
      };
      await client.send(
        new CreateBackendAuthCommand({
          ...at,
          ResourceName: 'userauth',
          ResourceConfig: resourceConfig,
        }),
      );
      await finishJobs();

      expect((await getAuth()).ResourceConfig).toEqual(resourceConfig);
      // What the emulator received and keeps is the wire form, with the model's odd names.
      const stored = emulator.store.snapshot().apps[APP].environments[ENV].auth.userauth;
      const userPool = stored.resourceConfig.userPoolConfigs as Record<string, any>;
      expect(userPool.mfa).toEqual({
        MFAMode: 'OPTIONAL',
        settings: { mfaTypes: ['TOTP'], smsMessage: 'Code {####}' },
      });
      expect(userPool.oAuth.socialProviderSettings).toEqual({
        Google: { client_id: 'google-id', client_secret: 'google-secret' },
        SignInWithApple: { client_id: 'apple-id', key_id: 'k', private_key: 'p', team_id: 't' },
      });
      const { auth } = await amplifyMeta();
      expect(auth.userauth.output.IdentityPoolId).toMatch(/^us-east-1:/);
    });

    it('UpdateBackendAuth changes what it names and keeps the rest', async () => {
      await createAuth();
      const updated = await client.send(
        new UpdateBackendAuthCommand({
          ...at,
          ResourceName: 'userauth',
          ResourceConfig: {
            AuthResources: 'USER_POOL_ONLY',
            Service: 'COGNITO',
            UserPoolConfigs: {
              Mfa: { MFAMode: 'ON', Settings: { MfaTypes: ['SMS'] } },
              PasswordPolicy: { MinimumLength: 12 },
            },
          },
        }),
      );
      expect(updated).toMatchObject(startedJob('UpdateBackendAuth'));
      await finishJobs();

      expect((await getAuth()).ResourceConfig?.UserPoolConfigs).toEqual({
        ...authConfig().UserPoolConfigs,
        Mfa: { MFAMode: 'ON', Settings: { MfaTypes: ['SMS'] } },
        PasswordPolicy: { MinimumLength: 12 },
      });
    });

    it('ImportBackendAuth adds an imported auth resource with the given ids', async () => {
      const imported = await client.send(
        new ImportBackendAuthCommand({
          ...at,
          UserPoolId: 'us-east-1_AbC123',
          WebClientId: 'webclient',
          NativeClientId: 'nativeclient',
          IdentityPoolId: 'us-east-1:0000-1111',
        }),
      );
      expect(imported).toMatchObject(startedJob('ImportBackendAuth'));
      await finishJobs();

      expect((await getAuth('importedAbC123')).ResourceConfig).toMatchObject({
        AuthResources: 'IDENTITY_POOL_AND_USER_POOL',
        Service: 'COGNITO',
      });
      expect((await amplifyMeta()).auth.importedAbC123).toEqual({
        providerPlugin: 'awscloudformation',
        service: 'Cognito',
        serviceType: 'imported',
        output: {
          UserPoolId: 'us-east-1_AbC123',
          AppClientIDWeb: 'webclient',
          AppClientID: 'nativeclient',
          IdentityPoolId: 'us-east-1:0000-1111',
        },
      });
    });

    it('DeleteBackendAuth removes the auth from GetBackendAuth and amplify-meta', async () => {
      await createAuth();
      const deleting = client.send(new DeleteBackendAuthCommand({ ...at, ResourceName: 'userauth' }));
      await expectRemoved(deleting, startedJob('DeleteBackendAuth'), getAuth, 'auth');
    });
  });

  describe('storage', () => {
    beforeEach(() => createEnvironment());

    const getStorage = (resourceName: string, environmentName = ENV) =>
      client.send(
        new GetBackendStorageCommand({
          AppId: APP,
          BackendEnvironmentName: environmentName,
          ResourceName: resourceName,
        }),
      );

    it('CreateBackendStorage shows in GetBackendStorage, amplify-meta and buckets', async () => {
      const created = await client.send(
        new CreateBackendStorageCommand({
          ...at,
          ResourceName: 'photos',
          ResourceConfig: { Permissions: permissions, ServiceName: 'S3' },
        }),
      );
      expect(created).toMatchObject(startedStorageJob());
      await expectNotFound(getStorage('photos'), 'storage');

      await finishJobs();
      const bucketName = `photos-${APP}-${ENV}`;
      expect(await getStorage('photos')).toMatchObject({
        ...at,
        ResourceName: 'photos',
        ResourceConfig: {
          BucketName: bucketName,
          Imported: false,
          Permissions: permissions,
          ServiceName: 'S3',
        },
      });
      expect((await amplifyMeta()).storage.photos).toMatchObject({
        service: 'S3',
        serviceType: 'managed',
        output: { BucketName: bucketName, Region: 'us-east-1' },
      });
      const { Buckets } = await client.send(new ListS3BucketsCommand({}));
      expect(Buckets).toEqual([{ Name: bucketName, CreationDate: '2026-01-01T00:00:06.000Z' }]);
    });

    it('UpdateBackendStorage replaces the permissions', async () => {
      await createStorage('photos');
      const updated = await client.send(
        new UpdateBackendStorageCommand({
          ...at,
          ResourceName: 'photos',
          ResourceConfig: {
            Permissions: { Authenticated: ['READ'], UnAuthenticated: ['READ'] },
            ServiceName: 'S3',
          },
        }),
      );
      expect(updated).toMatchObject(startedStorageJob());
      await finishJobs();

      expect((await getStorage('photos')).ResourceConfig?.Permissions).toEqual({
        Authenticated: ['READ'],
        UnAuthenticated: ['READ'],
      });
    });

    it('ImportBackendStorage adds an existing bucket as imported storage', async () => {
      await createStorage('photos');
      await createEnvironment('prod');
      const bucketName = `photos-${APP}-${ENV}`;

      const imported = await client.send(
        new ImportBackendStorageCommand({
          AppId: APP,
          BackendEnvironmentName: 'prod',
          BucketName: bucketName,
          ServiceName: 'S3',
        }),
      );
      expect(imported).toMatchObject(startedStorageJob('prod'));
      await finishJobs();

      const resourceName = bucketName.replace(/-/g, '');
      expect((await getStorage(resourceName, 'prod')).ResourceConfig).toEqual({
        BucketName: bucketName,
        Imported: true,
        ServiceName: 'S3',
      });
      expect((await amplifyMeta('prod')).storage[resourceName]).toMatchObject({
        serviceType: 'imported',
        output: { BucketName: bucketName },
      });
    });

    it('ImportBackendStorage of an unknown bucket is a NotFoundException', async () => {
      await expectNotFound(
        client.send(
          new ImportBackendStorageCommand({ ...at, BucketName: 'nope', ServiceName: 'S3' }),
        ),
        'bucket',
      );
    });

    it('DeleteBackendStorage removes it from GetBackendStorage and amplify-meta', async () => {
      await createStorage('photos');
      const deleting = client.send(new DeleteBackendStorageCommand({ ...at, ResourceName: 'photos', ServiceName: 'S3' }));
      await expectRemoved(deleting, startedStorageJob(), () => getStorage('photos'), 'storage');
    });

    it('ListS3Buckets pages to the end with NextToken, absent on the last page', async () => {
      const names = Array.from({ length: 12 }, (_, i) => `bucket${String(i + 1).padStart(2, '0')}`);
      for (const name of names) await createStorage(name);

      const pages: string[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListS3BucketsCommand({ NextToken: nextToken }));
        pages.push((page.Buckets ?? []).map((bucket) => bucket.Name!));
        nextToken = page.NextToken;
      } while (nextToken !== undefined && pages.length < 10);

      expect(pages.map((page) => page.length)).toEqual([10, 2]);
      expect(pages.flat()).toEqual(names.map((name) => `${name}-${APP}-${ENV}`));
    });

    it('ListS3Buckets rejects a NextToken it did not issue', async () => {
      const listing = client.send(new ListS3BucketsCommand({ NextToken: 'bogus' }));
      expect(await rejection(listing)).toBeInstanceOf(BadRequestException);
    });
  });

  describe('tokens', () => {
    beforeEach(() => createEnvironment());

    it('CreateToken, GetToken and DeleteToken manage an admin session', async () => {
      const token = await client.send(new CreateTokenCommand({ AppId: APP }));
      expect(token).toMatchObject({ AppId: APP, SessionId: expect.any(String), Ttl: '3600' });
      expect(token.ChallengeCode).toMatch(/^\d{6}$/);

      const session = { AppId: APP, SessionId: token.SessionId };
      expect(await client.send(new GetTokenCommand(session))).toMatchObject({
        AppId: APP,
        ChallengeCode: token.ChallengeCode,
        SessionId: token.SessionId,
        Ttl: '3600',
      });

      expect(await client.send(new DeleteTokenCommand(session))).toMatchObject({ IsSuccess: true });
      await expectNotFound(client.send(new GetTokenCommand(session)), 'token');
      await expectNotFound(client.send(new DeleteTokenCommand(session)), 'token');
    });

    it('a token expires after its ttl on the emulator clock', async () => {
      const { SessionId, Ttl } = await client.send(new CreateTokenCommand({ AppId: APP }));
      const session = new GetTokenCommand({ AppId: APP, SessionId });

      await emulator.advance(Number(Ttl) * 1000 - 1);
      expect((await client.send(session)).SessionId).toBe(SessionId);

      await emulator.advance(1);
      await expectNotFound(client.send(session), 'token');
    });

    it('CreateToken works with no request body and no content-type', async () => {
      let sent: { body?: unknown; headers: Record<string, string> } | undefined;
      client.middlewareStack.add(
        (next) => async (args) => {
          sent = args.request as typeof sent;
          return next(args);
        },
        { step: 'finalizeRequest', name: 'recordRequest' },
      );

      const token = await client.send(new CreateTokenCommand({ AppId: APP }));
      expect(token.$metadata.httpStatusCode).toBe(200);
      expect(token.SessionId).toEqual(expect.any(String));
      expect(sent?.body).toBeUndefined();
      const headers = Object.keys(sent?.headers ?? {}).map((name) => name.toLowerCase());
      expect(headers).not.toContain('content-type');
    });
  });

  describe('backend config', () => {
    beforeEach(() => createEnvironment());

    const loginAuthConfig = {
      AwsCognitoIdentityPoolId: 'us-east-1:0000-1111',
      AwsCognitoRegion: 'us-east-1',
      AwsUserPoolsId: 'us-east-1_AbC123',
      AwsUserPoolsWebClientId: 'webclient',
    };

    it('CreateBackendConfig, then UpdateBackendConfig round-trips LoginAuthConfig', async () => {
      const created = await client.send(new CreateBackendConfigCommand({ AppId: APP }));
      expect(created).toMatchObject(startedStorageJob());
      // The config exists once the job completes.
      await expectNotFound(client.send(new UpdateBackendConfigCommand({ AppId: APP })), 'config');
      await finishJobs();

      const updated = await client.send(
        new UpdateBackendConfigCommand({ AppId: APP, LoginAuthConfig: loginAuthConfig }),
      );
      expect(updated).toMatchObject({
        AppId: APP,
        BackendManagerAppId: APP,
        LoginAuthConfig: loginAuthConfig,
      });
      // The SDK reads those back only if the emulator answered with the snake_case wire names.
      expect(emulator.store.snapshot().apps[APP].config?.loginAuthConfig).toEqual({
        aws_cognito_identity_pool_id: 'us-east-1:0000-1111',
        aws_cognito_region: 'us-east-1',
        aws_user_pools_id: 'us-east-1_AbC123',
        aws_user_pools_web_client_id: 'webclient',
      });

      const partial = await client.send(
        new UpdateBackendConfigCommand({
          AppId: APP,
          LoginAuthConfig: { AwsCognitoRegion: 'eu-west-1' },
        }),
      );
      expect(partial.LoginAuthConfig).toEqual({
        ...loginAuthConfig,
        AwsCognitoRegion: 'eu-west-1',
      });
    });

    it('RemoveBackendConfig removes the config', async () => {
      await client.send(new CreateBackendConfigCommand({ AppId: APP }));
      await finishJobs();

      const removed = await client.send(new RemoveBackendConfigCommand({ AppId: APP }));
      expect(removed.$metadata.httpStatusCode).toBe(200);
      expect(removed.Error).toBeUndefined();
      const update = { AppId: APP, LoginAuthConfig: loginAuthConfig };
      await expectNotFound(client.send(new UpdateBackendConfigCommand(update)), 'config');
      await expectNotFound(client.send(new RemoveBackendConfigCommand({ AppId: APP })), 'config');
    });

    it('CreateBackendConfig keeps the BackendManagerAppId it is given', async () => {
      await client.send(
        new CreateBackendConfigCommand({ AppId: APP, BackendManagerAppId: 'manager01' }),
      );
      await finishJobs();
      const updated = await client.send(new UpdateBackendConfigCommand({ AppId: APP }));
      expect(updated).toMatchObject({ AppId: APP, BackendManagerAppId: 'manager01' });
      expect(updated.LoginAuthConfig).toBeUndefined();
    });
  });
});

describe('on the demo seed', () => {
  const TODO_APP = 'd1todoapp00001';
  const todoDev = { AppId: TODO_APP, BackendEnvironmentName: 'dev' };

  useEmulatorClient(
    (started, sdk) => {
      [emulator, client] = [started, sdk];
    },
    { seed: 'demo' },
  );

  it('serves the demo apps with their resources, generated models, jobs and buckets', async () => {
    expect(await client.send(new GetBackendCommand({ AppId: TODO_APP }))).toMatchObject({
      AppName: 'todo-app',
      BackendEnvironmentList: ['dev', 'prod'],
    });
    const meta = await amplifyMeta('dev', TODO_APP);
    expect(Object.keys(meta.api)).toEqual(['todoappapi']);
    expect(Object.keys(meta.auth)).toEqual(['todoappauth']);
    expect(Object.keys(meta.storage)).toEqual(['todoappstorage']);

    const models = await client.send(
      new GetBackendAPIModelsCommand({ ...todoDev, ResourceName: 'todoappapi' }),
    );
    expect(models.Status).toBe('LATEST');
    expect(Object.keys(JSON.parse(models.Models!).models)).toEqual(['Todo']);

    const auth = await client.send(
      new GetBackendAuthCommand({ ...todoDev, ResourceName: 'todoappauth' }),
    );
    const userPool = auth.ResourceConfig?.UserPoolConfigs;
    expect(userPool?.Mfa?.MFAMode).toBe('OPTIONAL');
    expect(userPool?.OAuth?.SocialProviderSettings?.Google).toEqual({
      ClientId: 'demo-google-client.apps.googleusercontent.com',
      ClientSecret: 'demo-google-secret',
    });

    const { Jobs } = await client.send(new ListBackendJobsCommand(todoDev));
    expect(Jobs?.map((job) => job.Status)).toEqual(Array(5).fill('COMPLETED'));

    const buckets = await client.send(new ListS3BucketsCommand({}));
    expect(buckets.Buckets).toHaveLength(7);
    expect(buckets.NextToken).toBeUndefined();
  });
});
