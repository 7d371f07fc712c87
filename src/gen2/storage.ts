import type { StoragePermissions } from '../aws/map.js';
import type { ResourcePart, StorageSource } from './model.js';
import { note, type Gen2Note } from './notes.js';
import { code, literal, print, type Value } from './source.js';

// Gen 1 (AmplifyBackend) storage config -> amplify/storage/resource.ts: defineStorage with access
// rules on Gen 1's public/protected/private prefixes, so clients find their files where they were.

/** AuthenticatedElement / UnAuthenticatedElement -> Gen 2 storage actions. */
export const storageActions = { READ: 'read', CREATE_AND_UPDATE: 'write', DELETE: 'delete' } as const;

type AuthenticatedElement = StoragePermissions['authenticated'][number];

const actions = (permissions: readonly AuthenticatedElement[]) => [...new Set(permissions.map((p) => storageActions[p]))];

interface StorageOptions {
  path: string;
  isDefault: boolean;
  /** Whether the environment lets guests in (an identity pool with unauthenticated login). */
  guestsAllowed: boolean;
  /** Whether another storage already is the outputs' default bucket (a managed one, an earlier import). */
  outputTaken: boolean;
}

const rule = (who: string, acts: string[]) => (acts.length === 0 ? undefined : code(`allow.${who}.to(${print(acts)})`));

/** Gen 1's three prefixes with the authenticated and guest permissions the config gives. */
export function accessRules(authenticated: readonly AuthenticatedElement[], guest: readonly AuthenticatedElement[]): Record<string, Value> {
  const auth = actions(authenticated);
  const guests = actions(guest);
  const readOnly = (acts: string[]) => acts.filter((a) => a === 'read');
  const rules: Record<string, Value[]> = {
    'public/*': [rule('guest', guests), rule('authenticated', auth)],
    'protected/{entity_id}/*': [rule('guest', readOnly(guests)), rule('authenticated', readOnly(auth)), rule("entity('identity')", auth)],
    'private/{entity_id}/*': [rule("entity('identity')", auth)],
  };
  const kept = Object.entries(rules)
    .map(([path, list]) => [path, list.filter((r) => r !== undefined)] as const)
    .filter(([, list]) => list.length > 0);
  return Object.fromEntries(kept);
}

/** A Gen 1 storage resource as a Gen 2 one; an imported bucket is added to the outputs instead. */
export function storagePart(storage: StorageSource, options: StorageOptions): ResourcePart {
  const resource = `storage/${storage.resourceName}`;
  const notes: Gen2Note[] = [];
  const config = storage.config;
  if (!config) {
    notes.push(note(resource, 'ERROR', 'GetBackendStorage returned no configuration: no storage resource is generated for it.'));
    return { notes, overrides: [] };
  }
  if (config.imported) return importedBucket(resource, storage, options.outputTaken, notes);
  const permissions = config.permissions ?? { authenticated: [], unAuthenticated: [] };
  if (permissions.unAuthenticated.length > 0 && !options.guestsAllowed) {
    notes.push(note(resource, 'WARNING', 'The storage gives guests access, and the auth resource allows no guest (unauthenticated) login: guests cannot reach it until it does.'));
  }
  notes.push(
    note(
      resource,
      'WARNING',
      `defineStorage creates a new bucket: the objects of the Gen 1 bucket ${literal(config.bucketName ?? '')} stay there. Copy them (aws s3 sync) to the new bucket.`,
    ),
  );
  notes.push(note(resource, 'INFO', 'Access rules are set on the Gen 1 prefixes public/, protected/{identity id}/ and private/{identity id}/, so clients find their files where they were.'));
  const rules = accessRules(permissions.authenticated, permissions.unAuthenticated);
  const props = {
    name: storage.resourceName,
    isDefault: options.isDefault ? true : undefined,
    access: Object.keys(rules).length === 0 ? undefined : code(`(allow) => (${print(rules, '  ')})`),
  };
  const contents = `import { defineStorage } from '@aws-amplify/backend';\n\nexport const storage = defineStorage(${print(props)});\n`;
  return { file: { path: options.path, contents }, notes, overrides: [] };
}

/** Gen 2 has no defineStorage for a bucket it does not own: the bucket goes to the client outputs. */
function importedBucket(resource: string, storage: StorageSource, outputTaken: boolean, notes: Gen2Note[]): ResourcePart {
  const bucket = storage.config?.bucketName ?? '<BUCKET_NAME>';
  const region = storage.region ?? '<REGION>';
  if (!storage.config?.bucketName) notes.push(note(resource, 'ERROR', `The imported bucket has no name: replace ${literal(bucket)} in backend.ts.`));
  if (!storage.region) notes.push(note(resource, 'ERROR', `amplify-meta names no region for the imported bucket: replace ${literal(region)} in backend.ts.`));
  notes.push(
    note(
      resource,
      'WARNING',
      `Gen 1 imports the bucket ${literal(bucket)}; Gen 2 keeps using it through backend.addOutput (in backend.ts), with no defineStorage. ` +
        "Its IAM policies for the auth and guest roles are not generated: grant them with a CDK Policy on backend.auth.resources.authenticatedUserIamRole / unauthenticatedUserIamRole.",
    ),
  );
  const output = { storage: { aws_region: region, bucket_name: bucket } };
  if (outputTaken) {
    // Two storage.bucket_name outputs would contend for the one default bucket.
    notes.push(note(resource, 'WARNING', `Another storage is already the default bucket of the client outputs: add ${literal(bucket)} (${literal(region)}) to the outputs' storage.buckets by hand.`));
    return { notes, overrides: [] };
  }
  return { notes, overrides: [`backend.addOutput(${print(output)});`] };
}
