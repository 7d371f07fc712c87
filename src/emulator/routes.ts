import { badRequest, notFound } from './errors.js';
import type { OperationName } from './wire-model.js';
import type { Store } from './store.js';
import { bucketNameFor } from './store/bucket.js';
import type { ApiRecord, AuthRecord, JobFailureHook, JobRecord, StorageRecord } from './store/records.js';

export interface RouteContext {
  store: Store;
  /** Path labels and body members by wire name, already checked against the model. */
  input: Record<string, any>;
  jobFailure: JobFailureHook;
  s3PageSize: number;
}

type Handler = (ctx: RouteContext) => Record<string, unknown>;

// The response of every operation that starts a job.
const jobResponse = (job: JobRecord) => ({
  appId: job.appId,
  backendEnvironmentName: job.environmentNames[0],
  error: job.error,
  jobId: job.jobId,
  operation: job.operation,
  status: job.status,
});

// CreateBackendStorage and friends model a shorter response.
const storageJobResponse = (job: JobRecord) => ({
  appId: job.appId,
  backendEnvironmentName: job.environmentNames[0],
  jobId: job.jobId,
  status: job.status,
});

const jobDetails = (job: JobRecord, environmentName: string) => ({
  appId: job.appId,
  backendEnvironmentName: environmentName,
  createTime: job.createTime,
  error: job.error,
  jobId: job.jobId,
  operation: job.operation,
  status: job.status,
  updateTime: job.updateTime,
});

// The response of GetBackendAPI, GetBackendAuth and GetBackendStorage.
const resourceDetails = (input: RouteContext['input'], resourceName: string, resourceConfig: Record<string, unknown>) => ({
  appId: input.appId,
  backendEnvironmentName: input.backendEnvironmentName,
  resourceConfig,
  resourceName,
});

const encodeToken = (value: string) => Buffer.from(value, 'utf8').toString('base64url');
const decodeToken = (token: string) => Buffer.from(token, 'base64url').toString('utf8');

/** Pages a list after the item named by `nextToken`; `nextToken` is omitted on the last page. */
function page<T>(items: T[], keyOf: (item: T) => string, size: number, nextToken: string | undefined) {
  let start = 0;
  if (nextToken !== undefined) {
    const after = decodeToken(nextToken);
    const i = items.findIndex((item) => keyOf(item) === after);
    if (i < 0 || encodeToken(after) !== nextToken) throw badRequest('Invalid nextToken');
    start = i + 1;
  }
  const slice = items.slice(start, start + size);
  const more = start + size < items.length;
  return { slice, nextToken: more ? encodeToken(keyOf(slice[slice.length - 1])) : undefined };
}

function apiRecord(resourceName: string, resourceConfig: Record<string, unknown> = {}): ApiRecord {
  return {
    resourceName,
    resourceConfig: { apiName: resourceName, service: 'AppSync', ...resourceConfig },
  };
}

/**
 * Update* operations change what they name and keep the rest; lists are replaced whole. Keys are
 * the client's: a Map and Object.fromEntries keep `__proto__` an ordinary member, where
 * `out[key] = value` would set the prototype.
 */
function merge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out = new Map(Object.entries(base));
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === null) continue;
    const current = out.get(key);
    out.set(key, isPlainObject(value) && isPlainObject(current) ? merge(current, value) : structuredClone(value));
  }
  return Object.fromEntries(out);
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const sanitizeName = (value: string) => value.replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'imported';

export const routes: Record<OperationName, Handler> = {
  CloneBackend: ({ store, input, jobFailure }) =>
    jobResponse(store.cloneBackend(input.appId, input.backendEnvironmentName, input.targetEnvironmentName, jobFailure)),

  CreateBackend: ({ store, input, jobFailure }) =>
    jobResponse(store.createBackend(input.appId, input.appName, input.backendEnvironmentName, jobFailure)),

  CreateBackendAPI: ({ store, input, jobFailure }) =>
    jobResponse(
      store.putResource(
        'CreateBackendAPI', input.appId, input.backendEnvironmentName, 'api',
        apiRecord(input.resourceName, input.resourceConfig), 'create', jobFailure,
      ),
    ),

  CreateBackendAuth: ({ store, input, jobFailure }) => {
    const record: AuthRecord = { resourceName: input.resourceName, resourceConfig: structuredClone(input.resourceConfig) };
    return jobResponse(
      store.putResource('CreateBackendAuth', input.appId, input.backendEnvironmentName, 'auth', record, 'create', jobFailure),
    );
  },

  CreateBackendConfig: ({ store, input, jobFailure }) =>
    storageJobResponse(store.createConfig(input.appId, input.backendManagerAppId ?? input.appId, jobFailure)),

  CreateBackendStorage: ({ store, input, jobFailure }) => {
    const config = input.resourceConfig;
    const record: StorageRecord = {
      resourceName: input.resourceName,
      bucketName: config.bucketName ?? bucketNameFor(input.resourceName, input.appId, input.backendEnvironmentName),
      imported: false,
      permissions: structuredClone(config.permissions),
    };
    return storageJobResponse(
      store.putResource('CreateBackendStorage', input.appId, input.backendEnvironmentName, 'storage', record, 'create', jobFailure),
    );
  },

  CreateToken: ({ store, input }) => {
    const { appId, challengeCode, sessionId, ttl } = store.createToken(input.appId);
    return { appId, challengeCode, sessionId, ttl };
  },

  DeleteBackend: ({ store, input, jobFailure }) =>
    jobResponse(store.deleteBackend(input.appId, input.backendEnvironmentName, jobFailure)),

  DeleteBackendAPI: ({ store, input, jobFailure }) =>
    jobResponse(
      store.removeResource('DeleteBackendAPI', input.appId, input.backendEnvironmentName, 'api', input.resourceName, jobFailure),
    ),

  DeleteBackendAuth: ({ store, input, jobFailure }) =>
    jobResponse(
      store.removeResource('DeleteBackendAuth', input.appId, input.backendEnvironmentName, 'auth', input.resourceName, jobFailure),
    ),

  DeleteBackendStorage: ({ store, input, jobFailure }) =>
    storageJobResponse(
      store.removeResource('DeleteBackendStorage', input.appId, input.backendEnvironmentName, 'storage', input.resourceName, jobFailure),
    ),

  DeleteToken: ({ store, input }) => {
    store.deleteToken(input.appId, input.sessionId);
    return { isSuccess: true };
  },

  GenerateBackendAPIModels: ({ store, input, jobFailure }) =>
    jobResponse(store.generateModels(input.appId, input.backendEnvironmentName, input.resourceName, jobFailure)),

  GetBackend: ({ store, input }) => store.getBackend(input.appId, input.backendEnvironmentName),

  GetBackendAPI: ({ store, input }) => {
    const api = store.getResource(input.appId, input.backendEnvironmentName, 'api', input.resourceName);
    return resourceDetails(input, api.resourceName, api.resourceConfig);
  },

  GetBackendAPIModels: ({ store, input }) => {
    const api = store.getResource(input.appId, input.backendEnvironmentName, 'api', input.resourceName);
    const generated = api.generated;
    if (!generated) return { status: 'STALE' };
    return {
      models: generated.models,
      modelIntrospectionSchema: generated.modelIntrospectionSchema,
      status: generated.transformSchema === api.resourceConfig.transformSchema ? 'LATEST' : 'STALE',
    };
  },

  GetBackendAuth: ({ store, input }) => {
    const auth = store.getResource(input.appId, input.backendEnvironmentName, 'auth', input.resourceName);
    return resourceDetails(input, auth.resourceName, auth.resourceConfig);
  },

  GetBackendJob: ({ store, input }) =>
    jobDetails(store.getJob(input.appId, input.backendEnvironmentName, input.jobId), input.backendEnvironmentName),

  GetBackendStorage: ({ store, input }) => {
    const storage = store.getResource(input.appId, input.backendEnvironmentName, 'storage', input.resourceName);
    return resourceDetails(input, storage.resourceName, {
      bucketName: storage.bucketName,
      imported: storage.imported,
      permissions: storage.permissions,
      serviceName: 'S3',
    });
  },

  GetToken: ({ store, input }) => {
    const { appId, challengeCode, sessionId, ttl } = store.getToken(input.appId, input.sessionId);
    return { appId, challengeCode, sessionId, ttl };
  },

  ImportBackendAuth: ({ store, input, jobFailure }) => {
    const { userPoolId, webClientId, nativeClientId, identityPoolId } = input;
    const record: AuthRecord = {
      resourceName: `imported${sanitizeName(userPoolId.split('_').pop() ?? userPoolId)}`.slice(0, 64),
      resourceConfig: {
        authResources: identityPoolId ? 'IDENTITY_POOL_AND_USER_POOL' : 'USER_POOL_ONLY',
        service: 'COGNITO',
        userPoolConfigs: { userPoolName: userPoolId, signInMethod: 'USERNAME', requiredSignUpAttributes: [] },
        ...(identityPoolId ? { identityPoolConfigs: { identityPoolName: identityPoolId, unauthenticatedLogin: false } } : {}),
      },
      imported: { userPoolId, webClientId, nativeClientId, ...(identityPoolId ? { identityPoolId } : {}) },
    };
    return jobResponse(
      store.putResource('ImportBackendAuth', input.appId, input.backendEnvironmentName, 'auth', record, 'create', jobFailure),
    );
  },

  ImportBackendStorage: ({ store, input, jobFailure }) => {
    const bucketName: string | undefined = input.bucketName;
    if (!bucketName) throw badRequest('Missing member bucketName: name the S3 bucket to import');
    if (!store.hasBucket(bucketName)) throw notFound('bucket', `Bucket ${bucketName} not found`);
    const record: StorageRecord = { resourceName: sanitizeName(bucketName), bucketName, imported: true };
    return storageJobResponse(
      store.putResource('ImportBackendStorage', input.appId, input.backendEnvironmentName, 'storage', record, 'create', jobFailure),
    );
  },

  ListBackendJobs: ({ store, input }) => {
    const jobs = store
      .listJobs(input.appId, input.backendEnvironmentName)
      .filter(
        (job) =>
          (input.jobId === undefined || job.jobId === input.jobId) &&
          (input.operation === undefined || job.operation === input.operation) &&
          (input.status === undefined || job.status === input.status),
      );
    const { slice, nextToken } = page(jobs, (job) => job.jobId, input.maxResults ?? 25, input.nextToken);
    return { jobs: slice.map((job) => jobDetails(job, input.backendEnvironmentName)), nextToken };
  },

  ListS3Buckets: ({ store, input, s3PageSize }) => {
    const { slice, nextToken } = page(store.listBuckets(), (b) => b.name, s3PageSize, input.nextToken);
    return { buckets: slice.map(({ name, creationDate }) => ({ creationDate, name })), nextToken };
  },

  RemoveAllBackends: ({ store, input, jobFailure }) => {
    const job = store.removeAllBackends(input.appId, input.cleanAmplifyApp ?? false, jobFailure);
    return { appId: job.appId, error: job.error, jobId: job.jobId, operation: job.operation, status: job.status };
  },

  RemoveBackendConfig: ({ store, input }) => {
    store.removeConfig(input.appId);
    return {};
  },

  UpdateBackendAPI: ({ store, input, jobFailure }) => {
    const current = store.getResource(input.appId, input.backendEnvironmentName, 'api', input.resourceName);
    const record: ApiRecord = {
      ...current,
      resourceConfig: merge(current.resourceConfig, input.resourceConfig ?? {}),
    };
    return jobResponse(
      store.putResource('UpdateBackendAPI', input.appId, input.backendEnvironmentName, 'api', record, 'update', jobFailure),
    );
  },

  UpdateBackendAuth: ({ store, input, jobFailure }) => {
    const current = store.getResource(input.appId, input.backendEnvironmentName, 'auth', input.resourceName);
    const record: AuthRecord = { ...current, resourceConfig: merge(current.resourceConfig, input.resourceConfig) };
    return jobResponse(
      store.putResource('UpdateBackendAuth', input.appId, input.backendEnvironmentName, 'auth', record, 'update', jobFailure),
    );
  },

  UpdateBackendConfig: ({ store, input }) => {
    const config = store.updateConfig(input.appId, input.loginAuthConfig);
    return {
      appId: input.appId,
      backendManagerAppId: config.backendManagerAppId,
      loginAuthConfig: config.loginAuthConfig,
    };
  },

  UpdateBackendJob: ({ store, input }) => {
    const job = store.getJob(input.appId, input.backendEnvironmentName, input.jobId);
    store.updateJob(job, { operation: input.operation, status: input.status });
    return jobDetails(job, input.backendEnvironmentName);
  },

  UpdateBackendStorage: ({ store, input, jobFailure }) => {
    const current = store.getResource(input.appId, input.backendEnvironmentName, 'storage', input.resourceName);
    if (current.imported) throw badRequest(`Storage ${input.resourceName} is imported; its permissions are managed outside Amplify`);
    const record: StorageRecord = { ...current, permissions: structuredClone(input.resourceConfig.permissions) };
    return storageJobResponse(
      store.putResource('UpdateBackendStorage', input.appId, input.backendEnvironmentName, 'storage', record, 'update', jobFailure),
    );
  },
};
