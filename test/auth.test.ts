import {
  getNamedType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  type GraphQLNamedType,
} from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { startStack, type GraphQLResponse, type Stack, nothingKept } from './helpers.js';
import { upstreamBadRequest, upstreamNotFound, type Refusal } from './helpers-errors.js';
import { resourceTestKit } from './helpers-resources.js';

const APP = 'd1todoapp00001';

// Write-only values: no response may ever contain them.
const secrets = {
  google: 'google-secret-Qz81vT',
  facebook: 'facebook-secret-Wm27xR',
  amazon: 'amazon-secret-Pk55nB',
  apple: 'apple-key-MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg',
  updatedGoogle: 'google-secret-rotated-Hy42cL',
  // The demo auth's Google secret, as seeded.
  demo: 'demo-google-secret',
};
const applePrivateKey = `-----BEGIN PRIVATE KEY-----\n${secrets.apple}\n-----END PRIVATE KEY-----`;

let stack: Stack;
/** Every raw response body of this file, to check for secrets at the end. */
const bodies: string[] = [];

beforeAll(async () => {
  // Counts upstream calls per request, and reads what jobs changed with no poller watching: nothing kept.
  stack = await startStack({ gateway: nothingKept });
});
afterAll(async () => {
  await stack.stop();
  // Whatever ran, nothing answered a secret.
  expect(leaksIn(bodies)).toEqual([]);
});

const leaksIn = (texts: string[]) =>
  texts.flatMap((body, i) =>
    Object.entries(secrets)
      .filter(([, secret]) => body.includes(secret))
      .map(([name]) => `response ${i}: ${name}`),
  );
beforeEach(() => stack.resetCalls());

/** Runs an operation in-process, keeping the raw response body. */
async function graphql(
  query: string,
  variables?: Record<string, unknown>,
): Promise<GraphQLResponse> {
  const res = await stack.gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  bodies.push(text);
  return JSON.parse(text) as GraphQLResponse;
}

const message =
  'deliveryMethod emailSettings { emailSubject emailMessage } smsSettings { smsMessage }';
const social = 'clientId clientSecretSet';
const authConfigFields = `config {
  authResources service
  identityPoolConfigs { identityPoolName unauthenticatedLogin }
  userPoolConfigs {
    userPoolName signInMethod requiredSignUpAttributes
    forgotPassword { ${message} }
    verificationMessage { ${message} }
    mfa { mfaMode settings { mfaTypes smsMessage } }
    oAuth {
      domainPrefix oAuthGrantType oAuthScopes redirectSignInURIs redirectSignOutURIs
      socialProviderSettings {
        google { ${social} }
        facebook { ${social} }
        loginWithAmazon { ${social} }
        signInWithApple { clientId keyId teamId privateKeySet }
      }
    }
    passwordPolicy { minimumLength additionalConstraints }
  }
}`;

async function readAuth(env: string) {
  const res = await graphql(
    `query($appId: ID!, $env: String!) {
      backendEnvironment(appId: $appId, name: $env) { auth { resourceName ${authConfigFields} } }
    }`,
    { appId: APP, env },
  );
  expect(res.errors).toBeUndefined();
  return res.data.backendEnvironment.auth;
}

const jobFields = 'job { jobId operation status state environmentName }';

// Through this file's `graphql`, so that every response body is kept for the secrets check; fresh
// environments have no auth.
const { environmentView, mutate, at, complete, freshEnvironment, environmentWith, startJob, afterJobs, itRefuses } = resourceTestKit({
  stack: () => stack,
  run: graphql,
  appId: APP,
  appName: 'todo-app',
  prefix: 'auth',
  selection: jobFields,
  resources: 'amplifyMetaConfigRaw auth { resourceName }',
});

const fullConfig = () => ({
  authResources: 'IDENTITY_POOL_AND_USER_POOL',
  service: 'COGNITO',
  identityPoolConfigs: { identityPoolName: 'notes_identitypool', unauthenticatedLogin: false },
  userPoolConfigs: {
    userPoolName: 'notes_userpool',
    signInMethod: 'EMAIL_AND_PHONE_NUMBER',
    requiredSignUpAttributes: ['EMAIL', 'PHONE_NUMBER', 'NAME'],
    forgotPassword: {
      deliveryMethod: 'SMS',
      smsSettings: { smsMessage: 'Your reset code is {####}' },
    },
    verificationMessage: {
      deliveryMethod: 'EMAIL',
      emailSettings: { emailSubject: 'Verify your email', emailMessage: 'Your code is {####}' },
    },
    mfa: {
      mfaMode: 'ON',
      settings: { mfaTypes: ['SMS', 'TOTP'], smsMessage: 'Your MFA code is {####}' },
    },
    oAuth: {
      domainPrefix: 'notes-auth',
      oAuthGrantType: 'CODE',
      oAuthScopes: ['EMAIL', 'OPENID', 'PROFILE', 'AWS_COGNITO_SIGNIN_USER_ADMIN'],
      redirectSignInURIs: ['https://notes.example/signin', 'http://localhost:3000/'],
      redirectSignOutURIs: ['https://notes.example/signout'],
      socialProviderSettings: {
        google: {
          clientId: 'google-client.apps.googleusercontent.com',
          clientSecret: secrets.google,
        },
        facebook: { clientId: '1234567890', clientSecret: secrets.facebook },
        loginWithAmazon: {
          clientId: 'amzn1.application-oa2-client.abc',
          clientSecret: secrets.amazon,
        },
        signInWithApple: {
          clientId: 'com.example.notes',
          keyId: 'KEY1234567',
          teamId: 'TEAM123456',
          privateKey: applePrivateKey,
        },
      },
    },
    passwordPolicy: {
      minimumLength: 12,
      additionalConstraints: ['REQUIRE_DIGIT', 'REQUIRE_SYMBOL'],
    },
  },
});

/** A fresh environment with auth `notesauth` made from `fullConfig`, its job completed. */
const environmentWithAuth = () => environmentWith('createBackendAuth', { resourceName: 'notesauth', config: fullConfig() });

describe('createBackendAuth', () => {
  it('returns its IN_PROGRESS job, listed in environment.jobs; then auth appears', async () => {
    const env = await freshEnvironment();
    const payload = await startJob(
      'createBackendAuth',
      at(env, { resourceName: 'notesauth', config: fullConfig() }),
      'CreateBackendAuth',
      `${jobFields} auth { resourceName } environment { name }`,
    );
    expect(payload.auth).toEqual({ resourceName: 'notesauth' });
    expect(payload.environment).toEqual({ name: env });
    expect((await environmentView(env)).auth).toBeNull();

    const view = await afterJobs(env);
    expect(view.auth).toEqual({ resourceName: 'notesauth' });
    expect(view.jobs.edges[0].node).toMatchObject({ jobId: payload.job.jobId, state: 'COMPLETED' });
  });

  it('after the job completes, config answers it all back, secrets only as set', async () => {
    const env = await environmentWithAuth();
    expect(await readAuth(env)).toMatchInlineSnapshot(`
      {
        "config": {
          "authResources": "IDENTITY_POOL_AND_USER_POOL",
          "identityPoolConfigs": {
            "identityPoolName": "notes_identitypool",
            "unauthenticatedLogin": false,
          },
          "service": "COGNITO",
          "userPoolConfigs": {
            "forgotPassword": {
              "deliveryMethod": "SMS",
              "emailSettings": null,
              "smsSettings": {
                "smsMessage": "Your reset code is {####}",
              },
            },
            "mfa": {
              "mfaMode": "ON",
              "settings": {
                "mfaTypes": [
                  "SMS",
                  "TOTP",
                ],
                "smsMessage": "Your MFA code is {####}",
              },
            },
            "oAuth": {
              "domainPrefix": "notes-auth",
              "oAuthGrantType": "CODE",
              "oAuthScopes": [
                "EMAIL",
                "OPENID",
                "PROFILE",
                "AWS_COGNITO_SIGNIN_USER_ADMIN",
              ],
              "redirectSignInURIs": [
                "https://notes.example/signin",
                "http://localhost:3000/",
              ],
              "redirectSignOutURIs": [
                "https://notes.example/signout",
              ],
              "socialProviderSettings": {
                "facebook": {
                  "clientId": "1234567890",
                  "clientSecretSet": true,
                },
                "google": {
                  "clientId": "google-client.apps.googleusercontent.com",
                  "clientSecretSet": true,
                },
                "loginWithAmazon": {
                  "clientId": "amzn1.application-oa2-client.abc",
                  "clientSecretSet": true,
                },
                "signInWithApple": {
                  "clientId": "com.example.notes",
                  "keyId": "KEY1234567",
                  "privateKeySet": true,
                  "teamId": "TEAM123456",
                },
              },
            },
            "passwordPolicy": {
              "additionalConstraints": [
                "REQUIRE_DIGIT",
                "REQUIRE_SYMBOL",
              ],
              "minimumLength": 12,
            },
            "requiredSignUpAttributes": [
              "EMAIL",
              "PHONE_NUMBER",
              "NAME",
            ],
            "signInMethod": "EMAIL_AND_PHONE_NUMBER",
            "userPoolName": "notes_userpool",
            "verificationMessage": {
              "deliveryMethod": "EMAIL",
              "emailSettings": {
                "emailMessage": "Your code is {####}",
                "emailSubject": "Verify your email",
              },
              "smsSettings": null,
            },
          },
        },
        "resourceName": "notesauth",
      }
    `);
    expect(stack.calls()).toEqual({ GetBackend: 1, GetBackendAuth: 1 });
  });

  it('after the job completes, amplifyMetaConfig.auth names its pools', async () => {
    const env = await environmentWithAuth();
    const meta = (await environmentView(env)).amplifyMetaConfig;
    expect(Object.keys(meta.auth)).toEqual(['notesauth']);
    expect(meta.auth.notesauth).toEqual({
      providerPlugin: 'awscloudformation',
      service: 'Cognito',
      serviceType: 'managed',
      output: {
        UserPoolId: expect.stringMatching(/^us-east-1_\w+$/),
        AppClientIDWeb: expect.any(String),
        AppClientID: expect.any(String),
        IdentityPoolId: expect.stringMatching(/^us-east-1:[0-9a-f-]{36}$/),
      },
    });
  });

  it('a user-pool-only auth needs only the required members', async () => {
    const env = await environmentWith('createBackendAuth', {
      resourceName: 'poolonly',
      config: {
        authResources: 'USER_POOL_ONLY',
        service: 'COGNITO',
        userPoolConfigs: { userPoolName: 'pool', signInMethod: 'USERNAME', requiredSignUpAttributes: [] },
      },
    });
    expect((await readAuth(env)).config).toEqual({
      authResources: 'USER_POOL_ONLY',
      service: 'COGNITO',
      identityPoolConfigs: null,
      userPoolConfigs: {
        userPoolName: 'pool',
        signInMethod: 'USERNAME',
        requiredSignUpAttributes: [],
        forgotPassword: null,
        verificationMessage: null,
        mfa: null,
        oAuth: null,
        passwordPolicy: null,
      },
    });
    const meta = (await environmentView(env)).amplifyMetaConfig;
    expect(meta.auth.poolonly.output).not.toHaveProperty('IdentityPoolId');
  });

  it('a second auth in an environment is refused: Amplify allows one', async () => {
    const res = await mutate('createBackendAuth', at('dev', { resourceName: 'otherauth', config: fullConfig() }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('CreateBackendAuth', { column: 45, path: 'createBackendAuth', message: 'Environment dev already has an auth resource: todoappauth' }),
    ]);
    expect(stack.calls()).toEqual({ CreateBackendAuth: 1 });
  });
});

describe('reading auth', () => {
  it('the demo auth says its Google secret is set, without saying it', async () => {
    const auth = await readAuth('dev');
    expect(auth.resourceName).toBe('todoappauth');
    expect(auth.config.userPoolConfigs.oAuth.socialProviderSettings).toEqual({
      google: { clientId: 'demo-google-client.apps.googleusercontent.com', clientSecretSet: true },
      facebook: null,
      loginWithAmazon: null,
      signInWithApple: null,
    });
    expect(auth.config.userPoolConfigs.mfa).toEqual({
      mfaMode: 'OPTIONAL',
      settings: { mfaTypes: ['TOTP'], smsMessage: null },
    });
  });

  it('auth is also a node, found by its id', async () => {
    const listed = await graphql(
      `{ backendEnvironment(appId: "${APP}", name: "prod") { auth { id } } }`,
    );
    const res = await graphql(
      `
        query ($id: ID!) {
          node(id: $id) {
            ... on BackendAuth {
              resourceName
              environmentName
              config {
                authResources
              }
            }
          }
        }
      `,
      { id: listed.data.backendEnvironment.auth.id },
    );
    expect(res).toEqual({
      data: {
        node: {
          resourceName: 'todoappauth',
          environmentName: 'prod',
          config: { authResources: 'IDENTITY_POOL_AND_USER_POOL' },
        },
      },
    });
  });
});

describe('updateBackendAuth', () => {
  it('returns its job; after it completes only what it names has changed', async () => {
    const env = await environmentWithAuth();
    const before = await readAuth(env);
    stack.resetCalls();
    const change = {
      authResources: 'IDENTITY_POOL_AND_USER_POOL',
      service: 'COGNITO',
      userPoolConfigs: {
        passwordPolicy: { minimumLength: 16 },
        mfa: { mfaMode: 'OPTIONAL' },
        oAuth: { redirectSignOutURIs: ['https://notes.example/bye'] },
      },
    };
    await startJob('updateBackendAuth', at(env, { resourceName: 'notesauth', config: change }), 'UpdateBackendAuth');
    expect(await readAuth(env)).toEqual(before);

    await stack.emulator.advance(3000);
    const pool = before.config.userPoolConfigs;
    expect(await readAuth(env)).toEqual({
      ...before,
      config: {
        ...before.config,
        userPoolConfigs: {
          ...pool,
          passwordPolicy: { ...pool.passwordPolicy, minimumLength: 16 },
          mfa: { ...pool.mfa, mfaMode: 'OPTIONAL' },
          oAuth: { ...pool.oAuth, redirectSignOutURIs: ['https://notes.example/bye'] },
        },
      },
    });
  });

  it('a new secret for one provider keeps the others', async () => {
    const env = await environmentWithAuth();
    const before = await readAuth(env);
    await complete('updateBackendAuth', at(env, {
      resourceName: 'notesauth',
      config: {
        authResources: 'IDENTITY_POOL_AND_USER_POOL',
        service: 'COGNITO',
        identityPoolConfigs: { unauthenticatedLogin: true },
        userPoolConfigs: {
          oAuth: { socialProviderSettings: { google: { clientId: 'rotated-client', clientSecret: secrets.updatedGoogle } } },
        },
      },
    }));
    const after = await readAuth(env);
    expect(after.config.identityPoolConfigs).toEqual({
      identityPoolName: 'notes_identitypool',
      unauthenticatedLogin: true,
    });
    expect(after.config.userPoolConfigs.oAuth.socialProviderSettings).toEqual({
      ...before.config.userPoolConfigs.oAuth.socialProviderSettings,
      google: { clientId: 'rotated-client', clientSecretSet: true },
    });
  });

  it('an auth the environment does not have is NOT_FOUND', async () => {
    const res = await mutate('updateBackendAuth', at('dev', {
      resourceName: 'nosuchauth',
      config: { authResources: 'USER_POOL_ONLY', service: 'COGNITO', userPoolConfigs: {} },
    }));
    expect(res.errors).toStrictEqual([
      upstreamNotFound('UpdateBackendAuth', 'auth', { column: 45, path: 'updateBackendAuth', message: 'auth resource nosuchauth not found in environment dev' }),
    ]);
  });
});

describe('importBackendAuth', () => {
  it('returns its job; after it completes the environment uses the user pool', async () => {
    const env = await freshEnvironment();
    const pool = {
      userPoolId: 'us-east-1_Ab12Cd34E',
      webClientId: 'webclient1234567890abcdefgh',
      nativeClientId: 'nativeclient1234567890abcde',
      identityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555',
    };
    await startJob('importBackendAuth', at(env, pool), 'ImportBackendAuth', `${jobFields} environment { name }`);

    await stack.emulator.advance(3000);
    const auth = await readAuth(env);
    expect(auth.resourceName).toBe('importedAb12Cd34E');
    expect(auth.config).toMatchObject({
      authResources: 'IDENTITY_POOL_AND_USER_POOL',
      service: 'COGNITO',
      identityPoolConfigs: { identityPoolName: 'us-east-1:11111111-2222-3333-4444-555555555555' },
      userPoolConfigs: { userPoolName: 'us-east-1_Ab12Cd34E' },
    });
    const meta = (await environmentView(env)).amplifyMetaConfig;
    expect(meta.auth.importedAb12Cd34E).toEqual({
      providerPlugin: 'awscloudformation',
      service: 'Cognito',
      serviceType: 'imported',
      output: {
        UserPoolId: 'us-east-1_Ab12Cd34E',
        AppClientIDWeb: 'webclient1234567890abcdefgh',
        AppClientID: 'nativeclient1234567890abcde',
        IdentityPoolId: 'us-east-1:11111111-2222-3333-4444-555555555555',
      },
    });
  });

  it('an environment that already has auth cannot import another', async () => {
    const res = await mutate('importBackendAuth', at('prod', { userPoolId: 'us-east-1_Zz99', webClientId: 'web', nativeClientId: 'native' }));
    expect(res.errors).toStrictEqual([
      upstreamBadRequest('ImportBackendAuth', { column: 45, path: 'importBackendAuth', message: 'Environment prod already has an auth resource: todoappauth' }),
    ]);
  });
});

describe('deleteBackendAuth', () => {
  it('returns its job; after it completes auth is gone, from amplify-meta too', async () => {
    const env = await environmentWithAuth();
    await startJob('deleteBackendAuth', at(env, { resourceName: 'notesauth' }), 'DeleteBackendAuth');
    expect((await environmentView(env)).auth).toEqual({ resourceName: 'notesauth' });

    const view = await afterJobs(env);
    expect(view.auth).toBeNull();
    expect(view.amplifyMetaConfig.auth).toEqual({});
  });

  it('after a delete, the environment takes a new auth', async () => {
    const env = await environmentWithAuth();
    await complete('deleteBackendAuth', at(env, { resourceName: 'notesauth' }));
    await complete('createBackendAuth', at(env, { resourceName: 'again', config: fullConfig() }));
    expect((await readAuth(env)).resourceName).toBe('again');
  });
});

describe('inputs are checked before any upstream call', () => {
  /** A createBackendAuth of `fullConfig` with one change, in dev. */
  const created = (change: (config: ReturnType<typeof fullConfig>) => void, resourceName = 'newauth') => {
    const config = fullConfig();
    change(config);
    return { mutation: 'createBackendAuth', input: at('dev', { resourceName, config }) };
  };
  /** How the gateway's own checks refuse a createBackendAuth input field. */
  const refusedField = (field: string, rule: string): Refusal => ({
    code: 'BAD_USER_INPUT',
    field,
    column: 45,
    path: 'createBackendAuth',
    message: `${field}: ${rule}`,
  });
  /** How GraphQL refuses the `$input` variable. */
  const invalidVariable = (message: string): Refusal => ({ code: 'BAD_USER_INPUT', column: 10, message });

  itRefuses([
    {
      name: 'a password minimum length of 3 in an update',
      mutation: 'updateBackendAuth',
      input: at('dev', {
        resourceName: 'todoappauth',
        config: { authResources: 'USER_POOL_ONLY', service: 'COGNITO', userPoolConfigs: { passwordPolicy: { minimumLength: 3 } } },
      }),
      error: {
        ...refusedField('input.config.userPoolConfigs.passwordPolicy.minimumLength', 'must be from 6 to 99'),
        path: 'updateBackendAuth',
      },
    },
    {
      name: 'an import without its web client id',
      mutation: 'importBackendAuth',
      input: at('dev', { userPoolId: 'us-east-1_Zz99', nativeClientId: 'native' }),
      error: invalidVariable('Variable "$input" got invalid value at "input"; Field "webClientId" of required type "String!" was not provided.'),
    },
    {
      name: 'an import with a user pool id with a slash',
      mutation: 'importBackendAuth',
      input: at('dev', { userPoolId: 'us-east-1/Zz99', webClientId: 'web', nativeClientId: 'native' }),
      error: { ...refusedField('input.userPoolId', 'must not contain "/"'), path: 'importBackendAuth' },
    },
    {
      name: 'a new resourceName with a dash',
      ...created(() => {}, 'my-auth'),
      error: refusedField('input.resourceName', 'must be 1 to 128 letters and digits (an Amplify resource name)'),
    },
    // Each change to a valid config.
    {
      name: 'a password minimum length of 3',
      ...created((c) => {
        c.userPoolConfigs.passwordPolicy.minimumLength = 3;
      }),
      error: refusedField('input.config.userPoolConfigs.passwordPolicy.minimumLength', 'must be from 6 to 99'),
    },
    {
      name: 'a redirect URI that is not a URL',
      ...created((c) => {
        c.userPoolConfigs.oAuth.redirectSignInURIs = ['https://notes.example/signin', 'not a url'];
      }),
      error: refusedField('input.config.userPoolConfigs.oAuth.redirectSignInURIs.1', 'must be absolute URLs'),
    },
    {
      name: 'no redirect URI at all',
      ...created((c) => {
        c.userPoolConfigs.oAuth.redirectSignOutURIs = [];
      }),
      error: refusedField('input.config.userPoolConfigs.oAuth.redirectSignOutURIs', 'must name at least one URL'),
    },
    {
      name: 'an empty client secret',
      ...created((c) => {
        c.userPoolConfigs.oAuth.socialProviderSettings.facebook.clientSecret = '';
      }),
      error: refusedField('input.config.userPoolConfigs.oAuth.socialProviderSettings.facebook.clientSecret', 'must not be empty'),
    },
    {
      name: 'a sign-in method that does not exist',
      ...created((c) => {
        c.userPoolConfigs.signInMethod = 'FACEBOOK';
      }),
      error: invalidVariable('Variable "$input" got invalid value at "input.config.userPoolConfigs.signInMethod"; Value "FACEBOOK" does not exist in "SignInMethod" enum.'),
    },
    {
      name: 'a user pool without its required name',
      ...created((c) => {
        delete (c.userPoolConfigs as Partial<typeof c.userPoolConfigs>).userPoolName;
      }),
      error: invalidVariable('Variable "$input" got invalid value at "input.config.userPoolConfigs"; Field "userPoolName" of required type "String!" was not provided.'),
    },
    {
      name: 'a social provider without its client id: the error does not echo the secret',
      ...created((c) => {
        delete (c.userPoolConfigs.oAuth.socialProviderSettings.google as { clientId?: string }).clientId;
      }),
      error: invalidVariable('Variable "$input" got invalid value at "input.config.userPoolConfigs.oAuth.socialProviderSettings.google"; Field "clientId" of required type "String!" was not provided.'),
    },
    {
      name: 'Sign in with Apple with an unknown member: the error does not echo the key',
      ...created((c) => {
        Object.assign(c.userPoolConfigs.oAuth.socialProviderSettings.signInWithApple, { keyPassword: 'x' });
      }),
      error: invalidVariable('Variable "$input" got invalid value at "input.config.userPoolConfigs.oAuth.socialProviderSettings.signInWithApple"; Field "keyPassword" is not defined by type "AppleProviderConfigInput".'),
    },
    {
      name: 'an MFA type that does not exist, written inline',
      query: `mutation {
      updateBackendAuth(input: {
        appId: "${APP}", environmentName: "dev", resourceName: "todoappauth"
        config: {
          authResources: USER_POOL_ONLY, service: COGNITO
          userPoolConfigs: { mfa: { settings: { mfaTypes: [EMAIL] } } }
        }
      }) { job { jobId } }
    }`,
      error: { code: 'GRAPHQL_VALIDATION_FAILED', column: 60, line: 6, message: 'Value "EMAIL" does not exist in "MfaType" enum.' },
    },
    {
      name: 'a password minimum length that is not a whole number',
      ...created((c) => {
        c.userPoolConfigs.passwordPolicy.minimumLength = 8.5;
      }),
      error: invalidVariable('Variable "$input" got invalid value at "input.config.userPoolConfigs.passwordPolicy.minimumLength"; Int cannot represent non-integer value: 8.5'),
    },
  ]);
});

describe('secrets are write-only', () => {
  it('the schema has no output field that could return a secret', () => {
    const offending: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
      for (const field of Object.values(type.getFields())) {
        if (/secret|privatekey/i.test(field.name) && !/Set$/.test(field.name))
          offending.push(`${type.name}.${field.name}`);
      }
    }
    expect(offending).toEqual([]);
    // What says a secret is there says no more than that.
    const providers = schema.getType('SocialProviderConfig');
    const apple = schema.getType('AppleProviderConfig');
    expect(isObjectType(providers) && Object.keys(providers.getFields())).toEqual([
      'clientId',
      'clientSecretSet',
    ]);
    expect(isObjectType(apple) && Object.keys(apple.getFields())).toEqual([
      'clientId',
      'keyId',
      'teamId',
      'privateKeySet',
    ]);
    expect(isObjectType(providers) && String(providers.getFields().clientSecretSet.type)).toBe(
      'Boolean!',
    );
    expect(isObjectType(apple) && String(apple.getFields().privateKeySet.type)).toBe('Boolean!');
  });

  it('no type reachable from BackendAuth has a field that passes raw data through', () => {
    const seen = new Set<string>();
    const raw: string[] = [];
    const walk = (type: GraphQLNamedType) => {
      if (seen.has(type.name) || !isObjectType(type)) return;
      seen.add(type.name);
      for (const field of Object.values(type.getFields())) {
        const named = getNamedType(field.type);
        if (named.name === 'JSON') raw.push(`${type.name}.${field.name}`);
        // The environment is a way out of the auth subtree, not part of it.
        if (named.name !== 'BackendEnvironment') walk(named);
      }
    };
    walk(schema.getType('BackendAuth')!);
    expect(raw).toEqual([]);
    expect([...seen]).toContain('SocialProviderSettings');
  });

  it('the secrets are only ever inputs', () => {
    const inputs = Object.values(schema.getTypeMap()).filter(isInputObjectType);
    const withSecrets = inputs
      .flatMap((t) => Object.keys(t.getFields()).map((f) => `${t.name}.${f}`))
      .filter((f) => /secret|privatekey/i.test(f));
    expect(withSecrets).toEqual([
      'SocialProviderConfigInput.clientSecret',
      'AppleProviderConfigInput.privateKey',
    ]);
  });

  it('leaksIn finds a secret in a response body', () => {
    // The check below and the one after the file could not fail if this did not find one.
    expect(leaksIn(['{"data":null}', `{"clientSecret":"${secrets.google}"}`])).toEqual(['response 1: google']);
  });

  it('no response body of this test, nor of any test before it, contains a secret', async () => {
    // Independent of order: it writes, reads and fails with secrets in the input itself, and checks
    // its own responses; every response of the file is checked again after the file (afterAll).
    const from = bodies.length;
    const env = await environmentWithAuth();
    await readAuth(env);
    await readAuth('dev');
    await environmentView(env);
    const broken = fullConfig() as any;
    delete broken.userPoolConfigs.oAuth.socialProviderSettings.signInWithApple.teamId;
    await mutate('createBackendAuth', at(env, { resourceName: 'x', config: broken }));
    const own = bodies.slice(from);
    expect(own.length).toBeGreaterThanOrEqual(5);
    expect(leaksIn(own)).toEqual([]);
    expect(leaksIn(bodies)).toEqual([]);
  });
});
