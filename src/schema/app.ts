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
import type { BackendConfig, LoginAuthConfig } from '../aws/map.js';
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
  }),
});

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
