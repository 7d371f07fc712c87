import type { FieldMap, InputObjectRef, MaybePromise, ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import { environmentOf, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { resource, type Category } from '../resolvers/environment.js';
import type { JobRef } from '../resolvers/job.js';
import { builder, type Types } from './builder.js';
import { resourceKeyFields } from './key-fields.js';
import { mutationWithInput } from './mutation.js';
import { keyId, parseKeyId } from './node-id.js';
import { BackendEnvironment, BackendJob } from './refs.js';

type ResourceFieldBuilder = PothosSchemaTypes.ObjectFieldBuilder<Types, ResourceKey>;

interface ResourceNodeOptions<Config> {
  description: string;
  /** The resource's configuration, as its Get operation answers it. */
  config: { type: ObjectRef<Types, Config>; description: string; resolve: (r: ResourceKey, ctx: Context) => Promise<Config | null> };
  /** Fields after `config`. */
  fields?: (t: ResourceFieldBuilder) => FieldMap;
}

/**
 * BackendApi, BackendAuth and BackendStorage: nodes keyed by app, environment and resource name,
 * whose fields are that key, the environment and the resource's `config`. A resource of an unknown
 * app or environment is as unknown as any other: null.
 */
export function resourceNode<Config>(ref: ObjectRef<Types, ResourceKey>, category: Category, options: ResourceNodeOptions<Config>) {
  const { config } = options;
  // Pothos's conditional types cannot be resolved for a generic shape: the field sees the config as
  // `unknown`, and the options above keep each caller's type and resolver checked together.
  const configType: ObjectRef<Types, unknown> = config.type;
  builder.node(ref, {
    description: options.description,
    id: { resolve: (r) => keyId(r.appId, r.environmentName, r.resourceName) },
    loadOne: (id, ctx) =>
      nullIfAbsent(resource(parseKeyId(id, ['appId', 'environmentName', 'resourceName'] as const), category, ctx)),
    fields: (t) => ({
      appId: t.exposeID('appId'),
      environmentName: t.exposeString('environmentName'),
      resourceName: t.exposeString('resourceName'),
      environment: t.field({ type: BackendEnvironment, resolve: (r) => environmentOf(r) }),
      config: t.field({ type: configType, nullable: true, description: config.description, resolve: (r, _a, ctx) => config.resolve(r, ctx) }),
      ...options.fields?.(t),
    }),
  });
}

export interface ResourcePayloadShape {
  environment: EnvironmentKey;
  resource?: ResourceKey;
  job: JobRef | null;
}

/**
 * The payload of a write to one resource: the environment, the started job, and the resource as
 * `field`. An import names no resource (the service names it), so its payload has none.
 */
export const resourcePayload =
  (resource?: { field: string; type: ObjectRef<Types, ResourceKey> }) =>
  (t: PothosSchemaTypes.ObjectFieldBuilder<Types, ResourcePayloadShape>) => ({
    environment: t.expose('environment', { type: BackendEnvironment }),
    job: t.expose('job', { type: BackendJob, nullable: true }),
    ...(resource ? { [resource.field]: t.field({ type: resource.type, resolve: (p) => p.resource! }) } : {}),
  });

type ResourcePayloadFields = (t: PothosSchemaTypes.ObjectFieldBuilder<Types, ResourcePayloadShape>) => FieldMap;

interface ConfigMutationOptions<ConfigInput extends object, Config> {
  description: string;
  /** The type of the input's `config`. */
  config: InputObjectRef<Types, ConfigInput>;
  /** The resolver, handed the resource's key and the config; it maps the config for the service. */
  resolve: (input: ResourceKey & { config: Config }, ctx: Context) => MaybePromise<ResourcePayloadShape>;
  payload: ResourcePayloadFields;
}

/**
 * A mutation writing one resource's config (CreateBackendAPI, UpdateBackendStorage, …): its input is
 * the resource's key and `config`. A create checks the new resource's name as Amplify does; an
 * update with an optional config hands `resolve` null when the client leaves it out.
 */
function configMutation<ConfigInput extends object, Config>(
  name: string,
  { creating, required }: { creating: boolean; required: boolean },
  { description, config, resolve, payload }: ConfigMutationOptions<ConfigInput, Config>,
) {
  // Pothos cannot resolve its conditional types for a generic config, nor follow `required` to the
  // config's presence: the field sees an object, and the exported helpers below type `Config`.
  const configType: InputObjectRef<Types, object> = config;
  mutationWithInput(name, {
    description,
    inputFields: (f) => ({ ...resourceKeyFields(f, { creating }), config: f.field({ type: configType, required }) }),
    resolve: (input, ctx) => resolve({ ...input, config: (input.config ?? null) as Config }, ctx),
    payload,
  });
}

/** `create…` of a resource: the key of a new resource, and its config. */
export const createResourceMutation = <ConfigInput extends object>(
  name: string,
  options: ConfigMutationOptions<ConfigInput, ConfigInput>,
) => configMutation(name, { creating: true, required: true }, options);

/** `update…` of a resource: its key, and the new config (optional for an API: null when left out). */
export function updateResourceMutation<ConfigInput extends object>(
  name: string,
  options: ConfigMutationOptions<ConfigInput, ConfigInput> & { optionalConfig?: false },
): void;
export function updateResourceMutation<ConfigInput extends object>(
  name: string,
  options: ConfigMutationOptions<ConfigInput, ConfigInput | null> & { optionalConfig: true },
): void;
export function updateResourceMutation<ConfigInput extends object>(
  name: string,
  { optionalConfig, ...options }: ConfigMutationOptions<ConfigInput, ConfigInput | null> & { optionalConfig?: boolean },
) {
  configMutation(name, { creating: false, required: !optionalConfig }, options);
}
