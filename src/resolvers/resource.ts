import type { OperationInput, OperationName } from '../aws/client.js';
import type { Context } from '../context.js';
import { environmentOf, resourceWire, type EnvironmentKey, type ResourceKey } from '../keys.js';
import type { WriteOutput } from './app.js';
import { forgetEnvironment } from './environment.js';
import { jobFromResponse, startedJob } from './job.js';

/** A resource's `config`: the model `toModel` makes of what its Get operation answers, if anything. */
export async function readConfig<Sdk, Model>(read: Promise<{ resourceConfig?: Sdk }>, toModel: (config: Sdk) => Model) {
  const { resourceConfig } = await read;
  return resourceConfig ? toModel(resourceConfig) : null;
}

/** The operations that write one resource of an environment, or import one (which names none). */
type ResourceWrite = Extract<
  OperationName,
  `${'Create' | 'Update' | 'Delete' | 'Import' | 'Generate'}Backend${'API' | 'APIModels' | 'Auth' | 'Storage'}`
>;

/**
 * A write to one resource of an environment, and its payload: the environment, the resource, the
 * started job. An import names no resource (the service names it), so its payload has none.
 */
export async function writeResource<O extends ResourceWrite>(
  operation: O,
  key: EnvironmentKey & { resourceName?: string },
  input: OperationInput<O>,
  ctx: Context,
) {
  const out: WriteOutput = await ctx.aws.call<ResourceWrite>(operation, input);
  forgetEnvironment(ctx, key);
  const environment = environmentOf(key);
  return {
    environment,
    resource: key.resourceName === undefined ? undefined : { ...environment, resourceName: key.resourceName },
    job: startedJob(jobFromResponse({ operation, ...out }, key.environmentName), ctx),
  };
}

/** The operations that send a resource's key and its new config. */
type ConfigWrite = Extract<ResourceWrite, `${'Create' | 'Update'}${string}`>;

/** A create or update of one resource: `operation` with the resource's key and its new config. */
export const configWrite =
  <O extends ConfigWrite>(operation: O) =>
  (input: ResourceKey & { config: OperationInput<O>['resourceConfig'] }, ctx: Context) => {
    // Each of these operations takes the key and `resourceConfig`, and nothing else is required;
    // TypeScript cannot follow the config's type through a generic operation.
    const wire = { ...resourceWire(input), resourceConfig: input.config } as OperationInput<O>;
    return writeResource(operation, input, wire, ctx);
  };
