import { describe, expect, it } from 'vitest';
import type { ApiAuthType } from '../src/aws/map.js';
import { exportGen2 } from '../src/gen2/backend.js';
import { apiModel, authModel, evaluate, exportOf, fileOf, secretRef, storageModel } from './helpers-gen2.js';

// Each field of a Gen 1 config, and what the Gen 2 files (evaluated) or the notes make of it.

const authProps = (...args: Parameters<typeof authModel>) => evaluate(fileOf(exportOf({ auth: authModel(...args) }), 'amplify/auth/resource.ts')).auth;
const backendOf = (exported: ReturnType<typeof exportOf>) => fileOf(exported, 'amplify/backend.ts');
const notesAbout = (exported: ReturnType<typeof exportOf>, pattern: RegExp) => exported.notes.filter((n) => pattern.test(n.message));
const oAuth = (overrides = {}) => ({ oAuthGrantType: 'CODE' as const, oAuthScopes: [], redirectSignInURIs: [], redirectSignOutURIs: [], ...overrides });

describe('auth', () => {
  it.each([
    ['EMAIL', { email: true }],
    ['PHONE_NUMBER', { phone: true }],
    ['EMAIL_AND_PHONE_NUMBER', { email: true, phone: true }],
    ['USERNAME', { email: true }],
  ] as const)('sign-in method %s -> loginWith %o', (signInMethod, loginWith) => {
    expect(authProps({ signInMethod }).loginWith).toEqual(loginWith);
  });

  it('a username sign-in, which Gen 2 lacks, is a warning', () => {
    const exported = exportOf({ auth: authModel({ signInMethod: 'USERNAME' }) });
    expect(notesAbout(exported, /username sign-in/)).toMatchObject([{ resource: 'auth/auth', severity: 'WARNING' }]);
  });

  it.each([
    ['ADDRESS', 'address'],
    ['BIRTHDATE', 'birthdate'],
    ['EMAIL', 'email'],
    ['FAMILY_NAME', 'familyName'],
    ['GENDER', 'gender'],
    ['GIVEN_NAME', 'givenName'],
    ['LOCALE', 'locale'],
    ['MIDDLE_NAME', 'middleName'],
    ['NAME', 'fullname'],
    ['NICKNAME', 'nickname'],
    ['PHONE_NUMBER', 'phoneNumber'],
    ['PICTURE', 'profilePicture'],
    ['PREFERRED_USERNAME', 'preferredUsername'],
    ['PROFILE', 'profilePage'],
    ['UPDATED_AT', 'lastUpdateTime'],
    ['WEBSITE', 'website'],
    ['ZONE_INFO', 'timezone'],
  ] as const)('required attribute %s -> userAttributes.%s required', (attribute, key) => {
    expect(authProps({ requiredSignUpAttributes: [attribute] }).userAttributes).toEqual({ [key]: { required: true } });
  });

  it('no required attribute -> no userAttributes', () => {
    expect(authProps({ requiredSignUpAttributes: [] }).userAttributes).toBeUndefined();
  });

  it.each([
    ['OFF', ['SMS'], undefined],
    ['OFF', [], undefined],
    ['ON', ['SMS'], { mode: 'REQUIRED', sms: true }],
    ['ON', ['TOTP'], { mode: 'REQUIRED', totp: true }],
    ['ON', ['SMS', 'TOTP'], { mode: 'REQUIRED', sms: true, totp: true }],
    ['ON', [], { mode: 'REQUIRED', sms: true }],
    ['OPTIONAL', ['SMS'], { mode: 'OPTIONAL', sms: true }],
    ['OPTIONAL', ['TOTP'], { mode: 'OPTIONAL', totp: true }],
    ['OPTIONAL', ['SMS', 'TOTP'], { mode: 'OPTIONAL', sms: true, totp: true }],
    ['OPTIONAL', [], { mode: 'OPTIONAL', sms: true }],
  ] as const)('MFA %s with %o -> multifactor %o', (mfaMode, mfaTypes, multifactor) => {
    const exported = exportOf({ auth: authModel({ mfa: { mfaMode, settings: { mfaTypes: [...mfaTypes] } } }) });
    expect(evaluate(fileOf(exported, 'amplify/auth/resource.ts')).auth.multifactor).toEqual(multifactor);
    expect(notesAbout(exported, /no MFA type/)).toHaveLength(mfaMode !== 'OFF' && mfaTypes.length === 0 ? 1 : 0);
  });

  it('the SMS MFA message becomes the sms callback, the code where Gen 1 has {####}', () => {
    const props = authProps({ mfa: { mfaMode: 'ON', settings: { mfaTypes: ['SMS'], smsMessage: 'Code: {####}.' } } });
    expect(props.multifactor.sms.smsMessage(() => 'CODE')).toBe('Code: CODE.');
  });

  it.each([
    ['CODE', false],
    ['IMPLICIT', true],
  ] as const)('OAuth grant %s: implicit flow override %s', (oAuthGrantType, implicit) => {
    const exported = exportOf({ auth: authModel({ oAuth: oAuth({ oAuthGrantType }) }) });
    expect(backendOf(exported).includes("cfnUserPoolClient.allowedOAuthFlows = ['implicit'];")).toBe(implicit);
    expect(notesAbout(exported, /implicit OAuth grant/)).toHaveLength(implicit ? 1 : 0);
  });

  it.each([
    ['PHONE', 'PHONE'],
    ['EMAIL', 'EMAIL'],
    ['OPENID', 'OPENID'],
    ['PROFILE', 'PROFILE'],
    ['AWS_COGNITO_SIGNIN_USER_ADMIN', 'COGNITO_ADMIN'],
  ] as const)('OAuth scope %s -> %s', (scope, gen2) => {
    expect(authProps({ oAuth: oAuth({ oAuthScopes: [scope] }) }).loginWith.externalProviders.scopes).toEqual([gen2]);
  });

  it('redirect URIs -> callbackUrls and logoutUrls, in order', () => {
    const props = authProps({ oAuth: oAuth({ redirectSignInURIs: ['https://a/in', 'myapp://in'], redirectSignOutURIs: ['https://a/out'] }) });
    expect(props.loginWith.externalProviders).toMatchObject({ callbackUrls: ['https://a/in', 'myapp://in'], logoutUrls: ['https://a/out'] });
  });

  it.each([
    ['google', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET'],
    ['facebook', 'FACEBOOK_CLIENT_ID', 'FACEBOOK_CLIENT_SECRET'],
    ['loginWithAmazon', 'LOGINWITHAMAZON_CLIENT_ID', 'LOGINWITHAMAZON_CLIENT_SECRET'],
  ] as const)('social provider %s -> secret(%s), secret(%s); the client id in a note', (provider, idName, secretName) => {
    const exported = exportOf({
      auth: authModel({ oAuth: oAuth({ socialProviderSettings: { [provider]: { clientId: 'the-client-id', clientSecretSet: true } } }) }),
    });
    const props = evaluate(fileOf(exported, 'amplify/auth/resource.ts')).auth;
    expect(props.loginWith.externalProviders[provider]).toEqual({ clientId: secretRef(idName), clientSecret: secretRef(secretName) });
    const [secretNote] = notesAbout(exported, new RegExp(`^${provider}: set the secrets`));
    expect(secretNote.severity).toBe('WARNING');
    expect(secretNote.message).toContain(`npx ampx sandbox secret set ${secretName}`);
    expect(secretNote.message).toContain('"the-client-id"');
  });

  it('Sign in with Apple -> four secrets; the ids in a note, the private key never', () => {
    const signInWithApple = { clientId: 'com.example', keyId: 'KEY1', teamId: 'TEAM1', privateKeySet: true };
    const exported = exportOf({ auth: authModel({ oAuth: oAuth({ socialProviderSettings: { signInWithApple } }) }) });
    expect(evaluate(fileOf(exported, 'amplify/auth/resource.ts')).auth.loginWith.externalProviders.signInWithApple).toEqual({
      clientId: secretRef('SIWA_CLIENT_ID'),
      keyId: secretRef('SIWA_KEY_ID'),
      teamId: secretRef('SIWA_TEAM_ID'),
      privateKey: secretRef('SIWA_PRIVATE_KEY'),
    });
    expect(notesAbout(exported, /^signInWithApple/)[0].message).toMatch(/SIWA_CLIENT_ID to "com.example", SIWA_KEY_ID to "KEY1", SIWA_TEAM_ID to "TEAM1"/);
  });

  it('no social provider: no secret import', () => {
    expect(fileOf(exportOf({ auth: authModel({ oAuth: oAuth() }) }), 'amplify/auth/resource.ts')).toMatch(/^import \{ defineAuth \} from/);
  });

  it.each([
    ['EMAIL', 'EMAIL_ONLY'],
    ['SMS', 'PHONE_ONLY_WITHOUT_MFA'],
  ] as const)('password reset by %s -> accountRecovery %s', (deliveryMethod, recovery) => {
    expect(authProps({ forgotPassword: { deliveryMethod } }).accountRecovery).toBe(recovery);
  });

  it('the verification email -> loginWith.email settings; an SMS one on phone sign-in -> loginWith.phone', () => {
    const email = authProps({ verificationMessage: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: 'Hi', emailMessage: 'Code {####}' } } });
    expect(email.loginWith.email).toMatchObject({ verificationEmailStyle: 'CODE', verificationEmailSubject: 'Hi' });
    expect(email.loginWith.email.verificationEmailBody(() => '1')).toBe('Code 1');
    const sms = authProps({ signInMethod: 'PHONE_NUMBER', verificationMessage: { deliveryMethod: 'SMS', smsSettings: { smsMessage: '{####} is it' } } });
    expect(sms.loginWith.phone.verificationMessage(() => '2')).toBe('2 is it');
  });
});

describe('auth notes', () => {
  it('a password policy -> a CDK override on the user pool, and an INFO note', () => {
    const exported = exportOf({ auth: authModel({ passwordPolicy: { minimumLength: 12, additionalConstraints: ['REQUIRE_SYMBOL', 'REQUIRE_UPPERCASE'] } }) });
    expect(backendOf(exported)).toContain(
      "backend.auth.resources.cfnResources.cfnUserPool.addPropertyOverride('Policies.PasswordPolicy', {\n" +
        '  MinimumLength: 12,\n  RequireNumbers: false,\n  RequireLowercase: false,\n  RequireSymbols: true,\n  RequireUppercase: true,\n});',
    );
    expect(notesAbout(exported, /password policy/)).toMatchObject([{ severity: 'INFO' }]);
  });

  it('an imported user pool -> referenceAuth with the ids amplify-meta names; a missing one an ERROR', () => {
    const exported = exportGen2({
      auth: { resourceName: 'pool', config: null, imported: { userPoolId: 'us-east-1_abc', userPoolClientId: 'client', identityPoolId: 'us-east-1:id' } },
      apis: [],
      storages: [],
    });
    const file = fileOf(exported, 'amplify/auth/resource.ts');
    expect(file).toMatch(/^import \{ referenceAuth \} from '@aws-amplify\/backend';/);
    expect(evaluate(file).auth).toEqual({
      userPoolId: 'us-east-1_abc',
      identityPoolId: 'us-east-1:id',
      userPoolClientId: 'client',
      authRoleArn: '<AUTH_ROLE_ARN>',
      unauthRoleArn: '<UNAUTH_ROLE_ARN>',
    });
    expect(exported.notes.map((n) => n.severity)).toEqual(['INFO', 'ERROR', 'ERROR']);
  });

  it('an OAuth domain prefix -> a WARNING naming it', () => {
    const exported = exportOf({ auth: authModel({ oAuth: oAuth({ domainPrefix: 'my-app-dev' }) }) });
    expect(notesAbout(exported, /domain prefix "my-app-dev"/)).toMatchObject([{ severity: 'WARNING' }]);
  });

  it.each([
    ['guests allowed', { identityPoolConfigs: { unauthenticatedLogin: true } }, false],
    ['guests refused', { identityPoolConfigs: { unauthenticatedLogin: false } }, true],
    ['a user pool only', { authResources: 'USER_POOL_ONLY' as const, identityPoolConfigs: undefined }, true],
  ])('%s: guest login switched off in backend.ts: %s', (_name, overrides, off) => {
    const exported = exportOf({ auth: authModel({}, overrides) });
    expect(backendOf(exported).includes('cfnIdentityPool.allowUnauthenticatedIdentities = false;')).toBe(off);
  });

  it('a custom password-reset message -> a WARNING (no defineAuth setting)', () => {
    const exported = exportOf({ auth: authModel({ forgotPassword: { deliveryMethod: 'EMAIL', emailSettings: { emailSubject: 'Reset' } } }) });
    expect(notesAbout(exported, /password-reset message/)).toMatchObject([{ severity: 'WARNING' }]);
  });
});

describe('data', () => {
  const dataProps = (overrides: Parameters<typeof apiModel>[0], hasAuth = true) =>
    evaluate(fileOf(exportOf({ auth: hasAuth ? authModel() : undefined, apis: { api: apiModel(overrides) } }), 'amplify/data/resource.ts')).data;

  it('the transform schema -> the GraphQL-string schema of defineData, exactly', () => {
    const transformSchema = 'type Post @model @auth(rules: [{ allow: owner }]) {\n  id: ID!\n  body: String # `quoted` ${x} \\n\n}\n';
    expect(dataProps({ transformSchema }).schema).toBe(transformSchema);
  });

  it.each([
    ['API_KEY', 'apiKey'],
    ['AWS_IAM', 'iam'],
    ['AMAZON_COGNITO_USER_POOLS', 'userPool'],
    ['OPENID_CONNECT', 'oidc'],
  ] as const)('default mode %s -> defaultAuthorizationMode %s', (mode, gen2) => {
    expect(dataProps({ defaultAuthType: { mode } }).authorizationModes.defaultAuthorizationMode).toBe(gen2);
  });

  it.each<[ApiAuthType, Record<string, unknown>]>([
    [{ mode: 'API_KEY', settings: { expirationTime: 30, description: 'public' } }, { apiKeyAuthorizationMode: { expiresInDays: 30, description: 'public' } }],
    [
      { mode: 'OPENID_CONNECT', settings: { openIDProviderName: 'okta', openIDIssueURL: 'https://okta', openIDClientId: 'c', openIDAuthTTL: '3600000', openIDIatTTL: '60000' } },
      { oidcAuthorizationMode: { oidcProviderName: 'okta', oidcIssuerUrl: 'https://okta', clientId: 'c', tokenExpiryFromAuthInSeconds: 3600, tokenExpireFromIssueInSeconds: 60 } },
    ],
    [{ mode: 'AWS_IAM' }, {}],
    [{ mode: 'AMAZON_COGNITO_USER_POOLS' }, {}],
  ])('additional mode %o -> %o, and an INFO note', (type, members) => {
    const exported = exportOf({ auth: authModel(), apis: { api: apiModel({ defaultAuthType: { mode: 'AWS_IAM' }, additionalAuthTypes: [type] }) } });
    const modes = evaluate(fileOf(exported, 'amplify/data/resource.ts')).data.authorizationModes;
    expect(modes).toEqual({ defaultAuthorizationMode: 'iam', ...members });
    expect(notesAbout(exported, new RegExp(`^Additional authorization mode ${type.mode}`))).toMatchObject([{ severity: 'INFO', resource: 'api/api' }]);
  });

  it('a user pool mode in an environment with no auth -> a WARNING', () => {
    const exported = exportOf({ apis: { api: apiModel() } });
    expect(notesAbout(exported, /no auth resource/)).toMatchObject([{ severity: 'WARNING' }]);
  });

  it.each([
    ['OPTIMISTIC_CONCURRENCY', 1],
    ['AUTOMERGE', 1],
    ['LAMBDA', 1],
    ['NONE', 0],
    [undefined, 0],
  ] as const)('conflict resolution %s -> %i WARNING', (conflictResolution, count) => {
    const exported = exportOf({ auth: authModel(), apis: { api: apiModel({ conflictResolution }) } });
    expect(notesAbout(exported, /conflict-resolution/)).toHaveLength(count);
  });

  it('no transform schema -> no file, an ERROR', () => {
    const exported = exportOf({ auth: authModel(), apis: { api: apiModel({ transformSchema: undefined }) } });
    expect(exported.files.map((f) => f.path)).not.toContain('amplify/data/resource.ts');
    expect(backendOf(exported)).not.toContain('data');
    expect(exported.notes).toContainEqual(expect.objectContaining({ resource: 'api/api', severity: 'ERROR' }));
  });

  it('several APIs -> a file each under amplify/data/<name>/; the first wired as data, the others a WARNING', () => {
    const exported = exportOf({ auth: authModel(), apis: { first: apiModel(), second: apiModel() } });
    expect(exported.files.map((f) => f.path)).toEqual(expect.arrayContaining(['amplify/data/first/resource.ts', 'amplify/data/second/resource.ts']));
    expect(backendOf(exported)).toContain('import { data } from "./data/first/resource";');
    expect(backendOf(exported)).not.toContain('second');
    expect(notesAbout(exported, /one data resource a backend/)).toMatchObject([{ resource: 'api/second', severity: 'WARNING' }]);
  });
});

describe('storage', () => {
  const storageProps = (permissions: { authenticated: any[]; unAuthenticated: any[] }) => {
    const { storage } = evaluate(fileOf(exportOf({ auth: authModel(), storages: { files: storageModel({ permissions }) } }), 'amplify/storage/resource.ts'));
    const to = (who: string) => (actions: string[]) => ({ who, actions });
    const allow = { authenticated: { to: to('authenticated') }, guest: { to: to('guest') }, entity: (e: string) => ({ to: to(`entity:${e}`) }) };
    return { name: storage.name, access: storage.access?.(allow) };
  };

  it.each([
    [['READ'], [], {
      'public/*': [{ who: 'authenticated', actions: ['read'] }],
      'protected/{entity_id}/*': [{ who: 'authenticated', actions: ['read'] }, { who: 'entity:identity', actions: ['read'] }],
      'private/{entity_id}/*': [{ who: 'entity:identity', actions: ['read'] }],
    }],
    [['READ', 'CREATE_AND_UPDATE', 'DELETE'], ['READ'], {
      'public/*': [{ who: 'guest', actions: ['read'] }, { who: 'authenticated', actions: ['read', 'write', 'delete'] }],
      'protected/{entity_id}/*': [
        { who: 'guest', actions: ['read'] },
        { who: 'authenticated', actions: ['read'] },
        { who: 'entity:identity', actions: ['read', 'write', 'delete'] },
      ],
      'private/{entity_id}/*': [{ who: 'entity:identity', actions: ['read', 'write', 'delete'] }],
    }],
    [['CREATE_AND_UPDATE'], ['CREATE_AND_UPDATE', 'DELETE'], {
      'public/*': [{ who: 'guest', actions: ['write', 'delete'] }, { who: 'authenticated', actions: ['write'] }],
      'protected/{entity_id}/*': [{ who: 'entity:identity', actions: ['write'] }],
      'private/{entity_id}/*': [{ who: 'entity:identity', actions: ['write'] }],
    }],
    [[], [], undefined],
  ] as const)('authenticated %o, guest %o -> access rules', (authenticated, unAuthenticated, access) => {
    expect(storageProps({ authenticated: [...authenticated], unAuthenticated: [...unAuthenticated] })).toEqual({ name: 'files', access });
  });

  it('the Gen 1 bucket is named in a WARNING: its objects are to be copied', () => {
    const exported = exportOf({ storages: { files: storageModel({ bucketName: 'my-gen1-bucket' }) } });
    expect(notesAbout(exported, /"my-gen1-bucket"/)).toMatchObject([{ resource: 'storage/files', severity: 'WARNING' }]);
  });

  it('an imported bucket -> backend.addOutput with its name and region, no defineStorage, a WARNING', () => {
    const exported = exportGen2({ auth: null, apis: [], storages: [{ resourceName: 'media', config: storageModel({ imported: true, bucketName: 'media-bucket' }), region: 'eu-west-1' }] });
    expect(exported.files.map((f) => f.path)).not.toContain('amplify/storage/resource.ts');
    expect(backendOf(exported)).toContain('backend.addOutput({\n  storage: {\n    aws_region: "eu-west-1",\n    bucket_name: "media-bucket",\n  },\n});');
    expect(notesAbout(exported, /imports the bucket "media-bucket"/)).toMatchObject([{ severity: 'WARNING' }]);
  });

  it.each([
    ['beside a managed storage', { files: storageModel(), media: storageModel({ imported: true, bucketName: 'media-bucket' }) }],
    ['after another imported bucket', { first: storageModel({ imported: true, bucketName: 'first' }), media: storageModel({ imported: true, bucketName: 'media-bucket' }) }],
  ])('an imported bucket %s: no second default bucket in the outputs, a WARNING', (_name, storages) => {
    const exported = exportGen2({ auth: null, apis: [], storages: Object.entries(storages).map(([resourceName, config]) => ({ resourceName, config, region: 'eu-west-1' })) });
    expect(backendOf(exported)).not.toContain('media-bucket');
    expect(notesAbout(exported, /already the default bucket/)).toMatchObject([{ resource: 'storage/media', severity: 'WARNING' }]);
  });

  it('guest access with guests refused by auth -> a WARNING', () => {
    const exported = exportOf({
      auth: authModel({}, { identityPoolConfigs: { unauthenticatedLogin: false } }),
      storages: { files: storageModel({ permissions: { authenticated: ['READ'], unAuthenticated: ['READ'] } }) },
    });
    expect(notesAbout(exported, /guests access/)).toMatchObject([{ severity: 'WARNING' }]);
  });

  it('several storages -> a file each, the first the default one, each wired', () => {
    const exported = exportOf({ storages: { photos: storageModel(), docs: storageModel() } });
    expect(evaluate(fileOf(exported, 'amplify/storage/photos/resource.ts')).storage).toMatchObject({ name: 'photos', isDefault: true });
    expect(evaluate(fileOf(exported, 'amplify/storage/docs/resource.ts')).storage.isDefault).toBeUndefined();
    expect(backendOf(exported)).toContain('import { storage as storage2 } from "./storage/docs/resource";');
  });

  it('no storage -> no storage file and none in backend.ts', () => {
    const exported = exportOf({ auth: authModel() });
    expect(exported.files.some((f) => f.path.startsWith('amplify/storage/'))).toBe(false);
    expect(backendOf(exported)).not.toContain('storage');
  });
});
