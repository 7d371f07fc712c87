import ts from 'typescript';
import type { ApiConfig, AuthConfig, StorageConfig, UserPoolConfig } from '../src/aws/map.js';
import { exportGen2 } from '../src/gen2/backend.js';
import type { Gen2Source } from '../src/gen2/model.js';
import type { Gen2Export } from '../src/gen2/model.js';

/** A user pool config as GetBackendAuth answers it (mapped), with `overrides` on top. */
export const userPoolModel = (overrides: Partial<UserPoolConfig> = {}): UserPoolConfig => ({
  userPoolName: 'pool',
  signInMethod: 'EMAIL',
  requiredSignUpAttributes: ['EMAIL'],
  ...overrides,
});

export const authModel = (userPool: Partial<UserPoolConfig> = {}, overrides: Partial<AuthConfig> = {}): AuthConfig => ({
  authResources: 'IDENTITY_POOL_AND_USER_POOL',
  service: 'COGNITO',
  identityPoolConfigs: { identityPoolName: 'ids', unauthenticatedLogin: true },
  userPoolConfigs: userPoolModel(userPool),
  ...overrides,
});

export const apiModel = (overrides: Partial<ApiConfig> = {}): ApiConfig => ({
  apiName: 'todo',
  service: 'AppSync',
  transformSchema: 'type Todo @model { id: ID! }\n',
  defaultAuthType: { mode: 'AMAZON_COGNITO_USER_POOLS' },
  additionalAuthTypes: [],
  ...overrides,
});

export const storageModel = (overrides: Partial<StorageConfig> = {}): StorageConfig => ({
  bucketName: 'bucket-1',
  imported: false,
  serviceName: 'S3',
  permissions: { authenticated: ['READ'], unAuthenticated: [] },
  ...overrides,
});

/** An export of one environment: an auth resource `auth`, APIs and storages by name. */
export function exportOf(parts: {
  auth?: AuthConfig | null;
  apis?: Record<string, ApiConfig>;
  storages?: Record<string, StorageConfig>;
}): Gen2Export {
  const source: Gen2Source = {
    auth: parts.auth === undefined ? null : { resourceName: 'auth', config: parts.auth },
    apis: Object.entries(parts.apis ?? {}).map(([resourceName, config]) => ({ resourceName, config })),
    storages: Object.entries(parts.storages ?? {}).map(([resourceName, config]) => ({ resourceName, config })),
  };
  return exportGen2(source);
}

export const fileOf = (exported: Gen2Export, path: string) => {
  const file = exported.files.find((f) => f.path === path);
  if (!file) throw new Error(`no ${path} among ${exported.files.map((f) => f.path).join(', ')}`);
  return file.contents;
};

/** `secret('NAME')` as the stub `secret` of `evaluate` returns it. */
export const secretRef = (name: string) => ({ secret: name });

/**
 * Runs a generated resource file (transpiled by TypeScript, as ampx would) with stubs for
 * @aws-amplify/backend: each define and reference function returns its argument, `secret` a marker. Answers
 * what the file exports. Proves what the source evaluates to, whatever strings went into it.
 */
export function evaluate(contents: string): Record<string, any> {
  const { outputText, diagnostics } = ts.transpileModule(contents, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
  });
  if (diagnostics?.length) throw new Error(ts.flattenDiagnosticMessageText(diagnostics[0].messageText, '\n'));
  const same = (props: unknown) => props;
  const backend = { defineAuth: same, defineData: same, defineStorage: same, referenceAuth: same, secret: (name: string) => secretRef(name) };
  const exports: Record<string, any> = {};
  const require = (name: string) => {
    if (name !== '@aws-amplify/backend') throw new Error(`the file requires ${name}`);
    return backend;
  };
  new Function('exports', 'require', outputText)(exports, require);
  return exports;
}

/** Syntax errors of a generated file, as TypeScript's parser reports them. */
export function syntaxErrors(contents: string): string[] {
  const file = ts.createSourceFile('x.ts', contents, ts.ScriptTarget.ES2022, true);
  const diagnostics = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics ?? [];
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
