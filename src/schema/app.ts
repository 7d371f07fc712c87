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
import type { AppKey, EnvironmentKey } from '../keys.js';
import type { JobRef } from '../resolvers/job.js';
import { builder } from './builder.js';
import { mutationWithInput } from './mutation.js';
import { parseSingleKeyId } from './node-id.js';
import { App, BackendEnvironment, BackendJob } from './refs.js';
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
    environment: t.field({
      type: BackendEnvironment,
      nullable: true,
      args: { name: t.arg.string({ required: true, validate: pathValue }) },
      resolve: (a, args, ctx) => environment(a, args, ctx),
    }),
  }),
});

builder.queryField('app', (t) =>
  t.field({
    type: App,
    nullable: true,
    description: 'An app by id (GetBackend); null when the service does not know it.',
    args: { appId: t.arg.id({ required: true, validate: pathValue }) },
    resolve: (_root, args, ctx) => app(args, ctx),
  }),
);

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

interface AppPayloadShape {
  app: AppKey;
  environment?: EnvironmentKey;
  job?: JobRef | null;
}

const CreateBackendPayload = builder.objectRef<AppPayloadShape>('CreateBackendPayload').implement({
  fields: (t) => ({
    app: t.expose('app', { type: App }),
    environment: t.field({ type: BackendEnvironment, resolve: (p) => p.environment! }),
    job: t.expose('job', { type: BackendJob, nullable: true }),
  }),
});

const AppJobPayload = (name: string) =>
  builder.objectRef<AppPayloadShape>(name).implement({
    fields: (t) => ({
      app: t.expose('app', { type: App }),
      job: t.expose('job', { type: BackendJob, nullable: true }),
    }),
  });

mutationWithInput('createBackend', {
  type: CreateBackendPayload,
  description: 'Creates a backend environment for an app (CreateBackend); the environment appears when its job completes.',
  inputName: 'CreateBackendInput',
  inputFields: (f) => ({
    appId: f.id({ required: true, validate: pathValue }),
    appName: f.string({ required: true, validate: nonEmpty }),
    environmentName: f.string({ required: true, validate: newEnvironmentName }),
    resourceName: f.string({ validate: nonEmpty }),
  }),
  resolve: (input, ctx) => createBackend(input, ctx),
});

mutationWithInput('removeAllBackends', {
  type: () => AppJobPayload('RemoveAllBackendsPayload'),
  description: 'Removes every backend environment of an app, and the app itself with cleanAmplifyApp (RemoveAllBackends).',
  inputName: 'RemoveAllBackendsInput',
  inputFields: (f) => ({
    appId: f.id({ required: true, validate: pathValue }),
    cleanAmplifyApp: f.boolean(),
  }),
  resolve: (input, ctx) => removeAllBackends(input, ctx),
});

mutationWithInput('createBackendConfig', {
  type: () => AppJobPayload('CreateBackendConfigPayload'),
  description: 'Creates the Admin UI configuration of an app (CreateBackendConfig).',
  inputName: 'CreateBackendConfigInput',
  inputFields: (f) => ({
    appId: f.id({ required: true, validate: pathValue }),
    backendManagerAppId: f.string({ validate: pathValue }),
  }),
  resolve: (input, ctx) => createBackendConfig(input, ctx),
});

mutationWithInput('updateBackendConfig', {
  type: () => builder.objectRef<{ app: AppKey; config: BackendConfig }>('UpdateBackendConfigPayload').implement({
    fields: (p) => ({
      app: p.expose('app', { type: App }),
      config: p.expose('config', { type: BackendConfigRef }),
    }),
  }),
  description: 'Updates the Admin UI login configuration of an app (UpdateBackendConfig).',
  inputName: 'UpdateBackendConfigInput',
  inputFields: (f) => ({
    appId: f.id({ required: true, validate: pathValue }),
    loginAuthConfig: f.field({ type: LoginAuthConfigInput }),
  }),
  resolve: (input, ctx) => updateBackendConfig(input, ctx),
});

mutationWithInput('removeBackendConfig', {
  type: () => builder.objectRef<{ app: AppKey; error: string | null }>('RemoveBackendConfigPayload').implement({
    fields: (p) => ({
      app: p.expose('app', { type: App }),
      error: p.exposeString('error', { nullable: true }),
    }),
  }),
  description: 'Removes the Admin UI configuration of an app (RemoveBackendConfig).',
  inputName: 'RemoveBackendConfigInput',
  inputFields: (f) => ({ appId: f.id({ required: true, validate: pathValue }) }),
  resolve: (input, ctx) => removeBackendConfig(input, ctx),
});
