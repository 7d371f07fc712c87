import { expect, it } from 'vitest';
import type { GraphQLResponse, Stack } from './helpers.js';
import { refusal, type Refusal } from './helpers-errors.js';

type Run = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLResponse>;
type Input = Record<string, unknown>;

/** A BackendStorage as the gateway answers it (resourceName and config): S3, managed by Amplify unless imported. */
export const s3Storage = (resourceName: string, bucketName: string, permissions: unknown, imported = false) => ({
  resourceName,
  config: { bucketName, imported, serviceName: 'S3', permissions },
});

/** The demo seed's storage in an environment of its todo app. */
export const demoStorage = (env: string) =>
  s3Storage('todoappstorage', `todoappstorage-d1todoapp00001-${env}`, {
    authenticated: ['READ', 'CREATE_AND_UPDATE', 'DELETE'],
    unAuthenticated: ['READ'],
  });

/** An input refused with exactly one error before any upstream call: as variables, or written inline. */
export type RefusedInput = { name: string; error: Refusal } & (
  | { mutation: string; input: Input }
  | { query: string }
);

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
  function mutate(name: string, input: Input, selection = options.selection) {
    const inputType = `${name[0].toUpperCase()}${name.slice(1)}Input`;
    return run(`mutation($input: ${inputType}!) { ${name}(input: $input) { ${selection} } }`, { input });
  }

  /** An input for the file's app in `environmentName`, with the rest of its members. */
  const at = (environmentName: string, rest: Input = {}): Input => ({ appId: options.appId, environmentName, ...rest });

  /** A mutation that succeeds, its job then completed on the emulator's clock; its response. */
  async function complete(name: string, input: Input, selection?: string) {
    const res = await mutate(name, input, selection);
    expect(res.errors).toBeUndefined();
    await options.stack().emulator.advance(3000);
    return res;
  }

  /** A new, empty environment of the app, its creation job completed and the call counts reset. */
  async function freshEnvironment() {
    const name = `${options.prefix}${String.fromCharCode(97 + Math.floor(envCount / 26), 97 + (envCount % 26))}`;
    envCount++;
    await complete('createBackend', { appId: options.appId, appName: options.appName, environmentName: name }, 'job { jobId }');
    options.stack().resetCalls();
    return name;
  }

  /** The environment's meta config, its resources of this kind and its last jobs. */
  async function environmentView(env: string) {
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
  }

  return {
    mutate,
    at,
    complete,
    freshEnvironment,
    environmentView,
    /** A fresh environment in which `name` has run with `rest` and its job completed; call counts reset. */
    async environmentWith(name: string, rest: Input) {
      const env = await freshEnvironment();
      await complete(name, at(env, rest));
      options.stack().resetCalls();
      return env;
    },
    /**
     * A mutation that starts a job, from zero upstream calls: answered without errors after exactly
     * one call (its `operation`), its job IN_PROGRESS in the input's environment and the newest of
     * that environment's jobs. Its payload.
     */
    async startJob(name: string, input: Input, operation: string, selection?: string) {
      const stack = options.stack();
      stack.resetCalls();
      const res = await mutate(name, input, selection);
      expect(res.errors).toBeUndefined();
      const payload = res.data[name];
      expect(payload.job).toMatchObject({ operation, status: 'IN_PROGRESS', state: 'IN_PROGRESS', environmentName: input.environmentName });
      expect(stack.calls()).toEqual({ [operation]: 1 });
      const newest = (await environmentView(input.environmentName as string)).jobs.edges[0].node;
      expect(newest).toEqual({ jobId: payload.job.jobId, operation, state: 'IN_PROGRESS' });
      return payload;
    },
    /** The environment once the emulator has finished its jobs. */
    async afterJobs(env: string) {
      await options.stack().emulator.advance(3000);
      return environmentView(env);
    },
    /** One test per row, by its name: exactly its one error, and no upstream call. */
    itRefuses(rows: RefusedInput[]) {
      it.each(rows.map((row) => [row.name, row] as const))('%s', async (_, row) => {
        const res = 'query' in row ? await run(row.query) : await mutate(row.mutation, row.input);
        expect(res.errors).toStrictEqual(refusal(row.error));
        expect(options.stack().calls()).toEqual({});
      });
    },
  };
}
