import { AuthenticatedElement, ServiceName } from '../aws/enums.js';
import type { StorageConfig, StoragePermissions } from '../aws/map.js';
import {
  config,
  createBackendStorage,
  deleteBackendStorage,
  importBackendStorage,
  updateBackendStorage,
} from '../resolvers/storage.js';
import { builder, type InputFieldBuilder } from './builder.js';
import { mutationWithInput } from './mutation.js';
import { BackendStorage } from './refs.js';
import { environmentKeyFields, resourceKeyFields } from './key-fields.js';
import { createResourceMutation, resourceNode, resourcePayload, updateResourceMutation } from './resource.js';
import { pathValue } from './validation.js';

export const StorageService = builder.enumType('StorageService', { values: Object.values(ServiceName) });
// The model has two enums with the same three values (Authenticated/UnAuthenticatedElement).
export const StorageAccess = builder.enumType('StorageAccess', { values: Object.values(AuthenticatedElement) });

const BackendStoragePermissions = builder.objectRef<StoragePermissions>('BackendStoragePermissions').implement({
  fields: (t) => ({
    authenticated: t.expose('authenticated', { type: [StorageAccess] }),
    unAuthenticated: t.expose('unAuthenticated', { type: [StorageAccess] }),
  }),
});

const BackendStorageConfig = builder.objectRef<StorageConfig>('BackendStorageConfig').implement({
  fields: (t) => ({
    bucketName: t.exposeString('bucketName', { nullable: true }),
    imported: t.exposeBoolean('imported'),
    serviceName: t.expose('serviceName', { type: StorageService, nullable: true }),
    permissions: t.expose('permissions', { type: BackendStoragePermissions, nullable: true }),
  }),
});

resourceNode(BackendStorage, 'storage', {
  description: 'An S3 storage resource of an environment.',
  config: { type: BackendStorageConfig, description: 'GetBackendStorage.', resolve: config },
});

const BackendStoragePermissionsInput = builder.inputType('BackendStoragePermissionsInput', {
  fields: (t) => ({
    authenticated: t.field({ type: [StorageAccess], required: true }),
    unAuthenticated: t.field({ type: [StorageAccess] }),
  }),
});

// S3 is the only service the API knows; a client may leave it out.
const storageServiceField = (f: InputFieldBuilder) => f.field({ type: StorageService, defaultValue: 'S3' });

const storageConfigInput = (name: string, withBucket: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      ...(withBucket ? { bucketName: t.string({ validate: pathValue }) } : {}),
      permissions: t.field({ type: BackendStoragePermissionsInput, required: true }),
      serviceName: storageServiceField(t),
    }),
  });

const CreateBackendStorageConfigInput = storageConfigInput('CreateBackendStorageConfigInput', true);
const UpdateBackendStorageConfigInput = storageConfigInput('UpdateBackendStorageConfigInput', false);

const withService = <C extends { serviceName?: 'S3' | null }>(config: C) => ({ ...config, serviceName: config.serviceName ?? 'S3' });

const storagePayload = resourcePayload({ field: 'storage', type: BackendStorage });

createResourceMutation('createBackendStorage', {
  description: 'Adds S3 storage to an environment (CreateBackendStorage).',
  config: CreateBackendStorageConfigInput,
  resolve: (input, ctx) => createBackendStorage({ ...input, config: withService(input.config) }, ctx),
  payload: storagePayload,
});

updateResourceMutation('updateBackendStorage', {
  description: 'Changes the permissions of a storage resource (UpdateBackendStorage).',
  config: UpdateBackendStorageConfigInput,
  resolve: (input, ctx) => updateBackendStorage({ ...input, config: withService(input.config) }, ctx),
  payload: storagePayload,
});

mutationWithInput('deleteBackendStorage', {
  description: 'Removes a storage resource from an environment (DeleteBackendStorage).',
  inputFields: (f) => ({ ...resourceKeyFields(f, { creating: false }), serviceName: storageServiceField(f) }),
  resolve: (input, ctx) => deleteBackendStorage(withService(input), ctx),
  payload: storagePayload,
});

mutationWithInput('importBackendStorage', {
  description: 'Uses an existing S3 bucket as storage of an environment (ImportBackendStorage).',
  inputFields: (f) => ({
    ...environmentKeyFields(f),
    bucketName: f.string({ required: true, validate: pathValue }),
    serviceName: storageServiceField(f),
  }),
  resolve: (input, ctx) => importBackendStorage(withService(input), ctx),
  payload: resourcePayload(),
});
