import { AuthenticatedElement, ServiceName } from '../aws/enums.js';
import type { StorageConfig, StoragePermissions } from '../aws/map.js';
import {
  config,
  createBackendStorage,
  deleteBackendStorage,
  importBackendStorage,
  updateBackendStorage,
} from '../resolvers/storage.js';
import { builder } from './builder.js';
import { mutationWithInput } from './mutation.js';
import { BackendStorage } from './refs.js';
import { environmentKeyFields, resourceFields, resourceKeyFields, resourceNode, resourcePayload } from './resource.js';
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

builder.node(BackendStorage, {
  description: 'An S3 storage resource of an environment.',
  ...resourceNode('storage'),
  fields: (t) => ({
    ...resourceFields(t),
    config: t.field({
      type: BackendStorageConfig,
      nullable: true,
      description: 'GetBackendStorage.',
      resolve: (r, _a, ctx) => config(r, ctx),
    }),
  }),
});

const BackendStoragePermissionsInput = builder.inputType('BackendStoragePermissionsInput', {
  fields: (t) => ({
    authenticated: t.field({ type: [StorageAccess], required: true }),
    unAuthenticated: t.field({ type: [StorageAccess] }),
  }),
});

const storageConfigInput = (name: string, withBucket: boolean) =>
  builder.inputType(name, {
    fields: (t) => ({
      ...(withBucket ? { bucketName: t.string({ validate: pathValue }) } : {}),
      permissions: t.field({ type: BackendStoragePermissionsInput, required: true }),
      serviceName: t.field({ type: StorageService, defaultValue: 'S3' }),
    }),
  });

const CreateBackendStorageConfigInput = storageConfigInput('CreateBackendStorageConfigInput', true);
const UpdateBackendStorageConfigInput = storageConfigInput('UpdateBackendStorageConfigInput', false);

const withService = <C extends { serviceName?: 'S3' | null }>(config: C) => ({ ...config, serviceName: config.serviceName ?? 'S3' });

mutationWithInput('createBackendStorage', {
  type: () => resourcePayload('CreateBackendStoragePayload', { field: 'storage', type: BackendStorage }),
  description: 'Adds S3 storage to an environment (CreateBackendStorage).',
  inputName: 'CreateBackendStorageInput',
  inputFields: (f) => ({
    ...resourceKeyFields(f, { creating: true }),
    config: f.field({ type: CreateBackendStorageConfigInput, required: true }),
  }),
  resolve: (input, ctx) => createBackendStorage({ ...input, config: withService(input.config) }, ctx),
});

mutationWithInput('updateBackendStorage', {
  type: () => resourcePayload('UpdateBackendStoragePayload', { field: 'storage', type: BackendStorage }),
  description: 'Changes the permissions of a storage resource (UpdateBackendStorage).',
  inputName: 'UpdateBackendStorageInput',
  inputFields: (f) => ({
    ...resourceKeyFields(f, { creating: false }),
    config: f.field({ type: UpdateBackendStorageConfigInput, required: true }),
  }),
  resolve: (input, ctx) => updateBackendStorage({ ...input, config: withService(input.config) }, ctx),
});

mutationWithInput('deleteBackendStorage', {
  type: () => resourcePayload('DeleteBackendStoragePayload', { field: 'storage', type: BackendStorage }),
  description: 'Removes a storage resource from an environment (DeleteBackendStorage).',
  inputName: 'DeleteBackendStorageInput',
  inputFields: (f) => ({
    ...resourceKeyFields(f, { creating: false }),
    serviceName: f.field({ type: StorageService, defaultValue: 'S3' }),
  }),
  resolve: (input, ctx) => deleteBackendStorage(withService(input), ctx),
});

mutationWithInput('importBackendStorage', {
  type: () => resourcePayload('ImportBackendStoragePayload'),
  description: 'Uses an existing S3 bucket as storage of an environment (ImportBackendStorage).',
  inputName: 'ImportBackendStorageInput',
  inputFields: (f) => ({
    ...environmentKeyFields(f),
    bucketName: f.string({ required: true, validate: pathValue }),
    serviceName: f.field({ type: StorageService, defaultValue: 'S3' }),
  }),
  resolve: (input, ctx) => importBackendStorage(withService(input), ctx),
});
