import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { badRequest, notFound, pendingJob, ServiceError } from './errors.js';
import type { StartingJob } from './faults.js';
import { generateModels, parseTransformSchema, type GeneratedModels } from './model-generation.js';

// Everything the emulator knows, as plain JSON so it can be saved to a file and loaded back.
export interface EmulatorState {
  version: 1;
  apps: Record<string, AppRecord>;
  /** Jobs by id, in creation order. They outlive their environment, as on the real service. */
  jobs: Record<string, JobRecord>;
  tokens: Record<string, TokenRecord>;
  buckets: Record<string, BucketRecord>;
  /** The emulator's clock when saved, so a restarted manual clock does not run backwards. */
  clock?: number;
}

export interface AppRecord {
  appId: string;
  appName: string;
  environments: Record<string, EnvironmentRecord>;
  config?: { backendManagerAppId: string; loginAuthConfig?: Record<string, string> };
}

export interface EnvironmentRecord {
  name: string;
  createTime: string;
  featureFlags: Record<string, unknown>;
  api: Record<string, ApiRecord>;
  auth: Record<string, AuthRecord>;
  storage: Record<string, StorageRecord>;
}

export interface ApiRecord {
  resourceName: string;
  resourceConfig: Record<string, unknown>;
  /** The last GenerateBackendAPIModels result and the schema it was made from. */
  generated?: GeneratedModels & { transformSchema: string };
}

export interface AuthRecord {
  resourceName: string;
  resourceConfig: Record<string, unknown>;
  imported?: { userPoolId: string; webClientId: string; nativeClientId: string; identityPoolId?: string };
}

export interface StorageRecord {
  resourceName: string;
  bucketName: string;
  imported: boolean;
  permissions?: Record<string, unknown>;
}

export interface JobRecord {
  jobId: string;
  appId: string;
  /** App-wide jobs (RemoveAllBackends, CreateBackendConfig) belong to every environment of the app. */
  environmentNames: string[];
  operation: string;
  status: string;
  createTime: string;
  updateTime: string;
  error?: string;
  completesAt: number;
  /** Set by a `failJob` fault: the job ends FAILED with this message and changes nothing. */
  failWith?: string;
  effect?: Effect;
}

export interface TokenRecord {
  appId: string;
  sessionId: string;
  challengeCode: string;
  ttl: string;
  expiresAt: number;
}

export interface BucketRecord {
  name: string;
  creationDate: string;
}

/** Asked once a job is about to start, told what it is; a message makes that job end FAILED (fault injection). */
export type JobFailureHook = (job: StartingJob) => string | undefined;

export type Category = 'api' | 'auth' | 'storage';

/** What a job does to the state when it completes; plain data so pending jobs survive a restart. */
export type Effect =
  | { type: 'addEnvironment'; appId: string; environmentName: string }
  | { type: 'cloneEnvironment'; appId: string; from: string; to: string }
  | { type: 'removeEnvironment'; appId: string; environmentName: string }
  | { type: 'removeAllEnvironments'; appId: string; cleanAmplifyApp: boolean }
  | { type: 'putResource'; appId: string; environmentName: string; category: Category; record: ApiRecord | AuthRecord | StorageRecord }
  | { type: 'removeResource'; appId: string; environmentName: string; category: Category; resourceName: string }
  | { type: 'generateModels'; appId: string; environmentName: string; resourceName: string }
  | { type: 'createConfig'; appId: string; backendManagerAppId: string };

export const JOB_IN_PROGRESS = 'IN_PROGRESS';
export const JOB_COMPLETED = 'COMPLETED';
export const JOB_FAILED = 'FAILED';

export interface StoreOptions {
  clock: Clock;
  /** How long a job stays IN_PROGRESS on the emulator's clock. @default 3000 */
  jobDurationMs?: number;
  /** Lifetime of admin tokens (CreateToken). @default 3600 */
  tokenTtlSeconds?: number;
  /** Region reported in amplify-meta outputs. @default 'us-east-1' */
  region?: string;
}

export const emptyState = (): EmulatorState => ({ version: 1, apps: {}, jobs: {}, tokens: {}, buckets: {} });

// In memory every collection keyed by a client's string is a Map: a name such as `__proto__` or
// `constructor` is then just a name, never a property of Object.prototype. The plain-object
// EmulatorState is only the saved form, converted at the edges (load, replace, snapshot).
interface Resources {
  api: ApiRecord;
  auth: AuthRecord;
  storage: StorageRecord;
}

interface AppState extends Omit<AppRecord, 'environments'> {
  environments: Map<string, EnvironmentState>;
}

interface EnvironmentState extends Omit<EnvironmentRecord, Category> {
  api: Map<string, ApiRecord>;
  auth: Map<string, AuthRecord>;
  storage: Map<string, StorageRecord>;
}

interface State {
  apps: Map<string, AppState>;
  jobs: Map<string, JobRecord>;
  tokens: Map<string, TokenRecord>;
  buckets: Map<string, BucketRecord>;
}

// Object.entries and Object.fromEntries define own properties, so a `__proto__` key survives both ways.
const toMap = <T, U>(record: Record<string, T>, convert: (value: T) => U) =>
  new Map(Object.entries(record).map(([key, value]) => [key, convert(value)]));
const toRecord = <T, U>(map: Map<string, T>, convert: (value: T) => U): Record<string, U> =>
  Object.fromEntries([...map].map(([key, value]) => [key, convert(value)]));
const same = <T>(value: T) => value;

function environmentState({ api, auth, storage, ...rest }: EnvironmentRecord): EnvironmentState {
  return { ...rest, api: toMap(api, same), auth: toMap(auth, same), storage: toMap(storage, same) };
}

function environmentRecord({ api, auth, storage, ...rest }: EnvironmentState): EnvironmentRecord {
  return { ...rest, api: toRecord(api, same), auth: toRecord(auth, same), storage: toRecord(storage, same) };
}

function fromSaved(saved: EmulatorState): State {
  const copy = structuredClone(saved);
  return {
    apps: toMap(copy.apps, ({ environments, ...app }) => ({ ...app, environments: toMap(environments, environmentState) })),
    jobs: toMap(copy.jobs, same),
    tokens: toMap(copy.tokens, same),
    buckets: toMap(copy.buckets, same),
  };
}

function toSaved(state: State, clock: number): EmulatorState {
  return structuredClone({
    version: 1,
    apps: toRecord(state.apps, ({ environments, ...app }) => ({ ...app, environments: toRecord(environments, environmentRecord) })),
    jobs: toRecord(state.jobs, same),
    tokens: toRecord(state.tokens, same),
    buckets: toRecord(state.buckets, same),
    clock,
  });
}

export function createStore(options: StoreOptions, initial: EmulatorState = emptyState()) {
  const { clock } = options;
  const jobDurationMs = options.jobDurationMs ?? 3000;
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
  const region = options.region ?? 'us-east-1';
  let state = fromSaved(initial);
  // Bumped on every change, so the server knows when the state file needs writing.
  let revision = 0;
  const changed = () => void revision++;
  const iso = (ms = clock.now()) => new Date(ms).toISOString();

  function app(appId: string): AppState {
    const found = state.apps.get(appId);
    if (!found) throw notFound('app', `App ${appId} not found`);
    return found;
  }

  function environment(appId: string, environmentName: string): EnvironmentState {
    const found = app(appId).environments.get(environmentName);
    if (!found) throw notFound('environment', `Environment ${environmentName} not found in app ${appId}`);
    return found;
  }

  function resource<C extends Category>(appId: string, environmentName: string, category: C, resourceName: string) {
    const found = (environment(appId, environmentName)[category] as Map<string, Resources[C]>).get(resourceName);
    if (!found) {
      throw notFound(category, `${category} resource ${resourceName} not found in environment ${environmentName}`);
    }
    return found;
  }

  const jobsOf = (appId: string, environmentName: string) =>
    [...state.jobs.values()].filter((j) => j.appId === appId && j.environmentNames.includes(environmentName));

  function assertNoPendingJob(appId: string, environmentNames: string[]) {
    const busy = [...state.jobs.values()].some(
      (j) => j.appId === appId && j.status === JOB_IN_PROGRESS && j.environmentNames.some((e) => environmentNames.includes(e)),
    );
    if (busy) throw pendingJob();
  }

  function startJob(appId: string, environmentNames: string[], operation: string, effect: Effect | undefined, fail?: JobFailureHook) {
    assertNoPendingJob(appId, environmentNames);
    const now = clock.now();
    const failWith = fail?.({ operation, appId, environmentNames, effect });
    const job: JobRecord = {
      jobId: randomUUID(),
      appId,
      environmentNames,
      operation,
      status: JOB_IN_PROGRESS,
      createTime: iso(now),
      updateTime: iso(now),
      completesAt: now + jobDurationMs,
      ...(failWith ? { failWith } : {}),
      effect,
    };
    state.jobs.set(job.jobId, job);
    changed();
    return job;
  }

  function finishJob(job: JobRecord, at: number, status: string) {
    job.updateTime = iso(at);
    if (status === JOB_COMPLETED && job.failWith) {
      job.status = JOB_FAILED;
      job.error = job.failWith;
    } else if (status === JOB_COMPLETED && job.effect) {
      try {
        applyEffect(job.effect, at);
        job.status = JOB_COMPLETED;
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        job.status = JOB_FAILED;
        job.error = error.message;
      }
    } else {
      job.status = status;
    }
    delete job.effect;
    delete job.failWith;
    changed();
  }

  /** Completes every job whose time has come, oldest first, and drops expired tokens. */
  function settle() {
    const now = clock.now();
    const due = [...state.jobs.values()]
      .filter((j) => j.status === JOB_IN_PROGRESS && j.completesAt <= now)
      .sort((a, b) => a.completesAt - b.completesAt);
    for (const job of due) finishJob(job, job.completesAt, JOB_COMPLETED);
    for (const token of [...state.tokens.values()]) {
      if (token.expiresAt <= now) {
        state.tokens.delete(token.sessionId);
        changed();
      }
    }
  }

  function newEnvironment(name: string, at: number): EnvironmentState {
    return {
      name,
      createTime: iso(at),
      featureFlags: defaultFeatureFlags(),
      api: new Map(),
      auth: new Map(),
      storage: new Map(),
    };
  }

  function addBucket(name: string, at: number) {
    if (!state.buckets.has(name)) state.buckets.set(name, { name, creationDate: iso(at) });
  }

  function applyEffect(effect: Effect, at: number) {
    switch (effect.type) {
      case 'addEnvironment': {
        const target = app(effect.appId);
        if (target.environments.has(effect.environmentName)) {
          throw badRequest(`Environment ${effect.environmentName} already exists`);
        }
        target.environments.set(effect.environmentName, newEnvironment(effect.environmentName, at));
        return;
      }
      case 'cloneEnvironment': {
        const source = environment(effect.appId, effect.from);
        const target = app(effect.appId);
        if (target.environments.has(effect.to)) throw badRequest(`Environment ${effect.to} already exists`);
        const copy = structuredClone(source);
        copy.name = effect.to;
        copy.createTime = iso(at);
        for (const storage of copy.storage.values()) {
          if (storage.imported) continue;
          storage.bucketName = bucketNameFor(storage.resourceName, effect.appId, effect.to);
          addBucket(storage.bucketName, at);
        }
        target.environments.set(effect.to, copy);
        return;
      }
      case 'removeEnvironment':
        environment(effect.appId, effect.environmentName);
        app(effect.appId).environments.delete(effect.environmentName);
        return;
      case 'removeAllEnvironments':
        if (effect.cleanAmplifyApp) state.apps.delete(effect.appId);
        else app(effect.appId).environments = new Map();
        return;
      case 'putResource': {
        const env = environment(effect.appId, effect.environmentName);
        (env[effect.category] as Map<string, unknown>).set(effect.record.resourceName, effect.record);
        if (effect.category === 'storage') {
          const storage = effect.record as StorageRecord;
          if (!storage.imported) addBucket(storage.bucketName, at);
        }
        return;
      }
      case 'removeResource':
        resource(effect.appId, effect.environmentName, effect.category, effect.resourceName);
        environment(effect.appId, effect.environmentName)[effect.category].delete(effect.resourceName);
        return;
      case 'generateModels': {
        const api = resource(effect.appId, effect.environmentName, 'api', effect.resourceName);
        const transformSchema = String(api.resourceConfig.transformSchema ?? '');
        api.generated = { ...generateModels(transformSchema), transformSchema };
        return;
      }
      case 'createConfig': {
        const target = app(effect.appId);
        target.config = { ...target.config, backendManagerAppId: effect.backendManagerAppId };
        return;
      }
    }
  }

  function amplifyMeta(appId: string, env: EnvironmentState) {
    const stack = `amplify-${appId}-${env.name}`;
    const category = <R>(records: Map<string, R>, describe: (r: R) => Record<string, unknown>) =>
      toRecord(records, (r) => ({ providerPlugin: 'awscloudformation', ...describe(r) }));
    return {
      providers: {
        awscloudformation: {
          Region: region,
          StackName: stack,
          DeploymentBucketName: `${stack}-deployment`,
          AuthRoleName: `${stack}-authRole`,
          UnauthRoleName: `${stack}-unauthRole`,
        },
      },
      api: category(env.api, (api) => ({
        service: 'AppSync',
        output: {
          GraphQLAPIIdOutput: fakeId(`${stack}-${api.resourceName}`, 26),
          GraphQLAPIEndpointOutput: `https://${fakeId(`${stack}-${api.resourceName}-host`, 26)}.appsync-api.${region}.amazonaws.com/graphql`,
          authConfig: {
            defaultAuthentication: api.resourceConfig.defaultAuthType ?? { mode: 'API_KEY' },
            additionalAuthenticationProviders: api.resourceConfig.additionalAuthTypes ?? [],
          },
        },
      })),
      auth: category(env.auth, (auth) => ({
        service: 'Cognito',
        serviceType: auth.imported ? 'imported' : 'managed',
        output: {
          UserPoolId: auth.imported?.userPoolId ?? `${region}_${fakeId(`${stack}-${auth.resourceName}`, 9)}`,
          AppClientIDWeb: auth.imported?.webClientId ?? fakeId(`${stack}-${auth.resourceName}-web`, 26),
          AppClientID: auth.imported?.nativeClientId ?? fakeId(`${stack}-${auth.resourceName}-native`, 26),
          ...(auth.imported?.identityPoolId || auth.resourceConfig.authResources === 'IDENTITY_POOL_AND_USER_POOL'
            ? { IdentityPoolId: auth.imported?.identityPoolId ?? `${region}:${fakeUuid(`${stack}-${auth.resourceName}-idp`)}` }
            : {}),
        },
      })),
      storage: category(env.storage, (storage) => ({
        service: 'S3',
        serviceType: storage.imported ? 'imported' : 'managed',
        output: { BucketName: storage.bucketName, Region: region },
      })),
    };
  }

  return {
    get revision() {
      return revision;
    },
    snapshot: (): EmulatorState => toSaved(state, clock.now()),
    replace(next: EmulatorState) {
      state = fromSaved(next);
      changed();
    },
    settle,

    // --- apps and environments -------------------------------------------------------------

    getBackend(appId: string, environmentName?: string) {
      const found = app(appId);
      const base = {
        appId,
        appName: found.appName,
        backendEnvironmentList: [...found.environments.keys()],
      };
      if (environmentName === undefined) return base;
      const env = environment(appId, environmentName);
      return {
        ...base,
        backendEnvironmentName: env.name,
        amplifyMetaConfig: JSON.stringify(amplifyMeta(appId, env)),
        amplifyFeatureFlags: JSON.stringify(env.featureFlags),
      };
    },

    createBackend(appId: string, appName: string, environmentName: string, fail?: JobFailureHook) {
      const existing = state.apps.get(appId);
      if (existing?.environments.has(environmentName)) {
        throw badRequest(`Environment ${environmentName} already exists in app ${appId}`);
      }
      assertNoPendingJob(appId, [environmentName]);
      // The Amplify app itself exists as soon as it is named; its environment appears when the job completes.
      if (existing) existing.appName = appName;
      else state.apps.set(appId, { appId, appName, environments: new Map() });
      changed();
      return startJob(appId, [environmentName], 'CreateBackend', { type: 'addEnvironment', appId, environmentName }, fail);
    },

    cloneBackend(appId: string, from: string, to: string, fail?: JobFailureHook) {
      environment(appId, from);
      if (app(appId).environments.has(to)) throw badRequest(`Environment ${to} already exists in app ${appId}`);
      return startJob(appId, [from, to], 'CloneBackend', { type: 'cloneEnvironment', appId, from, to }, fail);
    },

    deleteBackend(appId: string, environmentName: string, fail?: JobFailureHook) {
      environment(appId, environmentName);
      return startJob(appId, [environmentName], 'DeleteBackend', { type: 'removeEnvironment', appId, environmentName }, fail);
    },

    removeAllBackends(appId: string, cleanAmplifyApp: boolean, fail?: JobFailureHook) {
      const names = [...app(appId).environments.keys()];
      return startJob(appId, names, 'RemoveAllBackends', { type: 'removeAllEnvironments', appId, cleanAmplifyApp }, fail);
    },

    // --- resources -------------------------------------------------------------------------

    getResource<C extends Category>(appId: string, environmentName: string, category: C, resourceName: string) {
      return resource(appId, environmentName, category, resourceName);
    },

    putResource(
      operation: string,
      appId: string,
      environmentName: string,
      category: Category,
      record: ApiRecord | AuthRecord | StorageRecord,
      mode: 'create' | 'update',
      fail?: JobFailureHook,
    ) {
      const env = environment(appId, environmentName);
      const exists = env[category].has(record.resourceName);
      if (mode === 'create' && exists) {
        throw badRequest(`${category} resource ${record.resourceName} already exists in environment ${environmentName}`);
      }
      if (mode === 'update' && !exists) resource(appId, environmentName, category, record.resourceName);
      if (mode === 'create' && category === 'auth' && env.auth.size > 0) {
        throw badRequest(`Environment ${environmentName} already has an auth resource: ${[...env.auth.keys()][0]}`);
      }
      if (category === 'api' && typeof (record as ApiRecord).resourceConfig.transformSchema === 'string') {
        parseTransformSchema(String((record as ApiRecord).resourceConfig.transformSchema));
      }
      return startJob(appId, [environmentName], operation, { type: 'putResource', appId, environmentName, category, record }, fail);
    },

    removeResource(operation: string, appId: string, environmentName: string, category: Category, resourceName: string, fail?: JobFailureHook) {
      resource(appId, environmentName, category, resourceName);
      return startJob(appId, [environmentName], operation, { type: 'removeResource', appId, environmentName, category, resourceName }, fail);
    },

    generateModels(appId: string, environmentName: string, resourceName: string, fail?: JobFailureHook) {
      const api = resource(appId, environmentName, 'api', resourceName);
      if (typeof api.resourceConfig.transformSchema !== 'string') {
        throw badRequest(`API ${resourceName} has no transformSchema to generate models from`);
      }
      return startJob(appId, [environmentName], 'GenerateBackendAPIModels', { type: 'generateModels', appId, environmentName, resourceName }, fail);
    },

    bucketNameFor,
    hasBucket: (name: string) => state.buckets.has(name),

    // --- jobs ----------------------------------------------------------------------------

    getJob(appId: string, environmentName: string, jobId: string) {
      const job = state.jobs.get(jobId);
      if (!job || job.appId !== appId || !job.environmentNames.includes(environmentName)) {
        throw notFound('job', `Job ${jobId} not found in app ${appId}, environment ${environmentName}`);
      }
      return job;
    },

    /** Jobs of an environment, newest first. */
    listJobs(appId: string, environmentName: string) {
      const jobs = jobsOf(appId, environmentName);
      // An environment that never existed and never had a job is unknown; a deleted one keeps its history.
      if (jobs.length === 0) environment(appId, environmentName);
      return jobs.reverse();
    },

    updateJob(job: JobRecord, changes: { operation?: string; status?: string }) {
      if (changes.operation !== undefined) job.operation = changes.operation;
      if (changes.status !== undefined && changes.status !== job.status) {
        if (job.status === JOB_IN_PROGRESS) {
          finishJob(job, clock.now(), changes.status);
        } else {
          job.status = changes.status;
          if (changes.status === JOB_IN_PROGRESS) job.completesAt = clock.now() + jobDurationMs;
        }
      }
      job.updateTime = iso();
      changed();
      return job;
    },

    // --- tokens and config ---------------------------------------------------------------

    createToken(appId: string) {
      app(appId);
      const token: TokenRecord = {
        appId,
        sessionId: randomUUID(),
        challengeCode: String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0'),
        ttl: String(tokenTtlSeconds),
        expiresAt: clock.now() + tokenTtlSeconds * 1000,
      };
      state.tokens.set(token.sessionId, token);
      changed();
      return token;
    },

    getToken(appId: string, sessionId: string) {
      const token = state.tokens.get(sessionId);
      if (!token || token.appId !== appId) throw notFound('token', `Session ${sessionId} not found or expired`);
      return token;
    },

    deleteToken(appId: string, sessionId: string) {
      const token = state.tokens.get(sessionId);
      if (!token || token.appId !== appId) throw notFound('token', `Session ${sessionId} not found or expired`);
      state.tokens.delete(sessionId);
      changed();
    },

    createConfig(appId: string, backendManagerAppId: string, fail?: JobFailureHook) {
      const names = [...app(appId).environments.keys()];
      return startJob(appId, names, 'CreateBackendConfig', { type: 'createConfig', appId, backendManagerAppId }, fail);
    },

    updateConfig(appId: string, loginAuthConfig: Record<string, string> | undefined) {
      const found = app(appId);
      if (!found.config) throw notFound('config', `App ${appId} has no backend config; call CreateBackendConfig first`);
      if (loginAuthConfig) found.config.loginAuthConfig = { ...found.config.loginAuthConfig, ...loginAuthConfig };
      changed();
      return found.config;
    },

    removeConfig(appId: string) {
      const found = app(appId);
      if (!found.config) throw notFound('config', `App ${appId} has no backend config`);
      delete found.config;
      changed();
    },

    /** Buckets sorted by name. */
    listBuckets: () => [...state.buckets.values()].sort((a, b) => a.name.localeCompare(b.name)),
    addBucket(name: string) {
      addBucket(name, clock.now());
      changed();
    },
  };
}

export type Store = ReturnType<typeof createStore>;

export function bucketNameFor(resourceName: string, appId: string, environmentName: string) {
  const name = `${resourceName}-${appId}-${environmentName}`.toLowerCase().replace(/[^a-z0-9.-]/g, '');
  return name.slice(0, 63);
}

export const defaultFeatureFlags = () => ({
  features: {
    graphqltransformer: { transformerversion: 2, useexperimentalpipelinedtransformer: true },
    auth: { enablecaseinsensitivity: true, useinclusiveterminology: true },
    codegen: { useappsyncmodelgenplugin: true, generatemodelsforlazyloadandcustomselectionset: true },
  },
});

// Stable, realistic-looking ids derived from a name, so amplify-meta is the same on every read.
function fakeId(seed: string, length: number) {
  let h = 2166136261;
  let out = '';
  while (out.length < length) {
    for (const ch of seed + out.length) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(36);
  }
  return out.slice(0, length);
}

const fakeUuid = (seed: string) => {
  const hex = [...fakeId(seed, 32)].map((c) => (parseInt(c, 36) % 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};
