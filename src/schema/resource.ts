import type { FieldMap, ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import { environmentOf, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { resource, type Category } from '../resolvers/environment.js';
import type { JobRef } from '../resolvers/job.js';
import { builder, type Types } from './builder.js';
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
