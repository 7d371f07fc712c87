import { expect } from 'vitest';
import type { GraphQLResponse, Stack } from './helpers.js';

type Run = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse>;

/**
 * What the tests of one kind of backend resource (api, auth, storage) of an app do again and
 * again: run a mutation by its field name, make a fresh environment, look at an environment.
 */
export function resourceTestKit(options: {
  /** The file's stack, started in its `beforeAll`. */
  stack: () => Stack;
  appId: string;
  appName: string;
  /** Starts the names of fresh environments: each file its own, so the files never collide. */
  prefix: string;
  /** A mutation's payload selection unless a test gives its own. */
  selection: string;
  /** What `environmentView` selects beside `amplifyMetaConfig` and the jobs. */
  resources: string;
  /** How an operation runs; `stack().graphql` unless the file keeps its responses. */
  run?: Run;
}) {
  const run: Run = (query, variables) => (options.run ?? options.stack().graphql)(query, variables);
  let envCount = 0;

  /** A mutation by its field name, its input in a variable of the field's `<Name>Input` type. */
  function mutate(name: string, input: Record<string, unknown>, selection = options.selection) {
    const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
    return run(`mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} } }`, { input });
  }

  return {
    mutate,
    /** A new, empty environment of the app, its creation job completed and the call counts reset. */
    async freshEnvironment() {
      const name = `${options.prefix}${String.fromCharCode(97 + Math.floor(envCount / 26), 97 + (envCount % 26))}`;
      envCount++;
      const res = await mutate(
        'createBackend',
        { appId: options.appId, appName: options.appName, environmentName: name },
        'job { jobId }',
      );
      expect(res.errors).toBeUndefined();
      await options.stack().emulator.advance(3000);
      options.stack().resetCalls();
      return name;
    },
    /** The environment's meta config, its resources of this kind and its last jobs. */
    async environmentView(env: string) {
      const res = await run(
        `query($appId: ID!, $env: String!) {
          backendEnvironment(appId: $appId, name: $env) {
            amplifyMetaConfig
            ${options.resources}
            jobs(first: 10) { edges { node { jobId operation state } } }
          }
        }`,
        { appId: options.appId, env },
      );
      expect(res.errors).toBeUndefined();
      return res.data.backendEnvironment;
    },
  };
}

