import type { ApiConfig, AuthConfig, StorageConfig } from '../aws/map.js';
import type { Gen2File, Gen2Note } from './notes.js';

/** What amplify-meta says of an imported user pool (GetBackendAuth does not say it is imported). */
export interface ImportedAuth {
  userPoolId?: string;
  userPoolClientId?: string;
  identityPoolId?: string;
  authRoleArn?: string;
  unauthRoleArn?: string;
}

export interface AuthSource {
  resourceName: string;
  config: AuthConfig | null;
  /** Present when amplify-meta says the auth resource is imported. */
  imported?: ImportedAuth;
}

export interface ApiSource {
  resourceName: string;
  config: ApiConfig | null;
}

export interface StorageSource {
  resourceName: string;
  config: StorageConfig | null;
  /** From amplify-meta, for an imported bucket. */
  region?: string;
}

/** An environment's live configuration, as the gateway reads it. */
export interface Gen2Source {
  auth: AuthSource | null;
  apis: ApiSource[];
  storages: StorageSource[];
}

/** One resource's part of the export: its file (if any), notes, and what backend.ts adds for it. */
export interface ResourcePart {
  file?: Gen2File;
  notes: Gen2Note[];
  /** Statements for backend.ts after `defineBackend`, with `backend` in scope. */
  overrides: string[];
}

export interface Gen2Export {
  files: Gen2File[];
  notes: Gen2Note[];
}
