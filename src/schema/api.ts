import { Mode, ResolutionStrategy, Status } from '../aws/enums.js';
import type { ApiAuthSettings, ApiAuthType, ApiConfig, ApiModels } from '../aws/map.js';
import {
  config,
  createBackendApi,
  deleteBackendApi,
  generateBackendApiModels,
  models,
  parseModels,
  updateBackendApi,
  type ApiConfigInput,
} from '../resolvers/api.js';
import { builder } from './builder.js';
import { mutationWithInput } from './mutation.js';
import { BackendApi } from './refs.js';
import { resourceKeyFields } from './key-fields.js';
import { createResourceMutation, resourceNode, resourcePayload, updateResourceMutation } from './resource.js';
import { nonEmpty, transformSchema } from './validation.js';

export const ApiAuthMode = builder.enumType('ApiAuthMode', { values: Object.values(Mode) });
export const ResolutionStrategyEnum = builder.enumType('ResolutionStrategy', { values: Object.values(ResolutionStrategy) });
export const ApiModelsStatus = builder.enumType('ApiModelsStatus', {
  description: 'LATEST when the models were generated from the current transform schema.',
  values: Object.values(Status),
});

const BackendApiAuthSettings = builder.objectRef<ApiAuthSettings>('BackendApiAuthSettings').implement({
  fields: (t) => ({
    cognitoUserPoolId: t.exposeString('cognitoUserPoolId', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    expirationTime: t.exposeFloat('expirationTime', { nullable: true, description: 'API key lifetime, in days.' }),
    openIDAuthTTL: t.exposeString('openIDAuthTTL', { nullable: true }),
    openIDClientId: t.exposeString('openIDClientId', { nullable: true }),
    openIDIatTTL: t.exposeString('openIDIatTTL', { nullable: true }),
    openIDIssueURL: t.exposeString('openIDIssueURL', { nullable: true }),
    openIDProviderName: t.exposeString('openIDProviderName', { nullable: true }),
  }),
});

const BackendApiAuthType = builder.objectRef<ApiAuthType>('BackendApiAuthType').implement({
  fields: (t) => ({
    mode: t.expose('mode', { type: ApiAuthMode, nullable: true }),
    settings: t.expose('settings', { type: BackendApiAuthSettings, nullable: true }),
  }),
});

const BackendApiConfig = builder.objectRef<ApiConfig>('BackendApiConfig').implement({
  fields: (t) => ({
    apiName: t.exposeString('apiName', { nullable: true }),
    service: t.exposeString('service', { nullable: true }),
    transformSchema: t.exposeString('transformSchema', { nullable: true, description: 'The GraphQL schema Amplify transforms.' }),
    defaultAuthType: t.expose('defaultAuthType', { type: BackendApiAuthType, nullable: true }),
    additionalAuthTypes: t.expose('additionalAuthTypes', { type: [BackendApiAuthType] }),
    conflictResolution: t.expose('conflictResolution', { type: ResolutionStrategyEnum, nullable: true }),
  }),
});

const BackendApiModels = builder.objectRef<ApiModels>('BackendApiModels').implement({
  description: 'DataStore models generated from the transform schema (GetBackendAPIModels).',
  fields: (t) => ({
    status: t.expose('status', { type: ApiModelsStatus, nullable: true }),
    models: t.field({ type: 'JSON', nullable: true, resolve: (m) => parseModels(m.models) }),
    modelsRaw: t.exposeString('models', { nullable: true }),
    modelIntrospectionSchema: t.field({
      type: 'JSON',
      nullable: true,
      resolve: (m) => parseModels(m.modelIntrospectionSchema),
    }),
  }),
});

resourceNode(BackendApi, 'api', {
  description: 'A GraphQL API (AppSync) resource of an environment.',
  config: { type: BackendApiConfig, description: 'GetBackendAPI.', resolve: config },
  fields: (t) => ({ models: t.field({ type: BackendApiModels, resolve: (r, _a, ctx) => models(r, ctx) }) }),
});

const BackendApiAuthSettingsInput = builder.inputType('BackendApiAuthSettingsInput', {
  fields: (t) => ({
    cognitoUserPoolId: t.string({ validate: nonEmpty }),
    description: t.string(),
    expirationTime: t.float({ description: 'API key lifetime, in days.' }),
    openIDAuthTTL: t.string(),
    openIDClientId: t.string(),
    openIDIatTTL: t.string(),
    openIDIssueURL: t.string(),
    openIDProviderName: t.string(),
  }),
});

const BackendApiAuthTypeInput = builder.inputType('BackendApiAuthTypeInput', {
  fields: (t) => ({
    mode: t.field({ type: ApiAuthMode, required: true }),
    settings: t.field({ type: BackendApiAuthSettingsInput }),
  }),
});

const BackendApiConfigInput = builder.inputType('BackendApiConfigInput', {
  fields: (t) => ({
    apiName: t.string({ validate: nonEmpty }),
    service: t.string({ description: "Defaults to 'AppSync'." }),
    transformSchema: t.string({ validate: transformSchema }),
    defaultAuthType: t.field({ type: BackendApiAuthTypeInput }),
    additionalAuthTypes: t.field({ type: [BackendApiAuthTypeInput] }),
    conflictResolution: t.field({ type: ResolutionStrategyEnum }),
  }),
});

// GraphQL flattens conflictResolution to its one member; the service nests it.
const toApiConfigInput = (input: typeof BackendApiConfigInput.$inferInput): ApiConfigInput => {
  const { conflictResolution, ...rest } = input;
  return { ...rest, ...(conflictResolution ? { conflictResolution: { resolutionStrategy: conflictResolution } } : {}) };
};

const apiPayload = resourcePayload({ field: 'api', type: BackendApi });

createResourceMutation('createBackendApi', {
  description: 'Adds a GraphQL API to an environment (CreateBackendAPI).',
  config: BackendApiConfigInput,
  resolve: (input, ctx) => createBackendApi({ ...input, config: toApiConfigInput(input.config) }, ctx),
  payload: apiPayload,
});

updateResourceMutation('updateBackendApi', {
  description: 'Changes a GraphQL API; members left out keep their value (UpdateBackendAPI).',
  config: BackendApiConfigInput,
  optionalConfig: true,
  resolve: (input, ctx) => updateBackendApi({ ...input, config: input.config ? toApiConfigInput(input.config) : null }, ctx),
  payload: apiPayload,
});

mutationWithInput('deleteBackendApi', {
  description: 'Removes a GraphQL API from an environment (DeleteBackendAPI).',
  inputFields: (f) => resourceKeyFields(f, { creating: false }),
  resolve: (input, ctx) => deleteBackendApi(input, ctx),
  payload: apiPayload,
});

mutationWithInput('generateBackendApiModels', {
  description: "Generates DataStore models from an API's transform schema (GenerateBackendAPIModels).",
  inputFields: (f) => resourceKeyFields(f, { creating: false }),
  resolve: (input, ctx) => generateBackendApiModels(input, ctx),
  payload: apiPayload,
});
