// The emulator against the operations the SDK itself ships: every operation the SDK knows is
// routed and served, and every required input member (by the SDK's own schemas: required counts,
// jsonNames, http labels) is enforced with a 400 BadRequestException that names it.
import * as sdk from '@aws-sdk/client-amplifybackend';
import { BadRequestException, type AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/server.js';
import { useEmulatorClient } from './helpers-emulator.js';

// --- The SDK's operation schemas ---------------------------------------------------------------
//
// An operation schema is [9, ns, name, { http: [method, uri, code] }, () => input, () => output];
// a structure is [3, ns, name, traits, memberNames, memberSchemas, requiredCount?], where the first
// requiredCount members are the required ones. A member schema is either a bare schema or
// [schema, traits]; traits are { jsonName } or a bit field whose bit 0 marks an http label.

interface MemberModel {
  /** The SDK's (PascalCase) member name. */
  name: string;
  /** The member's name on the wire: its jsonName, or for a path label the URI label name. */
  wireName: string;
  label: boolean;
  required: boolean;
  structure?: StructureModel;
  /** For a list of structures, the element structure. */
  listOf?: StructureModel;
}

interface StructureModel {
  name: string;
  members: MemberModel[];
}

interface OperationModel {
  name: string;
  method: string;
  /** URI template with the SDK's label names, e.g. `/backend/{AppId}/details`. */
  uri: string;
  input: StructureModel;
}

const exported = sdk as unknown as Record<string, unknown>;

const resolve = (ref: unknown): unknown => (typeof ref === 'function' ? ref() : ref);
const isSchema = (value: unknown, kind: number): value is unknown[] =>
  Array.isArray(value) && value[0] === kind;
// The SDK keeps no label name (its URIs say {AppId}); the service model's label is lowerCamelCase.
const labelName = (memberName: string) => memberName[0].toLowerCase() + memberName.slice(1);

/** A list schema is [1, ns, name, traits, member], its member bare or as [schema, traits]. */
function listElement(list: unknown[]): unknown {
  const member = list[4];
  return resolve(Array.isArray(member) ? member[0] : member);
}

function structureModel(schema: unknown): StructureModel {
  if (!isSchema(schema, 3)) throw new Error(`not a structure schema: ${String(schema)}`);
  const [, , name, , memberNames, memberSchemas, requiredCount = 0] = schema as [
    3,
    string,
    string,
    unknown,
    string[],
    unknown[],
    number?,
  ];
  return {
    name,
    members: memberNames.map((memberName, i): MemberModel => {
      const entry = memberSchemas[i];
      const [ref, traits] = Array.isArray(entry) ? entry : [entry, 0];
      const label = typeof traits === 'number' && (traits & 1) === 1;
      const jsonName = typeof traits === 'object' ? traits?.jsonName : undefined;
      const target = resolve(ref);
      const element = isSchema(target, 1) ? listElement(target) : undefined;
      return {
        name: memberName,
        wireName: label ? labelName(memberName) : (jsonName ?? memberName),
        label,
        required: i < requiredCount,
        structure: isSchema(target, 3) ? structureModel(target) : undefined,
        listOf: isSchema(element, 3) ? structureModel(element) : undefined,
      };
    }),
  };
}

const operations: OperationModel[] = Object.values(exported)
  .filter((value): value is unknown[] => isSchema(value, 9))
  .map(([, , name, traits, input]) => {
    const [method, uri] = (traits as { http: [string, string, number] }).http;
    return { name: name as string, method, uri, input: structureModel(resolve(input)) };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

interface RequiredMember {
  /** Members from the input structure down to the required one. */
  path: MemberModel[];
  /** Dotted wire names, e.g. `resourceConfig.userPoolConfigs.mfa.MFAMode`. */
  wirePath: string;
}

/** Every required member, at any depth of nested structures. */
function requiredMembers(structure: StructureModel, parents: MemberModel[] = []): RequiredMember[] {
  return structure.members.flatMap((member) => {
    const path = [...parents, member];
    const own = member.required ? [{ path, wirePath: path.map((m) => m.wireName).join('.') }] : [];
    return member.structure ? [...own, ...requiredMembers(member.structure, path)] : own;
  });
}

/** An SDK input in wire form (JSON names), without the path labels. */
function toWire(structure: StructureModel, value: Record<string, any>): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const member of structure.members) {
    const v = value[member.name];
    if (v === undefined || member.label) continue;
    wire[member.wireName] = member.structure
      ? toWire(member.structure, v)
      : member.listOf
        ? v.map((item: Record<string, any>) => toWire(member.listOf!, item))
        : v;
  }
  return wire;
}

// --- Valid inputs, one per operation, on the demo seed ------------------------------------------

const APP = 'd1todoapp00001';
const todoDev = { AppId: APP, BackendEnvironmentName: 'dev' };
const API = 'todoappapi';
const AUTH = 'todoappauth';
const STORAGE = 'todoappstorage';

interface FixtureContext {
  /** A new app with one environment that has no resources yet. */
  emptyEnvironment(): Promise<{ AppId: string; BackendEnvironmentName: string }>;
  /** A finished job of the todo app's dev environment. */
  jobId(): Promise<string>;
  /** A live admin session of the todo app. */
  sessionId(): Promise<string>;
  /** Gives the todo app a backend config. */
  backendConfig(): Promise<void>;
}

type Fixture = (ctx: FixtureContext) => Promise<object>;

const fullAuthConfig: sdk.CreateBackendAuthResourceConfig = {
  AuthResources: 'IDENTITY_POOL_AND_USER_POOL',
  Service: 'COGNITO',
  IdentityPoolConfigs: { IdentityPoolName: 'idpool', UnauthenticatedLogin: false },
  UserPoolConfigs: {
    RequiredSignUpAttributes: ['EMAIL'],
    SignInMethod: 'EMAIL',
    UserPoolName: 'pool',
    ForgotPassword: { DeliveryMethod: 'EMAIL', EmailSettings: { EmailSubject: 'Reset' } },
    Mfa: { MFAMode: 'OPTIONAL', Settings: { MfaTypes: ['TOTP'] } },
    OAuth: {
      OAuthGrantType: 'CODE',
      OAuthScopes: ['OPENID'],
      RedirectSignInURIs: ['https://example.com/in'],
      RedirectSignOutURIs: ['https://example.com/out'],
      SocialProviderSettings: { Google: { ClientId: 'id', ClientSecret: 'secret' } },
    },
    PasswordPolicy: { MinimumLength: 8, AdditionalConstraints: ['REQUIRE_DIGIT'] },
    VerificationMessage: { DeliveryMethod: 'SMS', SmsSettings: { SmsMessage: 'Code {####}' } },
  },
};

const fixtures: Record<string, Fixture> = {
  CloneBackend: async (): Promise<sdk.CloneBackendRequest> => ({ ...todoDev, TargetEnvironmentName: 'test' }),
  CreateBackend: async (): Promise<sdk.CreateBackendRequest> => ({
    AppId: 'newapp0001',
    AppName: 'new-app',
    BackendEnvironmentName: 'dev',
    ResourceConfig: {},
    ResourceName: 'amplify',
  }),
  CreateBackendAPI: async (): Promise<sdk.CreateBackendAPIRequest> => ({
    ...todoDev,
    ResourceName: 'notesapi',
    ResourceConfig: {
      ApiName: 'notesapi',
      Service: 'AppSync',
      TransformSchema: 'type Note @model { id: ID! }',
      DefaultAuthType: {
        Mode: 'AMAZON_COGNITO_USER_POOLS',
        Settings: { CognitoUserPoolId: 'us-east-1_pool' },
      },
      AdditionalAuthTypes: [{ Mode: 'API_KEY', Settings: { ExpirationTime: 7 } }],
      ConflictResolution: { ResolutionStrategy: 'AUTOMERGE' },
    },
  }),
  CreateBackendAuth: async (ctx): Promise<sdk.CreateBackendAuthRequest> => ({
    ...(await ctx.emptyEnvironment()),
    ResourceName: 'userauth',
    ResourceConfig: fullAuthConfig,
  }),
  CreateBackendConfig: async (): Promise<sdk.CreateBackendConfigRequest> => ({
    AppId: APP,
    BackendManagerAppId: 'manager01',
  }),
  CreateBackendStorage: async (): Promise<sdk.CreateBackendStorageRequest> => ({
    ...todoDev,
    ResourceName: 'uploads',
    ResourceConfig: {
      BucketName: 'todo-uploads',
      Permissions: { Authenticated: ['READ'], UnAuthenticated: ['READ'] },
      ServiceName: 'S3',
    },
  }),
  CreateToken: async (): Promise<sdk.CreateTokenRequest> => ({ AppId: APP }),
  DeleteBackend: async (): Promise<sdk.DeleteBackendRequest> => ({ AppId: APP, BackendEnvironmentName: 'prod' }),
  DeleteBackendAPI: async (): Promise<sdk.DeleteBackendAPIRequest> => ({ ...todoDev, ResourceName: API }),
  DeleteBackendAuth: async (): Promise<sdk.DeleteBackendAuthRequest> => ({ ...todoDev, ResourceName: AUTH }),
  DeleteBackendStorage: async (): Promise<sdk.DeleteBackendStorageRequest> => ({
    ...todoDev,
    ResourceName: STORAGE,
    ServiceName: 'S3',
  }),
  DeleteToken: async (ctx): Promise<sdk.DeleteTokenRequest> => ({ AppId: APP, SessionId: await ctx.sessionId() }),
  GenerateBackendAPIModels: async (): Promise<sdk.GenerateBackendAPIModelsRequest> => ({
    ...todoDev,
    ResourceName: API,
  }),
  GetBackend: async (): Promise<sdk.GetBackendRequest> => ({ ...todoDev }),
  GetBackendAPI: async (): Promise<sdk.GetBackendAPIRequest> => ({ ...todoDev, ResourceName: API }),
  GetBackendAPIModels: async (): Promise<sdk.GetBackendAPIModelsRequest> => ({ ...todoDev, ResourceName: API }),
  GetBackendAuth: async (): Promise<sdk.GetBackendAuthRequest> => ({ ...todoDev, ResourceName: AUTH }),
  GetBackendJob: async (ctx): Promise<sdk.GetBackendJobRequest> => ({ ...todoDev, JobId: await ctx.jobId() }),
  GetBackendStorage: async (): Promise<sdk.GetBackendStorageRequest> => ({ ...todoDev, ResourceName: STORAGE }),
  GetToken: async (ctx): Promise<sdk.GetTokenRequest> => ({ AppId: APP, SessionId: await ctx.sessionId() }),
  ImportBackendAuth: async (ctx): Promise<sdk.ImportBackendAuthRequest> => ({
    ...(await ctx.emptyEnvironment()),
    UserPoolId: 'us-east-1_AbC123',
    NativeClientId: 'nativeclient',
    WebClientId: 'webclient',
    IdentityPoolId: 'us-east-1:0000-1111',
  }),
  ImportBackendStorage: async (): Promise<sdk.ImportBackendStorageRequest> => ({
    ...todoDev,
    BucketName: 'acme-logs',
    ServiceName: 'S3',
  }),
  ListBackendJobs: async (): Promise<sdk.ListBackendJobsRequest> => ({
    ...todoDev,
    MaxResults: 10,
    Operation: 'CreateBackend',
    Status: 'COMPLETED',
  }),
  ListS3Buckets: async (): Promise<sdk.ListS3BucketsRequest> => ({}),
  RemoveAllBackends: async (): Promise<sdk.RemoveAllBackendsRequest> => ({ AppId: APP, CleanAmplifyApp: false }),
  RemoveBackendConfig: async (ctx): Promise<sdk.RemoveBackendConfigRequest> => {
    await ctx.backendConfig();
    return { AppId: APP };
  },
  UpdateBackendAPI: async (): Promise<sdk.UpdateBackendAPIRequest> => ({
    ...todoDev,
    ResourceName: API,
    ResourceConfig: { TransformSchema: 'type Todo @model { id: ID! title: String }' },
  }),
  UpdateBackendAuth: async (): Promise<sdk.UpdateBackendAuthRequest> => ({
    ...todoDev,
    ResourceName: AUTH,
    ResourceConfig: {
      AuthResources: 'IDENTITY_POOL_AND_USER_POOL',
      Service: 'COGNITO',
      IdentityPoolConfigs: { UnauthenticatedLogin: false },
      UserPoolConfigs: {
        Mfa: { MFAMode: 'ON', Settings: { MfaTypes: ['TOTP'] } },
        PasswordPolicy: { MinimumLength: 12 },
        VerificationMessage: { DeliveryMethod: 'SMS', SmsSettings: { SmsMessage: '{####}' } },
      },
    },
  }),
  UpdateBackendConfig: async (ctx): Promise<sdk.UpdateBackendConfigRequest> => {
    await ctx.backendConfig();
    return {
      AppId: APP,
      LoginAuthConfig: {
        AwsCognitoIdentityPoolId: 'us-east-1:0000-1111',
        AwsCognitoRegion: 'us-east-1',
        AwsUserPoolsId: 'us-east-1_AbC123',
        AwsUserPoolsWebClientId: 'webclient',
      },
    };
  },
  UpdateBackendJob: async (ctx): Promise<sdk.UpdateBackendJobRequest> => ({
    ...todoDev,
    JobId: await ctx.jobId(),
    Operation: 'CreateBackend',
    Status: 'COMPLETED',
  }),
  UpdateBackendStorage: async (): Promise<sdk.UpdateBackendStorageRequest> => ({
    ...todoDev,
    ResourceName: STORAGE,
    ResourceConfig: { Permissions: { Authenticated: ['READ'] }, ServiceName: 'S3' },
  }),
};

// --- The tests ---------------------------------------------------------------------------------

let emulator: Emulator;
let client: AmplifyBackendClient;

useEmulatorClient(
  (started, sdk) => {
    [emulator, client] = [started, sdk];
  },
  { seed: 'demo' },
);

beforeEach(() => emulator.reset());

type Output = { $metadata: { httpStatusCode?: number } };

/** Sends an operation by name through the SDK's own command class. */
function send(operation: string, input: object): Promise<Output> {
  const Command = exported[`${operation}Command`] as new (input: object) => any;
  return client.send(new Command(input));
}

const context: FixtureContext = {
  async emptyEnvironment() {
    const environment = { AppId: 'fresh00001', BackendEnvironmentName: 'dev' };
    await send('CreateBackend', { ...environment, AppName: 'fresh' });
    await emulator.advance(3000);
    return environment;
  },
  async jobId() {
    const { Jobs } = (await send('ListBackendJobs', todoDev)) as sdk.ListBackendJobsResponse;
    return Jobs![0].JobId!;
  },
  async sessionId() {
    return ((await send('CreateToken', { AppId: APP })) as sdk.CreateTokenResponse).SessionId!;
  },
  async backendConfig() {
    await send('CreateBackendConfig', { AppId: APP });
    await emulator.advance(3000);
  },
};

async function validInput(operation: string): Promise<Record<string, any>> {
  const fixture = fixtures[operation];
  expect(fixture, `no fixture for the SDK operation ${operation}`).toBeDefined();
  return structuredClone(await fixture(context)) as Record<string, any>;
}

/** The request as raw HTTP, with every label from the input and '' for a missing one. */
function sendRaw(operation: OperationModel, input: Record<string, any>) {
  const path = operation.uri.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(input[name] ?? ''),
  );
  const hasBody = operation.method !== 'GET';
  return fetch(emulator.url + path, {
    method: operation.method,
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    body: hasBody ? JSON.stringify(toWire(operation.input, input)) : undefined,
  });
}

/** Made-up values for every path label: enough to route a request, not to serve it. */
const sampleLabels = {
  AppId: 'someapp',
  BackendEnvironmentName: 'dev',
  JobId: 'job',
  SessionId: 'session',
};

/** Deletes the member at `path`; the fixture must set every structure on the way to it. */
function removeMember(operation: string, input: Record<string, any>, path: MemberModel[]) {
  let parent = input;
  for (const outer of path.slice(0, -1)) {
    parent = parent[outer.name];
    expect(parent, `the ${operation} fixture must set ${outer.name}`).toBeTypeOf('object');
  }
  const { name } = path[path.length - 1];
  expect(parent, `the ${operation} fixture must set ${name}`).toHaveProperty(name);
  delete parent[name];
}

describe('the operations the SDK ships', () => {
  it('are 31, each with a command class', () => {
    const names = operations.map((operation) => operation.name);
    expect(names).toHaveLength(31);
    const commands = Object.keys(exported)
      .filter((key) => /^[A-Z]\w*Command$/.test(key))
      .map((key) => key.slice(0, -'Command'.length))
      .sort((a, b) => a.localeCompare(b));
    expect(commands).toEqual(names);
  });

  it('each have a fixture here, and no fixture is for anything else', () => {
    const names = operations.map((operation) => operation.name);
    expect(Object.keys(fixtures).sort((a, b) => a.localeCompare(b))).toEqual(names);
  });

  for (const operation of operations) {
    it(`routes ${operation.method} ${operation.uri} to ${operation.name}`, async () => {
      const response = await sendRaw(operation, sampleLabels);
      expect(response.status).not.toBe(405);
      expect(response.headers.get('x-amzn-ErrorType')).not.toBe('UnknownOperationException');
      expect(emulator.stats()).toEqual({ [operation.name]: 1 });
    });
  }
});

for (const operation of operations) {
  describe(operation.name, () => {
    it('serves a valid request', async () => {
      const input = await validInput(operation.name);
      emulator.resetStats();
      const output = await send(operation.name, input);
      expect(output.$metadata.httpStatusCode).toBe(200);
      expect(emulator.stats()).toEqual({ [operation.name]: 1 });
    });

    for (const { path, wirePath } of requiredMembers(operation.input)) {
      const member = path[path.length - 1];
      const what = `${member.label ? 'label' : 'member'} ${wirePath}`;

      it(`answers 400 BadRequestException without the required ${what}`, async () => {
        const input = await validInput(operation.name);
        removeMember(operation.name, input, path);

        if (member.label) {
          // The SDK refuses to send a request that lacks a label, so this one goes as raw HTTP.
          const response = await sendRaw(operation, input);
          expect(response.status).toBe(400);
          expect(response.headers.get('x-amzn-ErrorType')).toBe('BadRequestException');
          expect((await response.json()).message).toContain(member.wireName);
          return;
        }
        const error = await send(operation.name, input).then(
          () => expect.unreachable(`${operation.name} was served without ${wirePath}`),
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(BadRequestException);
        expect(error).toMatchObject({ $metadata: { httpStatusCode: 400 } });
        expect((error as Error).message).toContain(wirePath);
      });
    }
  });
}
