import type { StartingJob } from '../faults.js';
import type { GeneratedModels } from '../model-generation.js';

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
  /** When the Amplify app was first named (ListApps/GetApp); absent in state saved before it was kept. */
  createTime?: string;
  environments: Record<string, EnvironmentRecord>;
  config?: { backendManagerAppId: string; loginAuthConfig?: Record<string, string> };
}

export type EnvironmentRecord = {
  name: string;
  createTime: string;
  featureFlags: Record<string, unknown>;
} & { [C in Category]: Record<string, ResourceRecords[C]> };

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

/** An environment's resources, by category, and the record each category holds. */
export interface ResourceRecords {
  api: ApiRecord;
  auth: AuthRecord;
  storage: StorageRecord;
}

export type Category = keyof ResourceRecords;

/** What a job does to the state when it completes; plain data so pending jobs survive a restart. */
export type Effect =
  | { type: 'addEnvironment'; appId: string; environmentName: string }
  | { type: 'cloneEnvironment'; appId: string; from: string; to: string }
  | { type: 'removeEnvironment'; appId: string; environmentName: string }
  | { type: 'removeAllEnvironments'; appId: string; cleanAmplifyApp: boolean }
  | { type: 'putResource'; appId: string; environmentName: string; category: Category; record: ResourceRecords[Category] }
  | { type: 'removeResource'; appId: string; environmentName: string; category: Category; resourceName: string }
  | { type: 'generateModels'; appId: string; environmentName: string; resourceName: string }
  | { type: 'createConfig'; appId: string; backendManagerAppId: string };

export const JOB_IN_PROGRESS = 'IN_PROGRESS';
export const JOB_COMPLETED = 'COMPLETED';
export const JOB_FAILED = 'FAILED';

export const emptyState = (): EmulatorState => ({ version: 1, apps: {}, jobs: {}, tokens: {}, buckets: {} });
