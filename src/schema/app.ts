import {
  app,
  appName,
  createBackend,
  createBackendConfig,
  environment,
  environments,
  removeAllBackends,
  removeBackendConfig,
  updateBackendConfig,
} from '../resolvers/app.js';
import { appAccount, appRegion, apps, consoleField } from '../resolvers/app-listing.js';
import type { UnavailableSource } from '../app-directory.js';
import { Platform } from '../aws/enums.js';
import type { BackendConfig, LoginAuthConfig } from '../aws/map.js';
import { connectionArgs } from './connection.js';
import { builder } from './builder.js';
import { appKeyArgs, appKeyFields } from './key-fields.js';
import { childByKey, lookupQueryField } from './lookup.js';
import { mutationWithInput } from './mutation.js';
import { appPayload, environmentPayload } from './payload.js';
import { parseSingleKeyId } from './node-id.js';
import { App, BackendEnvironment } from './refs.js';
import { newEnvironmentName, nonEmpty, pathValue } from './validation.js';

builder.node(App, {
  description: 'An Amplify app and its backend environments.',
  id: { resolve: (a) => a.appId },
  loadOne: (id, ctx) => app({ appId: parseSingleKeyId(id, 'appId') }, ctx),
  fields: (t) => ({
    appId: t.exposeID('appId'),
    appName: t.string({ nullable: true, resolve: (a, _args, ctx) => appName(a, ctx) }),
    environments: t.field({
      type: [BackendEnvironment],
      resolve: (a, _args, ctx) => environments(a, ctx),
    }),
    environment: childByKey(t, BackendEnvironment, { name: 'String' }, environment),
    region: t.string({
      description: 'The AWS region the app is in (AMPLIFY_REGIONS); its calls go there.',
      resolve: (a, _args, ctx) => appRegion(a, ctx),
    }),
    account: t.string({
      description: 'The account the app is in: `default` for the gateway\'s own, else a name from AMPLIFY_ACCOUNTS.',
      resolve: (a, _args, ctx) => appAccount(a, ctx),
    }),
    defaultDomain: t.string({
      nullable: true,
      description: 'The app\'s default domain (Amplify GetApp / ListApps).',
      resolve: (a, _args, ctx) => consoleField(a, 'defaultDomain', ctx),
    }),
    platform: t.field({
      type: AppPlatform,
      nullable: true,
      description: 'How the app is hosted (Amplify GetApp / ListApps).',
      resolve: async (a, _args, ctx) => {
        const platform = await consoleField(a, 'platform', ctx);
        return platform && platforms.has(platform) ? (platform as Platform) : null;
      },
    }),
    createTime: t.string({
      nullable: true,
      description: 'When the Amplify app was created, ISO 8601 (Amplify GetApp / ListApps).',
      resolve: (a, _args, ctx) => consoleField(a, 'createTime', ctx),
    }),
  }),
});

const AppPlatform = builder.enumType('AppPlatform', { values: Object.values(Platform) });
const platforms: ReadonlySet<string> = new Set(Object.values(Platform));

const UnavailableSourceRef = builder.objectRef<UnavailableSource>('UnavailableSource').implement({
  description: 'A region of an account whose apps could not be listed: the list goes on without them.',
  fields: (t) => ({
    account: t.exposeString('account'),
    region: t.exposeString('region'),
    code: t.exposeString('code', { description: 'The error code a query of it would get (UPSTREAM_UNAVAILABLE, RATE_LIMITED, ...).' }),
    message: t.exposeString('message'),
  }),
});

const AppConnection = builder.connectionObject({
  type: App,
  name: 'AppConnection',
  fields: (t) => ({
    unavailable: t.field({
      type: [UnavailableSourceRef],
      description: 'Regions and accounts that could not be listed this time; their apps are missing from the list.',
      resolve: (c) => (c as unknown as { unavailable: UnavailableSource[] }).unavailable,
    }),
  }),
});

builder.queryField('apps', (t) =>
  t.field({
    type: AppConnection,
    description:
      'Every app the credential may use, in every region and account (Amplify ListApps), in order of account, region and app id.',
    args: connectionArgs(t.arg),
    resolve: (_root, args, ctx) => apps(args, ctx),
  }),
);

lookupQueryField('app', {
  type: App,
  description: 'An app by id (GetBackend); null when the service does not know it.',
  args: appKeyArgs,
  resolve: app,
});

const LoginAuthConfig = builder.objectRef<LoginAuthConfig>('LoginAuthConfig').implement({
  fields: (t) => ({
    awsCognitoIdentityPoolId: t.exposeString('awsCognitoIdentityPoolId', { nullable: true }),
    awsCognitoRegion: t.exposeString('awsCognitoRegion', { nullable: true }),
    awsUserPoolsId: t.exposeString('awsUserPoolsId', { nullable: true }),
    awsUserPoolsWebClientId: t.exposeString('awsUserPoolsWebClientId', { nullable: true }),
  }),
});

const BackendConfigRef = builder.objectRef<BackendConfig>('BackendConfig').implement({
  description: 'The Admin UI configuration of an app.',
  fields: (t) => ({
    appId: t.exposeID('appId', { nullable: true }),
    backendManagerAppId: t.exposeString('backendManagerAppId', { nullable: true }),
    loginAuthConfig: t.expose('loginAuthConfig', { type: LoginAuthConfig, nullable: true }),
    error: t.exposeString('error', { nullable: true }),
  }),
});

const LoginAuthConfigInput = builder.inputType('LoginAuthConfigInput', {
  fields: (t) => ({
    awsCognitoIdentityPoolId: t.string({ validate: nonEmpty }),
    awsCognitoRegion: t.string({ validate: nonEmpty }),
    awsUserPoolsId: t.string({ validate: nonEmpty }),
    awsUserPoolsWebClientId: t.string({ validate: nonEmpty }),
  }),
});

mutationWithInput('createBackend', {
  description: 'Creates a backend environment for an app (CreateBackend); the environment appears when its job completes.',
  inputFields: (f) => ({
    ...appKeyFields(f),
    appName: f.string({ required: true, validate: nonEmpty }),
    environmentName: f.string({ required: true, validate: newEnvironmentName }),
    resourceName: f.string({ validate: nonEmpty }),
  }),
  resolve: (input, ctx) => createBackend(input, ctx),
  payload: environmentPayload,
});

mutationWithInput('removeAllBackends', {
  description: 'Removes every backend environment of an app, and the app itself with cleanAmplifyApp (RemoveAllBackends).',
  inputFields: (f) => ({ ...appKeyFields(f), cleanAmplifyApp: f.boolean() }),
  resolve: (input, ctx) => removeAllBackends(input, ctx),
  payload: appPayload,
});

mutationWithInput('createBackendConfig', {
  description: 'Creates the Admin UI configuration of an app (CreateBackendConfig).',
  inputFields: (f) => ({ ...appKeyFields(f), backendManagerAppId: f.string({ validate: pathValue }) }),
  resolve: (input, ctx) => createBackendConfig(input, ctx),
  payload: appPayload,
});

mutationWithInput('updateBackendConfig', {
  description: 'Updates the Admin UI login configuration of an app (UpdateBackendConfig).',
  inputFields: (f) => ({ ...appKeyFields(f), loginAuthConfig: f.field({ type: LoginAuthConfigInput }) }),
  resolve: (input, ctx) => updateBackendConfig(input, ctx),
  payload: (p) => ({ app: p.expose('app', { type: App }), config: p.expose('config', { type: BackendConfigRef }) }),
});

mutationWithInput('removeBackendConfig', {
  description: 'Removes the Admin UI configuration of an app (RemoveBackendConfig).',
  inputFields: appKeyFields,
  resolve: (input, ctx) => removeBackendConfig(input, ctx),
  payload: (p) => ({ app: p.expose('app', { type: App }), error: p.exposeString('error', { nullable: true }) }),
});
