import type { ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import { environmentOf, type EnvironmentKey, type ResourceKey } from '../keys.js';
import { resource, type Category } from '../resolvers/environment.js';
import type { JobRef } from '../resolvers/job.js';
import { builder, type InputFieldBuilder, type Types } from './builder.js';
import { keyId, parseKeyId } from './node-id.js';
import { BackendEnvironment, BackendJob } from './refs.js';
import { newResourceName, pathValue } from './validation.js';

export interface ResourcePayloadShape {
  environment: EnvironmentKey;
  resource?: ResourceKey;
  job: JobRef | null;
}

/** The payload of a write to one resource: the started job, the environment, the resource. */
export function resourcePayload(name: string, resource?: { field: string; type: ObjectRef<Types, ResourceKey> }) {
  return builder.objectRef<ResourcePayloadShape>(name).implement({
    fields: (t) => ({
      environment: t.expose('environment', { type: BackendEnvironment }),
      job: t.expose('job', { type: BackendJob, nullable: true }),
      ...(resource ? { [resource.field]: t.field({ type: resource.type, resolve: (p) => p.resource! }) } : {}),
    }),
  });
}

/** The key fields every resource input starts with; a new resource's name is checked as Amplify does. */
export const resourceKeyFields = (t: InputFieldBuilder, { creating }: { creating: boolean }) => ({
  appId: t.id({ required: true, validate: pathValue }),
  environmentName: t.string({ required: true, validate: pathValue }),
  resourceName: t.string({ required: true, validate: creating ? newResourceName : pathValue }),
});

export const environmentKeyFields = (t: InputFieldBuilder) => ({
  appId: t.id({ required: true, validate: pathValue }),
  environmentName: t.string({ required: true, validate: pathValue }),
});

/** The fields BackendApi, BackendAuth and BackendStorage start with: their key and environment. */
export const resourceFields = (t: PothosSchemaTypes.ObjectFieldBuilder<Types, ResourceKey>) => ({
  appId: t.exposeID('appId'),
  environmentName: t.exposeString('environmentName'),
  resourceName: t.exposeString('resourceName'),
  environment: t.field({ type: BackendEnvironment, resolve: (r) => environmentOf(r) }),
});

/** Node options shared by BackendApi, BackendAuth and BackendStorage. */
export const resourceNode = (category: Category) => ({
  id: { resolve: (r: ResourceKey) => keyId(r.appId, r.environmentName, r.resourceName) },
  // A resource of an unknown app or environment is as unknown as any other: null.
  loadOne: (id: string, ctx: Context) =>
    nullIfAbsent(resource(parseKeyId(id, ['appId', 'environmentName', 'resourceName'] as const), category, ctx)),
});
