import type { ObjectRef } from '@pothos/core';
import type { EnvironmentRef, ResourceRef } from '../resolvers/environment.js';
import type { JobRef } from '../resolvers/job.js';
import type { Context } from '../context.js';
import { isNotFound } from '../errors.js';
import { builder, type Types } from './builder.js';
import { keyId, parseKeyId } from './node-id.js';
import { BackendEnvironment, BackendJob } from './refs.js';
import { newResourceName, pathValue } from './validation.js';

type FieldBuilder = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;

export interface ResourcePayloadShape {
  environment: EnvironmentRef;
  resource?: ResourceRef;
  job: JobRef | null;
}

/** The payload of a write to one resource: the started job, the environment, the resource. */
export function resourcePayload(name: string, resource?: { field: string; type: ObjectRef<Types, ResourceRef> }) {
  return builder.objectRef<ResourcePayloadShape>(name).implement({
    fields: (t) => ({
      environment: t.expose('environment', { type: BackendEnvironment }),
      job: t.expose('job', { type: BackendJob, nullable: true }),
      ...(resource ? { [resource.field]: t.field({ type: resource.type, resolve: (p) => p.resource! }) } : {}),
    }),
  });
}

/** The key fields every resource input starts with; a new resource's name is checked as Amplify does. */
export const resourceKeyFields = (t: FieldBuilder, { creating }: { creating: boolean }) => ({
  appId: t.id({ required: true, validate: pathValue }),
  environmentName: t.string({ required: true, validate: pathValue }),
  resourceName: t.string({ required: true, validate: creating ? newResourceName : pathValue }),
});

export const environmentKeyFields = (t: FieldBuilder) => ({
  appId: t.id({ required: true, validate: pathValue }),
  environmentName: t.string({ required: true, validate: pathValue }),
});

/** The fields BackendApi, BackendAuth and BackendStorage start with: their key and environment. */
export const resourceFields = (t: PothosSchemaTypes.ObjectFieldBuilder<Types, ResourceRef>) => ({
  appId: t.exposeID('appId'),
  environmentName: t.exposeString('environmentName'),
  resourceName: t.exposeString('resourceName'),
  environment: t.field({ type: BackendEnvironment, resolve: (r) => ({ appId: r.appId, name: r.environmentName }) }),
});

/** Node options shared by BackendApi, BackendAuth and BackendStorage. */
export const resourceNode = (load: (ref: ResourceRef, ctx: Context) => Promise<ResourceRef | null>) => ({
  id: { resolve: (r: ResourceRef) => keyId(r.appId, r.environmentName, r.resourceName) },
  loadOne: (id: string, ctx: Context) =>
    // A resource of an unknown app or environment is as unknown as any other: null.
    load(parseKeyId(id, ['appId', 'environmentName', 'resourceName'] as const), ctx).catch((error: unknown) => {
      if (isNotFound(error)) return null;
      throw error;
    }),
});
