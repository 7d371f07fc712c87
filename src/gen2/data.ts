import type { ApiAuthType, ApiConfig } from '../aws/map.js';
import type { ApiSource, ResourcePart } from './model.js';
import { note, type Gen2Note } from './notes.js';
import { code, literal, print, templateLiteral, type Value } from './source.js';

// Gen 1 (AmplifyBackend) API config -> amplify/data/resource.ts: defineData with the transform
// schema in its GraphQL-string form and the authorization modes Gen 2 knows.

/** Mode -> defineData's defaultAuthorizationMode. */
export const authorizationModes = {
  API_KEY: 'apiKey',
  AWS_IAM: 'iam',
  AMAZON_COGNITO_USER_POOLS: 'userPool',
  OPENID_CONNECT: 'oidc',
} as const;

/** AppSync's OIDC TTLs are milliseconds; defineData's are seconds. Unset or unreadable: 0, no check. */
export function ttlSeconds(milliseconds: string | undefined): number | undefined {
  if (milliseconds === undefined || milliseconds.trim() === '') return 0;
  const parsed = Number(milliseconds);
  return Number.isFinite(parsed) && parsed >= 0 ? Math.round(parsed / 1000) : undefined;
}

interface DataOptions {
  path: string;
  /** Whether the environment has auth: a user pool mode needs it. */
  hasAuth: boolean;
}

/** A Gen 1 API as a Gen 2 data resource; no file when the config cannot make one. */
export function dataPart(api: ApiSource, options: DataOptions): ResourcePart {
  const resource = `api/${api.resourceName}`;
  const notes: Gen2Note[] = [];
  const config = api.config;
  if (!config?.transformSchema) {
    notes.push(note(resource, 'ERROR', 'GetBackendAPI returned no transform schema: no data resource is generated for this API.'));
    return { notes, overrides: [] };
  }
  if (config.service !== undefined && config.service !== 'AppSync') {
    notes.push(note(resource, 'WARNING', `The API's service is ${literal(config.service)}, not AppSync; the schema is carried over as an AppSync data API.`));
  }
  notes.push(
    note(
      resource,
      'WARNING',
      'defineData creates new DynamoDB tables: the Gen 1 data stays in the Gen 1 tables. Map them with migratedAmplifyGen1DynamoDbTableMappings, or copy the items.',
    ),
  );
  conflictResolution(resource, config, notes);
  const props = {
    name: config.apiName,
    schema: code(templateLiteral(config.transformSchema)),
    authorizationModes: modes(resource, config, options, notes),
  };
  const contents = `import { defineData } from '@aws-amplify/backend';\n\nexport const data = defineData(${print(props)});\n`;
  return { file: { path: options.path, contents }, notes, overrides: [] };
}

function conflictResolution(resource: string, config: ApiConfig, notes: Gen2Note[]) {
  const strategy = config.conflictResolution;
  if (strategy === undefined || strategy === 'NONE') return;
  notes.push(
    note(
      resource,
      'WARNING',
      `Gen 1 resolves conflicts with ${strategy} (DataStore sync); defineData has no conflict-resolution setting and Gen 2 has no DataStore. ` +
        "Move clients to Gen 2's data client, or set conflict detection on the AppSync resolvers through a CDK override.",
    ),
  );
}

function modes(resource: string, config: ApiConfig, options: DataOptions, notes: Gen2Note[]): Value {
  const all = [config.defaultAuthType, ...config.additionalAuthTypes].filter((t): t is ApiAuthType => t?.mode !== undefined);
  const defaultMode = config.defaultAuthType?.mode;
  const out: Record<string, Value> = { defaultAuthorizationMode: defaultMode && authorizationModes[defaultMode] };
  if (defaultMode === 'AMAZON_COGNITO_USER_POOLS' && !options.hasAuth) {
    notes.push(note(resource, 'WARNING', 'The API authorizes with a user pool by default, and this environment has no auth resource: add one (defineAuth or referenceAuth) to backend.ts.'));
  }
  for (const [index, type] of all.entries()) {
    const isDefault = index === 0 && config.defaultAuthType?.mode !== undefined;
    const slot = modeSettings(resource, type, notes);
    if (!slot) continue;
    if (out[slot.key] !== undefined) {
      notes.push(note(resource, 'WARNING', `Gen 1 has more than one ${type.mode} authorization mode; defineData takes one, so only the first is carried over.`));
      continue;
    }
    out[slot.key] = slot.value;
    if (!isDefault) notes.push(note(resource, 'INFO', `Additional authorization mode ${type.mode}: carried over as ${slot.key}.`));
  }
  for (const type of config.additionalAuthTypes) {
    if (type.mode === 'AWS_IAM') notes.push(note(resource, 'INFO', 'Additional authorization mode AWS_IAM: Gen 2 enables IAM on every data API; nothing to set.'));
    if (type.mode === 'AMAZON_COGNITO_USER_POOLS') {
      notes.push(note(resource, options.hasAuth ? 'INFO' : 'WARNING', `Additional authorization mode AMAZON_COGNITO_USER_POOLS: Gen 2 enables it when the backend has auth${options.hasAuth ? '' : ', and this environment has none'}.`));
    }
  }
  return out;
}

/** The defineData member that carries one mode's settings, if the mode has any. */
function modeSettings(resource: string, type: ApiAuthType, notes: Gen2Note[]): { key: string; value: Value } | null {
  const settings = type.settings ?? {};
  if (type.mode === 'API_KEY') {
    return { key: 'apiKeyAuthorizationMode', value: { expiresInDays: settings.expirationTime, description: settings.description } };
  }
  if (type.mode === 'OPENID_CONNECT') return { key: 'oidcAuthorizationMode', value: oidcSettings(resource, type, notes) };
  if (type.mode === 'AMAZON_COGNITO_USER_POOLS' && settings.cognitoUserPoolId !== undefined) {
    notes.push(note(resource, 'INFO', `Gen 1 names the user pool ${literal(settings.cognitoUserPoolId)} for this API; Gen 2 uses the backend's own auth resource.`));
  }
  return null;
}

function oidcSettings(resource: string, type: ApiAuthType, notes: Gen2Note[]): Value {
  const settings = type.settings ?? {};
  const seconds = (ttl: string | undefined, name: string) => {
    const value = ttlSeconds(ttl);
    if (value !== undefined) return value;
    notes.push(note(resource, 'WARNING', `The OIDC ${name} ${literal(ttl ?? '')} is not a number of milliseconds; the generated files use 0 (no check).`));
    return 0;
  };
  if (!settings.openIDIssueURL) notes.push(note(resource, 'ERROR', 'The OIDC mode names no issuer URL: fill in oidcIssuerUrl.'));
  notes.push(note(resource, 'INFO', 'OIDC token lifetimes are milliseconds in Gen 1 and seconds in Gen 2: converted.'));
  return {
    oidcProviderName: settings.openIDProviderName ?? 'oidc',
    oidcIssuerUrl: settings.openIDIssueURL ?? '',
    clientId: settings.openIDClientId,
    tokenExpiryFromAuthInSeconds: seconds(settings.openIDAuthTTL, 'auth TTL'),
    tokenExpireFromIssueInSeconds: seconds(settings.openIDIatTTL, 'issued-at TTL'),
  };
}
