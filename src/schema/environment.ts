import type { Context } from '../context.js';
import type { EnvironmentKey } from '../keys.js';
import {
  amplifyMetaConfig,
  amplifyMetaConfigRaw,
  api,
  apis,
  auth,
  backendEnvironment,
  cloneBackend,
  deleteBackend,
  environmentKey,
  featureFlags,
  job,
  jobs,
  pendingJob,
  storage,
  storages,
} from '../resolvers/environment.js';
import { builder, type Types } from './builder.js';
import { connectionArgs } from './connection.js';
import { BackendJobConnection } from './job.js';
import { appKeyArgs, environmentKeyFields, keyPart } from './key-fields.js';
import { childByKey, lookupQueryField } from './lookup.js';
import { mutationWithInput } from './mutation.js';
import { environmentPayload } from './payload.js';
import { keyId, parseKeyId } from './node-id.js';
import { App, BackendApi, BackendAuth, BackendEnvironment, BackendJob, BackendStorage } from './refs.js';
import { newEnvironmentName } from './validation.js';

/** A JSON object GetBackend sends as a string, parsed; null when the service sends none. */
const parsedJson = (
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, EnvironmentKey>,
  description: string,
  resolve: (env: EnvironmentKey, ctx: Context) => Promise<Record<string, unknown> | null>,
) => t.field({ type: 'JSON', nullable: true, description, resolve: (e, _a, ctx) => resolve(e, ctx) });

builder.node(BackendEnvironment, {
  description: 'A backend environment of an app, with its API, auth and storage resources.',
  id: { resolve: (e) => keyId(e.appId, e.environmentName) },
  loadOne: (id, ctx) => backendEnvironment(environmentKey(parseKeyId(id, ['appId', 'name'] as const)), ctx),
  fields: (t) => ({
    appId: t.exposeID('appId'),
    name: t.exposeString('environmentName'),
    app: t.field({ type: App, resolve: (e) => ({ appId: e.appId }) }),
    amplifyMetaConfig: parsedJson(t, 'The amplify-meta of the environment, parsed.', amplifyMetaConfig),
    amplifyMetaConfigRaw: t.string({
      nullable: true,
      description: 'The amplify-meta of the environment, as the service sends it (a JSON string).',
      resolve: (e, _a, ctx) => amplifyMetaConfigRaw(e, ctx),
    }),
    featureFlags: parsedJson(t, 'The Amplify feature flags of the environment, parsed.', featureFlags),
    apis: t.field({ type: [BackendApi], resolve: (e, _a, ctx) => apis(e, ctx) }),
    api: childByKey(t, BackendApi, { resourceName: 'String' }, api),
    auth: t.field({
      type: BackendAuth,
      nullable: true,
      description: 'The auth resource; Amplify allows one per environment.',
      resolve: (e, _a, ctx) => auth(e, ctx),
    }),
    storages: t.field({ type: [BackendStorage], resolve: (e, _a, ctx) => storages(e, ctx) }),
    storage: childByKey(t, BackendStorage, { resourceName: 'String' }, storage),
    jobs: t.field({
      type: BackendJobConnection,
      description: 'Jobs of the environment, newest first (ListBackendJobs).',
      args: {
        ...connectionArgs(t.arg),
        status: t.arg.string({ description: "Only jobs with this raw status, e.g. 'IN_PROGRESS'." }),
        operation: t.arg.string({ description: "Only jobs of this operation, e.g. 'CreateBackendAuth'." }),
      },
      resolve: (e, args, ctx) => jobs(e, args, ctx),
    }),
    pendingJob: t.field({
      type: BackendJob,
      nullable: true,
      description:
        'The job running in the environment, which a write must wait for; null when none runs. ' +
        'Read from the same ListBackendJobs page as `jobs`: asking for both costs one call.',
      resolve: (e, _a, ctx) => pendingJob(e, ctx),
    }),
    job: childByKey(t, BackendJob, { jobId: 'ID' }, job),
  }),
});

lookupQueryField('backendEnvironment', {
  type: BackendEnvironment,
  description: 'An environment by app id and name (GetBackend); null when the service does not know it.',
  args: (arg) => ({ ...appKeyArgs(arg), name: arg.string(keyPart()) }),
  resolve: (args, ctx) => backendEnvironment(environmentKey(args), ctx),
});

mutationWithInput('cloneBackend', {
  description: 'Copies an environment to a new one (CloneBackend); the copy appears when its job completes.',
  inputFields: (f) => ({
    ...environmentKeyFields(f),
    targetEnvironmentName: f.string({ required: true, validate: newEnvironmentName }),
  }),
  resolve: (input, ctx) => cloneBackend(input, ctx),
  payload: (p) => ({
    app: p.expose('app', { type: App }),
    environment: p.expose('environment', { type: BackendEnvironment }),
    targetEnvironment: p.expose('targetEnvironment', { type: BackendEnvironment }),
    job: p.expose('job', { type: BackendJob, nullable: true }),
  }),
});

mutationWithInput('deleteBackend', {
  description: 'Deletes a backend environment (DeleteBackend) when its job completes.',
  inputFields: environmentKeyFields,
  resolve: (input, ctx) => deleteBackend(input, ctx),
  payload: environmentPayload,
});
