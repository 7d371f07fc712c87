import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { OperationInput, OperationName, OperationOutput } from '../aws/client.js';
import { appsOf, type Context, type RequestContext } from '../context.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { environmentKey } from '../jobs/watch-key.js';
import { createLoaders } from '../loaders.js';
import type { Reads } from '../per-key-loader.js';
import { appRefusal } from '../security/app-access.js';
import { createEnvironmentWatches } from './environment-watches.js';
import { appsResource, environmentIn, readResources } from './resources.js';
import { createRunGate } from './run-gate.js';

export type Execute = (args: ExecutionArgs) => unknown;

/** The context the live query store hands each run: where a run names what the store tracks. */
interface StoreRunContext {
  addResourceIdentifier(values: string | string[]): void;
}

/**
 * One open live query: how each of its runs executes, and when the next may start. A run reads
 * through new loaders (nothing cached from the run before) over the request's own reads, so
 * per-app access and the client's turn in the upstream queue hold for every run as for the first.
 * Each read names the resources the run depends on (resources.ts), handed to `dependsOn` once the
 * run is over, and has the environment it reads watched (environment-watches.ts). `changed` asks
 * for a run; the run gate decides when `rerun` starts it. The store tracks only the live query's
 * own identifier: which live queries a change concerns is decided here, so that every run passes
 * the gate.
 */
export function createLiveQuery(
  ctx: Context & RequestContext,
  options: {
    scheduler: Scheduler;
    intervalMs: number;
    /** Its own identifier in the live query store: the one every run names. */
    selfResource: string;
    /** Has the live query store run it again now (it calls `run`): invalidates `selfResource`. */
    rerun: () => void;
    dependsOn: (resources: ReadonlySet<string>) => void;
    onRun: () => void;
  },
) {
  const gate = createRunGate(options.scheduler, options.intervalMs, options.rerun);
  const watches = createEnvironmentWatches({
    subscribe: (key) => ctx.jobs.subscribeEnvironmentJobs(key),
    changed: gate.request,
  });

  let closed = false;

  function run(args: ExecutionArgs, execute: Execute): Promise<ExecutionResult> {
    gate.started();
    options.onRun();
    (args.contextValue as StoreRunContext).addResourceIdentifier(options.selfResource);
    const resources = new Set<string>();
    const environments = new Set<string>();
    const dependOn = (input: unknown) => {
      for (const resource of readResources(input)) resources.add(resource);
      const environment = environmentIn(input);
      if (environment) environments.add(environmentKey(environment));
    };
    const reads: Reads = {
      async call<K extends OperationName>(operation: K, input: OperationInput<K>): Promise<OperationOutput<K>> {
        const environment = environmentIn(input);
        if (environment) watches.reading(environment);
        try {
          const output = await ctx.reads.call(operation, input);
          if (environment) watches.read(environment, operation, input, output);
          dependOn(input);
          return output;
        } catch (error) {
          // A read refused by per-app access depends on nothing: writes to an app the client may
          // not use do not reach its live queries, not even as a run. A read of something that
          // does not exist yet depends on it.
          if (!appRefusal(appsOf(ctx), operation, input)) dependOn(input);
          throw error;
        }
      },
    };
    ctx.loaders = createLoaders(reads);
    // The list of apps, read afresh each run like the loaders; a run that lists them depends on it.
    const directory = ctx.newAppDirectory();
    ctx.appDirectory = {
      ...directory,
      list: () => {
        resources.add(appsResource);
        return directory.list();
      },
    };
    // Each run is held to MAX_UPSTREAM_CALLS on its own; the budget is charged every run's calls.
    ctx.upstream.reset();
    return Promise.resolve(execute(args))
      .then(
        (result) => result as ExecutionResult,
        // The store would drop a rejected run silently, and the client would wait for ever.
        (error: unknown) => ({ errors: [createGraphQLError('The live query failed to run', { originalError: error as Error })] }),
      )
      .then((result) => {
        if (closed) return result;
        watches.keepOnly(environments);
        options.dependsOn(resources);
        gate.finished();
        return result;
      });
  }

  return {
    run,
    /** Something it read changed: it runs again, when the gate lets it. */
    changed: gate.request,
    /** Environments watched for it now. */
    get watching() {
      return watches.size;
    },
    close() {
      closed = true;
      gate.close();
      watches.close();
    },
  };
}

export type LiveQuery = ReturnType<typeof createLiveQuery>;
