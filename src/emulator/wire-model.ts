// The AmplifyBackend 2020-08-11 wire model as the emulator needs it: every operation's method,
// URI and input members by their wire (JSON) names, with the required and enum constraints
// the real service enforces. Written from the service model; nothing is loaded at run time.

export type Shape =
  /** `pathSegment`: the string names something other operations address in a path label. */
  | { kind: 'string'; pathSegment?: boolean }
  | { kind: 'boolean' }
  | { kind: 'double' }
  | { kind: 'integer'; min?: number; max?: number }
  | { kind: 'enum'; name: string; values: readonly string[] }
  | { kind: 'list'; member: Shape }
  | StructureShape;

export interface StructureShape {
  kind: 'structure';
  name: string;
  members: Record<string, Member>;
}

export interface Member {
  shape: Shape;
  required?: boolean;
}

const string: Shape = { kind: 'string' };
// What a request creates under this name must be addressable later, so the name must be able to
// be a path segment: not empty, not `.` or `..`, well-formed Unicode.
const name: Shape = { kind: 'string', pathSegment: true };
const boolean: Shape = { kind: 'boolean' };
const double: Shape = { kind: 'double' };
const list = (member: Shape): Shape => ({ kind: 'list', member });
const enumOf = (name: string, values: readonly string[]): Shape => ({ kind: 'enum', name, values });
const req = (shape: Shape): Member => ({ shape, required: true });
const opt = (shape: Shape): Member => ({ shape });
const struct = (name: string, members: Record<string, Member>): StructureShape => ({
  kind: 'structure',
  name,
  members,
});

export const enums = {
  AdditionalConstraintsElement: ['REQUIRE_DIGIT', 'REQUIRE_LOWERCASE', 'REQUIRE_SYMBOL', 'REQUIRE_UPPERCASE'],
  AuthResources: ['USER_POOL_ONLY', 'IDENTITY_POOL_AND_USER_POOL'],
  AuthenticatedElement: ['READ', 'CREATE_AND_UPDATE', 'DELETE'],
  DeliveryMethod: ['EMAIL', 'SMS'],
  MFAMode: ['ON', 'OFF', 'OPTIONAL'],
  MfaTypesElement: ['SMS', 'TOTP'],
  Mode: ['API_KEY', 'AWS_IAM', 'AMAZON_COGNITO_USER_POOLS', 'OPENID_CONNECT'],
  OAuthGrantType: ['CODE', 'IMPLICIT'],
  OAuthScopesElement: ['PHONE', 'EMAIL', 'OPENID', 'PROFILE', 'AWS_COGNITO_SIGNIN_USER_ADMIN'],
  RequiredSignUpAttributesElement: [
    'ADDRESS', 'BIRTHDATE', 'EMAIL', 'FAMILY_NAME', 'GENDER', 'GIVEN_NAME', 'LOCALE', 'MIDDLE_NAME',
    'NAME', 'NICKNAME', 'PHONE_NUMBER', 'PICTURE', 'PREFERRED_USERNAME', 'PROFILE', 'UPDATED_AT',
    'WEBSITE', 'ZONE_INFO',
  ],
  ResolutionStrategy: ['OPTIMISTIC_CONCURRENCY', 'LAMBDA', 'AUTOMERGE', 'NONE'],
  Service: ['COGNITO'],
  ServiceName: ['S3'],
  SignInMethod: ['EMAIL', 'EMAIL_AND_PHONE_NUMBER', 'PHONE_NUMBER', 'USERNAME'],
  Status: ['LATEST', 'STALE'],
  UnAuthenticatedElement: ['READ', 'CREATE_AND_UPDATE', 'DELETE'],
} as const;

const e = (name: keyof typeof enums) => enumOf(name, enums[name]);

const appSyncAuthSettings = struct('BackendAPIAppSyncAuthSettings', {
  cognitoUserPoolId: opt(string),
  description: opt(string),
  expirationTime: opt(double),
  openIDAuthTTL: opt(string),
  openIDClientId: opt(string),
  openIDIatTTL: opt(string),
  openIDIssueURL: opt(string),
  openIDProviderName: opt(string),
});
const apiAuthType = struct('BackendAPIAuthType', {
  mode: opt(e('Mode')),
  settings: opt(appSyncAuthSettings),
});
const apiResourceConfig = struct('BackendAPIResourceConfig', {
  additionalAuthTypes: opt(list(apiAuthType)),
  apiName: opt(string),
  conflictResolution: opt(
    struct('BackendAPIConflictResolution', { resolutionStrategy: opt(e('ResolutionStrategy')) }),
  ),
  defaultAuthType: opt(apiAuthType),
  service: opt(string),
  transformSchema: opt(string),
});

const socialProvider = struct('BackendAuthSocialProviderConfig', {
  client_id: opt(string),
  client_secret: opt(string),
});
const socialProviderSettings = struct('SocialProviderSettings', {
  Facebook: opt(socialProvider),
  Google: opt(socialProvider),
  LoginWithAmazon: opt(socialProvider),
  SignInWithApple: opt(
    struct('BackendAuthAppleProviderConfig', {
      client_id: opt(string),
      key_id: opt(string),
      private_key: opt(string),
      team_id: opt(string),
    }),
  ),
});
const emailSettings = struct('EmailSettings', { emailMessage: opt(string), emailSubject: opt(string) });
const smsSettings = struct('SmsSettings', { smsMessage: opt(string) });
const mfaSettings = struct('Settings', { mfaTypes: opt(list(e('MfaTypesElement'))), smsMessage: opt(string) });

// Create* and Update* auth configs differ only in which members are required.
function authShapes(prefix: 'Create' | 'Update') {
  const isCreate = prefix === 'Create';
  const c = (shape: Shape): Member => (isCreate ? req(shape) : opt(shape));
  const message = (name: string, deliveryRequired: boolean) =>
    struct(`${prefix}BackendAuth${name}`, {
      deliveryMethod: deliveryRequired ? req(e('DeliveryMethod')) : opt(e('DeliveryMethod')),
      emailSettings: opt(emailSettings),
      smsSettings: opt(smsSettings),
    });
  const userPool = struct(`${prefix}BackendAuthUserPoolConfig`, {
    forgotPassword: opt(message('ForgotPasswordConfig', isCreate)),
    mfa: opt(struct(`${prefix}BackendAuthMFAConfig`, { MFAMode: c(e('MFAMode')), settings: opt(mfaSettings) })),
    oAuth: opt(
      struct(`${prefix}BackendAuthOAuthConfig`, {
        domainPrefix: opt(string),
        oAuthGrantType: c(e('OAuthGrantType')),
        oAuthScopes: c(list(e('OAuthScopesElement'))),
        redirectSignInURIs: c(list(string)),
        redirectSignOutURIs: c(list(string)),
        socialProviderSettings: opt(socialProviderSettings),
      }),
    ),
    passwordPolicy: opt(
      struct(`${prefix}BackendAuthPasswordPolicyConfig`, {
        additionalConstraints: opt(list(e('AdditionalConstraintsElement'))),
        minimumLength: c(double),
      }),
    ),
    // Only the create shape carries these three.
    ...(isCreate
      ? {
          requiredSignUpAttributes: req(list(e('RequiredSignUpAttributesElement'))),
          signInMethod: req(e('SignInMethod')),
          userPoolName: req(string),
        }
      : {}),
    verificationMessage: opt(message('VerificationMessageConfig', true)),
  });
  const identityPool = isCreate
    ? struct('CreateBackendAuthIdentityPoolConfig', {
        identityPoolName: req(string),
        unauthenticatedLogin: req(boolean),
      })
    : struct('UpdateBackendAuthIdentityPoolConfig', { unauthenticatedLogin: opt(boolean) });
  return struct(`${prefix}BackendAuthResourceConfig`, {
    authResources: req(e('AuthResources')),
    identityPoolConfigs: opt(identityPool),
    service: req(e('Service')),
    userPoolConfigs: req(userPool),
  });
}

const storagePermissions = struct('BackendStoragePermissions', {
  authenticated: req(list(e('AuthenticatedElement'))),
  unAuthenticated: opt(list(e('UnAuthenticatedElement'))),
});

export const shapes = {
  apiResourceConfig,
  createAuthResourceConfig: authShapes('Create'),
  updateAuthResourceConfig: authShapes('Update'),
  createStorageResourceConfig: struct('CreateBackendStorageResourceConfig', {
    bucketName: opt(string),
    permissions: req(storagePermissions),
    serviceName: req(e('ServiceName')),
  }),
  updateStorageResourceConfig: struct('UpdateBackendStorageResourceConfig', {
    permissions: req(storagePermissions),
    serviceName: req(e('ServiceName')),
  }),
  loginAuthConfig: struct('LoginAuthConfigReqObj', {
    aws_cognito_identity_pool_id: opt(string),
    aws_cognito_region: opt(string),
    aws_user_pools_id: opt(string),
    aws_user_pools_web_client_id: opt(string),
  }),
};

export type OperationName =
  | 'CloneBackend' | 'CreateBackend' | 'CreateBackendAPI' | 'CreateBackendAuth'
  | 'CreateBackendConfig' | 'CreateBackendStorage' | 'CreateToken' | 'DeleteBackend'
  | 'DeleteBackendAPI' | 'DeleteBackendAuth' | 'DeleteBackendStorage' | 'DeleteToken'
  | 'GenerateBackendAPIModels' | 'GetBackend' | 'GetBackendAPI' | 'GetBackendAPIModels'
  | 'GetBackendAuth' | 'GetBackendJob' | 'GetBackendStorage' | 'GetToken' | 'ImportBackendAuth'
  | 'ImportBackendStorage' | 'ListBackendJobs' | 'ListS3Buckets' | 'RemoveAllBackends'
  | 'RemoveBackendConfig' | 'UpdateBackendAPI' | 'UpdateBackendAuth' | 'UpdateBackendConfig'
  | 'UpdateBackendJob' | 'UpdateBackendStorage';

export interface Operation {
  name: OperationName;
  method: 'GET' | 'POST';
  /** URI template; `{label}` segments are path members, named by wire name. */
  uri: string;
  /** Body members by wire name (path labels are always required strings and not listed). */
  body: Record<string, Member>;
}

const op = (name: OperationName, method: 'GET' | 'POST', uri: string, body: Record<string, Member> = {}): Operation =>
  ({ name, method, uri, body });

const env = '/backend/{appId}';
// The body of every operation that names one resource and takes nothing else.
const byResourceName = { resourceName: req(string) };

export const operations: readonly Operation[] = [
  op('CloneBackend', 'POST', `${env}/environments/{backendEnvironmentName}/clone`, {
    targetEnvironmentName: req(name),
  }),
  op('CreateBackend', 'POST', '/backend', {
    appId: req(name),
    appName: req(string),
    backendEnvironmentName: req(name),
    resourceConfig: opt(struct('ResourceConfig', {})),
    resourceName: opt(string),
  }),
  op('CreateBackendAPI', 'POST', `${env}/api`, {
    backendEnvironmentName: req(string),
    resourceConfig: req(apiResourceConfig),
    resourceName: req(name),
  }),
  op('CreateBackendAuth', 'POST', `${env}/auth`, {
    backendEnvironmentName: req(string),
    resourceConfig: req(shapes.createAuthResourceConfig),
    resourceName: req(name),
  }),
  op('CreateBackendConfig', 'POST', `${env}/config`, { backendManagerAppId: opt(string) }),
  op('CreateBackendStorage', 'POST', `${env}/storage`, {
    backendEnvironmentName: req(string),
    resourceConfig: req(shapes.createStorageResourceConfig),
    resourceName: req(name),
  }),
  op('CreateToken', 'POST', `${env}/challenge`),
  op('DeleteBackend', 'POST', `${env}/environments/{backendEnvironmentName}/remove`),
  op('DeleteBackendAPI', 'POST', `${env}/api/{backendEnvironmentName}/remove`, {
    resourceConfig: opt(apiResourceConfig),
    resourceName: req(string),
  }),
  op('DeleteBackendAuth', 'POST', `${env}/auth/{backendEnvironmentName}/remove`, byResourceName),
  op('DeleteBackendStorage', 'POST', `${env}/storage/{backendEnvironmentName}/remove`, {
    resourceName: req(string),
    serviceName: req(e('ServiceName')),
  }),
  op('DeleteToken', 'POST', `${env}/challenge/{sessionId}/remove`),
  op('GenerateBackendAPIModels', 'POST', `${env}/api/{backendEnvironmentName}/generateModels`, byResourceName),
  op('GetBackend', 'POST', `${env}/details`, { backendEnvironmentName: opt(string) }),
  op('GetBackendAPI', 'POST', `${env}/api/{backendEnvironmentName}/details`, {
    resourceConfig: opt(apiResourceConfig),
    resourceName: req(string),
  }),
  op('GetBackendAPIModels', 'POST', `${env}/api/{backendEnvironmentName}/getModels`, byResourceName),
  op('GetBackendAuth', 'POST', `${env}/auth/{backendEnvironmentName}/details`, byResourceName),
  op('GetBackendJob', 'GET', `${env}/job/{backendEnvironmentName}/{jobId}`),
  op('GetBackendStorage', 'POST', `${env}/storage/{backendEnvironmentName}/details`, byResourceName),
  op('GetToken', 'GET', `${env}/challenge/{sessionId}`),
  op('ImportBackendAuth', 'POST', `${env}/auth/{backendEnvironmentName}/import`, {
    identityPoolId: opt(string),
    nativeClientId: req(string),
    userPoolId: req(string),
    webClientId: req(string),
  }),
  op('ImportBackendStorage', 'POST', `${env}/storage/{backendEnvironmentName}/import`, {
    bucketName: opt(string),
    serviceName: req(e('ServiceName')),
  }),
  op('ListBackendJobs', 'POST', `${env}/job/{backendEnvironmentName}`, {
    jobId: opt(string),
    maxResults: opt({ kind: 'integer', min: 1, max: 25 }),
    nextToken: opt(string),
    operation: opt(string),
    status: opt(string),
  }),
  op('ListS3Buckets', 'POST', '/s3Buckets', { nextToken: opt(string) }),
  op('RemoveAllBackends', 'POST', `${env}/remove`, { cleanAmplifyApp: opt(boolean) }),
  op('RemoveBackendConfig', 'POST', `${env}/config/remove`),
  op('UpdateBackendAPI', 'POST', `${env}/api/{backendEnvironmentName}`, {
    resourceConfig: opt(apiResourceConfig),
    resourceName: req(string),
  }),
  op('UpdateBackendAuth', 'POST', `${env}/auth/{backendEnvironmentName}`, {
    resourceConfig: req(shapes.updateAuthResourceConfig),
    resourceName: req(string),
  }),
  op('UpdateBackendConfig', 'POST', `${env}/config/update`, { loginAuthConfig: opt(shapes.loginAuthConfig) }),
  op('UpdateBackendJob', 'POST', `${env}/job/{backendEnvironmentName}/{jobId}`, {
    operation: opt(string),
    status: opt(string),
  }),
  op('UpdateBackendStorage', 'POST', `${env}/storage/{backendEnvironmentName}`, {
    resourceConfig: req(shapes.updateStorageResourceConfig),
    resourceName: req(string),
  }),
];
