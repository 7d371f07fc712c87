import type { InputObjectRef } from '@pothos/core';
import {
  AdditionalConstraintsElement,
  AuthResources,
  DeliveryMethod,
  MFAMode,
  MfaTypesElement,
  OAuthGrantType,
  OAuthScopesElement,
  RequiredSignUpAttributesElement,
  Service,
  SignInMethod,
} from '../aws/enums.js';
import type {
  AppleProvider,
  AuthConfig,
  MessageConfig,
  MfaConfig,
  OAuthConfig,
  PasswordPolicy,
  SocialProvider,
  SocialProviders,
  UserPoolConfig,
} from '../aws/map.js';
import { config, createBackendAuth, deleteBackendAuth, importBackendAuth, updateBackendAuth } from '../resolvers/auth.js';
import { builder, type InputFieldBuilder, type Types } from './builder.js';
import { mutationWithInput } from './mutation.js';
import { BackendAuth } from './refs.js';
import { environmentKeyFields, resourceKeyFields } from './key-fields.js';
import { createResourceMutation, resourceNode, resourcePayload, updateResourceMutation } from './resource.js';
import { nonEmpty, passwordMinimumLength, pathValue, redirectUris } from './validation.js';

export const AuthResourcesEnum = builder.enumType('AuthResources', { values: Object.values(AuthResources) });
export const AuthService = builder.enumType('AuthService', { values: Object.values(Service) });
export const DeliveryMethodEnum = builder.enumType('DeliveryMethod', { values: Object.values(DeliveryMethod) });
export const MfaMode = builder.enumType('MfaMode', { values: Object.values(MFAMode) });
export const MfaType = builder.enumType('MfaType', { values: Object.values(MfaTypesElement) });
export const OAuthGrantTypeEnum = builder.enumType('OAuthGrantType', { values: Object.values(OAuthGrantType) });
export const OAuthScope = builder.enumType('OAuthScope', { values: Object.values(OAuthScopesElement) });
export const PasswordConstraint = builder.enumType('PasswordConstraint', { values: Object.values(AdditionalConstraintsElement) });
export const SignInMethodEnum = builder.enumType('SignInMethod', { values: Object.values(SignInMethod) });
export const SignUpAttribute = builder.enumType('SignUpAttribute', { values: Object.values(RequiredSignUpAttributesElement) });

// --- outputs: what GetBackendAuth says, with secrets reduced to whether they are set ------------

const EmailSettings = builder.objectRef<NonNullable<MessageConfig['emailSettings']>>('EmailSettings').implement({
  fields: (t) => ({
    emailSubject: t.exposeString('emailSubject', { nullable: true }),
    emailMessage: t.exposeString('emailMessage', { nullable: true }),
  }),
});

const SmsSettings = builder.objectRef<NonNullable<MessageConfig['smsSettings']>>('SmsSettings').implement({
  fields: (t) => ({ smsMessage: t.exposeString('smsMessage', { nullable: true }) }),
});

const BackendAuthMessageConfig = builder.objectRef<MessageConfig>('BackendAuthMessageConfig').implement({
  description: 'How a verification or password-reset code is sent.',
  fields: (t) => ({
    deliveryMethod: t.expose('deliveryMethod', { type: DeliveryMethodEnum, nullable: true }),
    emailSettings: t.expose('emailSettings', { type: EmailSettings, nullable: true }),
    smsSettings: t.expose('smsSettings', { type: SmsSettings, nullable: true }),
  }),
});

const BackendAuthMfaSettings = builder.objectRef<NonNullable<MfaConfig['settings']>>('BackendAuthMfaSettings').implement({
  fields: (t) => ({
    mfaTypes: t.expose('mfaTypes', { type: [MfaType], nullable: true }),
    smsMessage: t.exposeString('smsMessage', { nullable: true }),
  }),
});

const BackendAuthMfaConfig = builder.objectRef<MfaConfig>('BackendAuthMfaConfig').implement({
  fields: (t) => ({
    mfaMode: t.expose('mfaMode', { type: MfaMode, nullable: true }),
    settings: t.expose('settings', { type: BackendAuthMfaSettings, nullable: true }),
  }),
});

const SocialProviderConfig = builder.objectRef<SocialProvider>('SocialProviderConfig').implement({
  fields: (t) => ({
    clientId: t.exposeString('clientId', { nullable: true }),
    clientSecretSet: t.exposeBoolean('clientSecretSet', {
      description: 'Whether a client secret is set. The secret itself is write-only.',
    }),
  }),
});

const AppleProviderConfig = builder.objectRef<AppleProvider>('AppleProviderConfig').implement({
  fields: (t) => ({
    clientId: t.exposeString('clientId', { nullable: true }),
    keyId: t.exposeString('keyId', { nullable: true }),
    teamId: t.exposeString('teamId', { nullable: true }),
    privateKeySet: t.exposeBoolean('privateKeySet', {
      description: 'Whether a private key is set. The key itself is write-only.',
    }),
  }),
});

const SocialProviderSettings = builder.objectRef<SocialProviders>('SocialProviderSettings').implement({
  fields: (t) => ({
    facebook: t.expose('facebook', { type: SocialProviderConfig, nullable: true }),
    google: t.expose('google', { type: SocialProviderConfig, nullable: true }),
    loginWithAmazon: t.expose('loginWithAmazon', { type: SocialProviderConfig, nullable: true }),
    signInWithApple: t.expose('signInWithApple', { type: AppleProviderConfig, nullable: true }),
  }),
});

const BackendAuthOAuthConfig = builder.objectRef<OAuthConfig>('BackendAuthOAuthConfig').implement({
  fields: (t) => ({
    domainPrefix: t.exposeString('domainPrefix', { nullable: true }),
    oAuthGrantType: t.expose('oAuthGrantType', { type: OAuthGrantTypeEnum, nullable: true }),
    oAuthScopes: t.expose('oAuthScopes', { type: [OAuthScope] }),
    redirectSignInURIs: t.exposeStringList('redirectSignInURIs'),
    redirectSignOutURIs: t.exposeStringList('redirectSignOutURIs'),
    socialProviderSettings: t.expose('socialProviderSettings', { type: SocialProviderSettings, nullable: true }),
  }),
});

const BackendAuthPasswordPolicy = builder.objectRef<PasswordPolicy>('BackendAuthPasswordPolicy').implement({
  fields: (t) => ({
    minimumLength: t.exposeFloat('minimumLength', { nullable: true }),
    additionalConstraints: t.expose('additionalConstraints', { type: [PasswordConstraint] }),
  }),
});

const BackendAuthUserPoolConfig = builder.objectRef<UserPoolConfig>('BackendAuthUserPoolConfig').implement({
  fields: (t) => ({
    userPoolName: t.exposeString('userPoolName', { nullable: true }),
    signInMethod: t.expose('signInMethod', { type: SignInMethodEnum, nullable: true }),
    requiredSignUpAttributes: t.expose('requiredSignUpAttributes', { type: [SignUpAttribute] }),
    forgotPassword: t.expose('forgotPassword', { type: BackendAuthMessageConfig, nullable: true }),
    verificationMessage: t.expose('verificationMessage', { type: BackendAuthMessageConfig, nullable: true }),
    mfa: t.expose('mfa', { type: BackendAuthMfaConfig, nullable: true }),
    oAuth: t.expose('oAuth', { type: BackendAuthOAuthConfig, nullable: true }),
    passwordPolicy: t.expose('passwordPolicy', { type: BackendAuthPasswordPolicy, nullable: true }),
  }),
});

const BackendAuthIdentityPoolConfig = builder
  .objectRef<NonNullable<AuthConfig['identityPoolConfigs']>>('BackendAuthIdentityPoolConfig')
  .implement({
    fields: (t) => ({
      identityPoolName: t.exposeString('identityPoolName', { nullable: true }),
      unauthenticatedLogin: t.exposeBoolean('unauthenticatedLogin', { nullable: true }),
    }),
  });

const BackendAuthConfig = builder.objectRef<AuthConfig>('BackendAuthConfig').implement({
  fields: (t) => ({
    authResources: t.expose('authResources', { type: AuthResourcesEnum, nullable: true }),
    service: t.expose('service', { type: AuthService, nullable: true }),
    identityPoolConfigs: t.expose('identityPoolConfigs', { type: BackendAuthIdentityPoolConfig, nullable: true }),
    userPoolConfigs: t.expose('userPoolConfigs', { type: BackendAuthUserPoolConfig, nullable: true }),
  }),
});

resourceNode(BackendAuth, 'auth', {
  description: 'The Cognito auth resource of an environment.',
  config: { type: BackendAuthConfig, description: 'GetBackendAuth, without secrets.', resolve: config },
});

// --- inputs: the create shape requires what the service requires, the update shape little -------

const EmailSettingsInput = builder.inputType('EmailSettingsInput', {
  fields: (t) => ({ emailSubject: t.string(), emailMessage: t.string() }),
});
const SmsSettingsInput = builder.inputType('SmsSettingsInput', { fields: (t) => ({ smsMessage: t.string() }) });

const messageInput = <Required extends boolean>(name: string, deliveryRequired: Required) =>
  builder.inputType(name, {
    fields: (t) => ({
      deliveryMethod: t.field({ type: DeliveryMethodEnum, required: deliveryRequired }),
      emailSettings: t.field({ type: EmailSettingsInput }),
      smsSettings: t.field({ type: SmsSettingsInput }),
    }),
  });

const MfaSettingsInput = builder.inputType('BackendAuthMfaSettingsInput', {
  fields: (t) => ({ mfaTypes: t.field({ type: [MfaType] }), smsMessage: t.string() }),
});

const SocialProviderInput = builder.inputType('SocialProviderConfigInput', {
  description: 'A social identity provider. The secret is write-only: no query returns it.',
  fields: (t) => ({
    clientId: t.string({ required: true, validate: nonEmpty }),
    clientSecret: t.string({ required: true, validate: nonEmpty }),
  }),
});

const AppleProviderInput = builder.inputType('AppleProviderConfigInput', {
  description: 'Sign in with Apple. The private key is write-only: no query returns it.',
  fields: (t) => ({
    clientId: t.string({ required: true, validate: nonEmpty }),
    keyId: t.string({ required: true, validate: nonEmpty }),
    teamId: t.string({ required: true, validate: nonEmpty }),
    privateKey: t.string({ required: true, validate: nonEmpty }),
  }),
});

const SocialProviderSettingsInput = builder.inputType('SocialProviderSettingsInput', {
  fields: (t) => ({
    facebook: t.field({ type: SocialProviderInput }),
    google: t.field({ type: SocialProviderInput }),
    loginWithAmazon: t.field({ type: SocialProviderInput }),
    signInWithApple: t.field({ type: AppleProviderInput }),
  }),
});

/**
 * The user pool members both shapes have. `required` is what CreateBackendAuth requires and
 * UpdateBackendAuth leaves out; as a type parameter, it keeps each shape's TypeScript type as
 * strict as its GraphQL type, so the resolvers get the SDK's shape without a cast.
 */
function userPoolFields<Required extends boolean>(prefix: 'Create' | 'Update', required: Required) {
  const oAuth = builder.inputType(`${prefix}BackendAuthOAuthConfigInput`, {
    fields: (t) => ({
      domainPrefix: t.string({ validate: nonEmpty }),
      oAuthGrantType: t.field({ type: OAuthGrantTypeEnum, required }),
      oAuthScopes: t.field({ type: [OAuthScope], required }),
      redirectSignInURIs: t.stringList({ required, validate: redirectUris }),
      redirectSignOutURIs: t.stringList({ required, validate: redirectUris }),
      socialProviderSettings: t.field({ type: SocialProviderSettingsInput }),
    }),
  });
  return (t: InputFieldBuilder) => ({
    forgotPassword: t.field({ type: messageInput(`${prefix}BackendAuthForgotPasswordInput`, required) }),
    verificationMessage: t.field({ type: messageInput(`${prefix}BackendAuthVerificationMessageInput`, true) }),
    mfa: t.field({
      type: builder.inputType(`${prefix}BackendAuthMfaConfigInput`, {
        fields: (f) => ({
          mfaMode: f.field({ type: MfaMode, required }),
          settings: f.field({ type: MfaSettingsInput }),
        }),
      }),
    }),
    oAuth: t.field({ type: oAuth }),
    passwordPolicy: t.field({
      type: builder.inputType(`${prefix}BackendAuthPasswordPolicyInput`, {
        fields: (f) => ({
          minimumLength: f.int({ required, validate: passwordMinimumLength }),
          additionalConstraints: f.field({ type: [PasswordConstraint] }),
        }),
      }),
    }),
  });
}

const authConfigInput = <UserPool extends object, IdentityPool extends object>(
  prefix: 'Create' | 'Update',
  userPool: InputObjectRef<Types, UserPool>,
  identityPool: InputObjectRef<Types, IdentityPool>,
) =>
  builder.inputType(`${prefix}BackendAuthConfigInput`, {
    fields: (t) => ({
      authResources: t.field({ type: AuthResourcesEnum, required: true }),
      service: t.field({ type: AuthService, required: true }),
      identityPoolConfigs: t.field({ type: identityPool }),
      userPoolConfigs: t.field({ type: userPool, required: true }),
    }),
  });

const createUserPoolFields = userPoolFields('Create', true);
const CreateBackendAuthConfigInput = authConfigInput(
  'Create',
  builder.inputType('CreateBackendAuthUserPoolConfigInput', {
    fields: (t) => ({
      userPoolName: t.string({ required: true, validate: nonEmpty }),
      signInMethod: t.field({ type: SignInMethodEnum, required: true }),
      requiredSignUpAttributes: t.field({ type: [SignUpAttribute], required: true }),
      ...createUserPoolFields(t),
    }),
  }),
  builder.inputType('CreateBackendAuthIdentityPoolConfigInput', {
    fields: (t) => ({
      identityPoolName: t.string({ required: true, validate: nonEmpty }),
      unauthenticatedLogin: t.boolean({ required: true }),
    }),
  }),
);

const UpdateBackendAuthConfigInput = authConfigInput(
  'Update',
  builder.inputType('UpdateBackendAuthUserPoolConfigInput', { fields: userPoolFields('Update', false) }),
  builder.inputType('UpdateBackendAuthIdentityPoolConfigInput', {
    fields: (t) => ({ unauthenticatedLogin: t.boolean() }),
  }),
);

const authPayload = resourcePayload({ field: 'auth', type: BackendAuth });

createResourceMutation('createBackendAuth', {
  description: 'Adds Cognito auth to an environment (CreateBackendAuth).',
  config: CreateBackendAuthConfigInput,
  resolve: createBackendAuth,
  payload: authPayload,
});

updateResourceMutation('updateBackendAuth', {
  description: 'Changes the auth resource; members left out keep their value (UpdateBackendAuth).',
  config: UpdateBackendAuthConfigInput,
  resolve: updateBackendAuth,
  payload: authPayload,
});

mutationWithInput('deleteBackendAuth', {
  description: 'Removes the auth resource of an environment (DeleteBackendAuth).',
  inputFields: (f) => resourceKeyFields(f, { creating: false }),
  resolve: (input, ctx) => deleteBackendAuth(input, ctx),
  payload: authPayload,
});

mutationWithInput('importBackendAuth', {
  description: 'Uses an existing Cognito user pool as the auth of an environment (ImportBackendAuth).',
  inputFields: (f) => ({
    ...environmentKeyFields(f),
    userPoolId: f.string({ required: true, validate: pathValue }),
    webClientId: f.string({ required: true, validate: pathValue }),
    nativeClientId: f.string({ required: true, validate: pathValue }),
    identityPoolId: f.string({ validate: pathValue }),
  }),
  resolve: (input, ctx) => importBackendAuth(input, ctx),
  payload: resourcePayload(),
});
