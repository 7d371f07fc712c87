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
import { environmentIn, readResources } from './resources.js';
import { createRunGate } from './run-gate.js';

/** The context the live query store hands each run: where the run names what it depends on. */
interface StoreRunContext {
  addResourceIdentifier(values: string | string[]): void;
}

export type Execute = (args: ExecutionArgs) => unknown;

/**
 * One open live query: how each of its runs executes. A run reads through new loaders (nothing
 * cached from the run before) over the request's own reads, so per-app access and the client's
 * turn in the upstream queue hold for every run as for the first; each read names the resources
 * the run depends on (resources.ts) and has the environment it reads watched. Runs are spaced by
 * the run gate. `selfResource` is the live query's own identifier: invalidating it runs this live
 * query alone, which is what a change its watches report does.
 */
export function createLiveQuery(
  ctx: Context & RequestContext,
  options: { selfResource: string; scheduler: Scheduler; intervalMs: number; invalidate: (resource: string) => void; onRun: () => void },
) {
  const watches = createEnvironmentWatches({
    subscribe: (key) => ctx.jobs.subscribeEnvironmentJobs(key),
    changed: () => options.invalidate(options.selfResource),
  });
  // What a replaced run answers; the store drops it, as it drops every result but the latest run's.
  const gate = createRunGate<ExecutionResult>(options.scheduler, options.intervalMs, {});
  let started = 0;

  function runNow(args: ExecutionArgs, execute: Execute): Promise<ExecutionResult> {
    const number = ++started;
    const store = args.contextValue as StoreRunContext;
    const read = new Set<string>();
    store.addResourceIdentifier(options.selfResource);
    const dependOn = (input: unknown) => {
      store.addResourceIdentifier(readResources(input));
      const environment = environmentIn(input);
      if (environment) read.add(environmentKey(environment));
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
    options.onRun();
    return Promise.resolve(execute(args)).then(
      (result) => {
        if (number === started) watches.keepOnly(read);
        return result as ExecutionResult;
      },
      // The store would drop a rejected run silently, and the client would wait for ever.
      (error: unknown) => ({ errors: [createGraphQLError('The live query failed to run', { originalError: error as Error })] }),
    );
  }

  return {
    run: (args: ExecutionArgs, execute: Execute) => gate.run(() => runNow(args, execute)),
    /** Environments watched for it now. */
    get watching() {
      return watches.size;
    },
    close() {
      gate.close();
      watches.close();
    },
  };
}

export type LiveQuery = ReturnType<typeof createLiveQuery>;
