import type * as sdk from '@aws-sdk/client-amplifybackend';

// The SDK speaks PascalCase (`AppId`, `MFAMode`); the rest of the gateway speaks camelCase.
// Every member maps by lower-casing its first letter, except MFAMode, which would read `mFAMode`.

type CamelKey<K> = K extends 'MFAMode' ? 'mfaMode' : K extends string ? Uncapitalize<K> : K;

export type Camel<T> = T extends readonly (infer U)[]
  ? Camel<U>[]
  : T extends object
    ? { [K in keyof T as CamelKey<K>]: Camel<T[K]> }
    : T;

/** Camel, where an optional member may also be `null`, as GraphQL hands over absent inputs. */
export type CamelInput<T> = T extends readonly (infer U)[]
  ? CamelInput<U>[]
  : T extends object
    ? { [K in keyof T as CamelKey<K>]: CamelInput<T[K]> | (undefined extends T[K] ? null : never) }
    : T;

const camelKey = (key: string) => (key === 'MFAMode' ? 'mfaMode' : key[0].toLowerCase() + key.slice(1));
const pascalKey = (key: string) => (key === 'mfaMode' ? 'MFAMode' : key[0].toUpperCase() + key.slice(1));

function convert(value: unknown, rename: (key: string) => string): unknown {
  if (Array.isArray(value)) return value.map((item) => convert(item, rename));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  // Object.keys, not entries: every upstream answer passes through here, and entries allocates
  // a pair per member.
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    // GraphQL hands over `null` for an omitted optional input; the SDK wants it absent.
    if (item === undefined || item === null || key === '$metadata') continue;
    out[rename(key)] = convert(item, rename);
  }
  return out;
}

export const fromSdk = <T>(value: T): Camel<T> => convert(value, camelKey) as Camel<T>;
export const toSdk = <T>(value: CamelInput<T>): T => convert(value, pascalKey) as T;

// --- models: what the gateway reads of an answer, by name -----------------------------------------
// The graph is typed by these, not by the SDK's shapes: a member the SDK adds stays out until it is
// mapped here, and what must not leave the gateway (a client secret, a private key) never enters.
// Lists the service may leave out read as empty.

export interface ApiAuthSettings {
  cognitoUserPoolId?: string;
  description?: string;
  /** In days. */
  expirationTime?: number;
  openIDAuthTTL?: string;
  openIDClientId?: string;
  openIDIatTTL?: string;
  openIDIssueURL?: string;
  openIDProviderName?: string;
}

export interface ApiAuthType {
  mode?: sdk.Mode;
  settings?: ApiAuthSettings;
}

export interface ApiConfig {
  apiName?: string;
  service?: string;
  transformSchema?: string;
  defaultAuthType?: ApiAuthType;
  additionalAuthTypes: ApiAuthType[];
  /** The service nests it in `conflictResolution.resolutionStrategy`, its only member. */
  conflictResolution?: sdk.ResolutionStrategy;
}

export interface ApiModels {
  status?: sdk.Status;
  /** JSON, as the service sends it. */
  models?: string;
  /** JSON, as the service sends it. */
  modelIntrospectionSchema?: string;
}

export interface StoragePermissions {
  authenticated: sdk.AuthenticatedElement[];
  unAuthenticated: sdk.AuthenticatedElement[];
}

export interface StorageConfig {
  bucketName?: string;
  imported: boolean;
  serviceName?: sdk.ServiceName;
  permissions?: StoragePermissions;
}

export interface LoginAuthConfig {
  awsCognitoIdentityPoolId?: string;
  awsCognitoRegion?: string;
  awsUserPoolsId?: string;
  awsUserPoolsWebClientId?: string;
}

/** The Admin UI configuration of an app. */
export interface BackendConfig {
  appId?: string;
  backendManagerAppId?: string;
  loginAuthConfig?: LoginAuthConfig;
  error?: string;
}

/** An Admin UI login challenge. */
export interface AdminToken {
  appId: string;
  sessionId: string;
  challengeCode: string;
  /** Seconds, as the service sends it. */
  ttl: string;
}

export interface S3Bucket {
  name: string;
  creationDate: string | null;
}

const toApiAuthType = ({ mode, settings }: Camel<sdk.BackendAPIAuthType>): ApiAuthType => ({
  mode,
  settings: settings && toApiAuthSettings(settings),
});

function toApiAuthSettings(settings: Camel<sdk.BackendAPIAppSyncAuthSettings>): ApiAuthSettings {
  const { cognitoUserPoolId, description, expirationTime, openIDProviderName } = settings;
  const { openIDAuthTTL, openIDClientId, openIDIatTTL, openIDIssueURL } = settings;
  return { cognitoUserPoolId, description, expirationTime, openIDAuthTTL, openIDClientId, openIDIatTTL, openIDIssueURL, openIDProviderName };
}

export function toApiConfig(config: Camel<sdk.BackendAPIResourceConfig>): ApiConfig {
  const { apiName, service, transformSchema, defaultAuthType, additionalAuthTypes = [], conflictResolution } = config;
  return {
    apiName,
    service,
    transformSchema,
    defaultAuthType: defaultAuthType && toApiAuthType(defaultAuthType),
    additionalAuthTypes: additionalAuthTypes.map(toApiAuthType),
    conflictResolution: conflictResolution?.resolutionStrategy,
  };
}

export const toApiModels = ({ status, models, modelIntrospectionSchema }: Camel<sdk.GetBackendAPIModelsResponse>): ApiModels => ({
  status,
  models,
  modelIntrospectionSchema,
});

export function toStorageConfig(config: Camel<sdk.GetBackendStorageResourceConfig>): StorageConfig {
  const { bucketName, imported = false, serviceName, permissions } = config;
  return {
    bucketName,
    imported,
    serviceName,
    permissions: permissions && {
      authenticated: permissions.authenticated ?? [],
      unAuthenticated: permissions.unAuthenticated ?? [],
    },
  };
}

export function toBackendConfig(config: Camel<sdk.UpdateBackendConfigResponse>): BackendConfig {
  const { appId, backendManagerAppId, loginAuthConfig: login, error } = config;
  const loginAuthConfig = login && {
    awsCognitoIdentityPoolId: login.awsCognitoIdentityPoolId,
    awsCognitoRegion: login.awsCognitoRegion,
    awsUserPoolsId: login.awsUserPoolsId,
    awsUserPoolsWebClientId: login.awsUserPoolsWebClientId,
  };
  return { appId, backendManagerAppId, loginAuthConfig, error };
}

/** A token as GetToken or CreateToken answers it; what the answer leaves out, from what was asked. */
export const toAdminToken = (token: Camel<sdk.GetTokenResponse>, asked: { appId: string; sessionId?: string }): AdminToken => ({
  appId: token.appId ?? asked.appId,
  sessionId: token.sessionId ?? asked.sessionId ?? '',
  challengeCode: token.challengeCode ?? '',
  ttl: token.ttl ?? '',
});

export const toS3Bucket = (bucket: Camel<sdk.S3BucketInfo>): S3Bucket => ({
  name: bucket.name ?? '',
  creationDate: bucket.creationDate ?? null,
});

// --- auth: what GetBackendAuth says, with every secret reduced to whether it is set --------------

export interface AuthConfig {
  authResources?: sdk.AuthResources;
  service?: sdk.Service;
  identityPoolConfigs?: { identityPoolName?: string; unauthenticatedLogin?: boolean };
  userPoolConfigs?: UserPoolConfig;
}

export interface UserPoolConfig {
  userPoolName?: string;
  signInMethod?: sdk.SignInMethod;
  requiredSignUpAttributes: sdk.RequiredSignUpAttributesElement[];
  forgotPassword?: MessageConfig;
  verificationMessage?: MessageConfig;
  mfa?: MfaConfig;
  oAuth?: OAuthConfig;
  passwordPolicy?: PasswordPolicy;
}

/** How a verification or password-reset code is sent. */
export interface MessageConfig {
  deliveryMethod?: sdk.DeliveryMethod;
  emailSettings?: { emailSubject?: string; emailMessage?: string };
  smsSettings?: { smsMessage?: string };
}

export interface MfaConfig {
  mfaMode?: sdk.MFAMode;
  settings?: { mfaTypes?: sdk.MfaTypesElement[]; smsMessage?: string };
}

export interface OAuthConfig {
  domainPrefix?: string;
  oAuthGrantType?: sdk.OAuthGrantType;
  oAuthScopes: sdk.OAuthScopesElement[];
  redirectSignInURIs: string[];
  redirectSignOutURIs: string[];
  socialProviderSettings?: SocialProviders;
}

export interface SocialProviders {
  facebook?: SocialProvider;
  google?: SocialProvider;
  loginWithAmazon?: SocialProvider;
  signInWithApple?: AppleProvider;
}

export interface SocialProvider {
  clientId?: string;
  clientSecretSet: boolean;
}

export interface AppleProvider {
  clientId?: string;
  keyId?: string;
  teamId?: string;
  privateKeySet: boolean;
}

export interface PasswordPolicy {
  minimumLength?: number;
  additionalConstraints: sdk.AdditionalConstraintsElement[];
}

type SdkUserPool = Camel<sdk.CreateBackendAuthUserPoolConfig>;

// GetBackendAuth answers in the shape CreateBackendAuth takes.
export function toAuthConfig(config: Camel<sdk.CreateBackendAuthResourceConfig>): AuthConfig {
  const { authResources, service, identityPoolConfigs: identityPool, userPoolConfigs: userPool } = config;
  return {
    authResources,
    service,
    identityPoolConfigs: identityPool && {
      identityPoolName: identityPool.identityPoolName,
      unauthenticatedLogin: identityPool.unauthenticatedLogin,
    },
    userPoolConfigs: userPool && toUserPoolConfig(userPool),
  };
}

function toUserPoolConfig(userPool: SdkUserPool): UserPoolConfig {
  const { userPoolName, signInMethod, requiredSignUpAttributes = [], forgotPassword, verificationMessage } = userPool;
  const { mfa, oAuth, passwordPolicy } = userPool;
  return {
    userPoolName,
    signInMethod,
    requiredSignUpAttributes,
    forgotPassword: forgotPassword && toMessageConfig(forgotPassword),
    verificationMessage: verificationMessage && toMessageConfig(verificationMessage),
    mfa: mfa && { mfaMode: mfa.mfaMode, settings: mfa.settings && { mfaTypes: mfa.settings.mfaTypes, smsMessage: mfa.settings.smsMessage } },
    oAuth: oAuth && toOAuthConfig(oAuth),
    passwordPolicy: passwordPolicy && {
      minimumLength: passwordPolicy.minimumLength,
      additionalConstraints: passwordPolicy.additionalConstraints ?? [],
    },
  };
}

const toMessageConfig = ({ deliveryMethod, emailSettings: email, smsSettings: sms }: NonNullable<SdkUserPool['forgotPassword']>): MessageConfig => ({
  deliveryMethod,
  emailSettings: email && { emailSubject: email.emailSubject, emailMessage: email.emailMessage },
  smsSettings: sms && { smsMessage: sms.smsMessage },
});

function toOAuthConfig(oAuth: NonNullable<SdkUserPool['oAuth']>): OAuthConfig {
  const { domainPrefix, oAuthGrantType, oAuthScopes = [], redirectSignInURIs = [], redirectSignOutURIs = [] } = oAuth;
  const social = oAuth.socialProviderSettings;
  return {
    domainPrefix,
    oAuthGrantType,
    oAuthScopes,
    redirectSignInURIs,
    redirectSignOutURIs,
    socialProviderSettings: social && {
      facebook: social.facebook && toSocialProvider(social.facebook),
      google: social.google && toSocialProvider(social.google),
      loginWithAmazon: social.loginWithAmazon && toSocialProvider(social.loginWithAmazon),
      signInWithApple: social.signInWithApple && toAppleProvider(social.signInWithApple),
    },
  };
}

const toSocialProvider = (provider: Camel<sdk.BackendAuthSocialProviderConfig>): SocialProvider => ({
  clientId: provider.clientId,
  clientSecretSet: Boolean(provider.clientSecret),
});

const toAppleProvider = (provider: Camel<sdk.BackendAuthAppleProviderConfig>): AppleProvider => ({
  clientId: provider.clientId,
  keyId: provider.keyId,
  teamId: provider.teamId,
  privateKeySet: Boolean(provider.privateKey),
});
