import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAmplifyBackend, operationNames, type OperationName } from '../src/aws/client.js';
import { pathLabels, segmentProblem } from '../src/aws/path-segment.js';
import { operations } from '../src/emulator/wire-model.js';
import { fakeCredentials, scoped, type Stack, nothingKept } from './helpers.js';
import { useFileStack } from './helpers-stack.js';

// Every value that becomes a URI path segment is refused, before any upstream call, when it is
// not one: a `..` once turned UpdateBackendJob into RemoveAllBackends (issue 12, finding 1).

const writeKey = 'key-write-not-admin-000001';
const adminKey = 'key-admin-all-scopes-00002';

const notSegments: [string, string][] = [
  ['a dot', '.'],
  ['two dots', '..'],
  ['empty', ''],
  ['a lone surrogate', 'ab\ud800cd'],
  ['a slash', 'a/b'],
  ['a backslash', 'a\\b'],
  ['encoded dots', '%2e%2e'],
  ['a NUL', 'a\u0000b'],
  ['a newline', 'a\nb'],
  ['256 characters', 'x'.repeat(256)],
];

const globalId = (typename: string, key: string) => Buffer.from(`${typename}:${key}`, 'utf8').toString('base64');

/** Where a path value enters the graph: the operation, and the argument its refusal names. */
const entries: {
  name: string;
  query: string;
  field: string;
  id?: (v: string) => string;
  /** The calls that resolving the parent field makes, before the argument is read. */
  parentCalls?: Record<string, number>;
  /** Values the id cannot carry (an App's id is UTF-8 in base64: a lone surrogate becomes U+FFFD). */
  cannotCarry?: string[];
}[] = [
  { name: 'app(appId)', query: 'query($v: ID!) { app(appId: $v) { appId } }', field: 'appId' },
  {
    name: 'backendJob(environmentName)',
    query: 'query($v: String!) { backendJob(appId: "d1todoapp00001", environmentName: $v, jobId: "j1") { jobId } }',
    field: 'environmentName',
  },
  {
    name: 'backendJob(jobId)',
    query: 'query($v: ID!) { backendJob(appId: "d1todoapp00001", environmentName: "dev", jobId: $v) { jobId } }',
    field: 'jobId',
  },
  {
    name: 'adminToken(sessionId)',
    query: 'query($v: ID!) { adminToken(appId: "d1todoapp00001", sessionId: $v) { sessionId } }',
    field: 'sessionId',
  },
  {
    name: 'App.environment(name)',
    query: 'query($v: String!) { app(appId: "d1todoapp00001") { environment(name: $v) { name } } }',
    field: 'name',
    parentCalls: { GetBackend: 1 },
  },
  {
    name: 'BackendEnvironment.api(resourceName)',
    query: 'query($v: String!) { app(appId: "d1todoapp00001") { environment(name: "dev") { api(resourceName: $v) { resourceName } } } }',
    field: 'resourceName',
    parentCalls: { GetBackend: 1 },
  },
  {
    name: 'updateBackendJob(input.environmentName)',
    query:
      'mutation($v: String!) { updateBackendJob(input: { appId: "d2gallery00002", environmentName: $v, jobId: "remove" }) { job { jobId } } }',
    field: 'input.environmentName',
  },
  {
    name: 'updateBackendJob(input.jobId)',
    query:
      'mutation($v: ID!) { updateBackendJob(input: { appId: "d2gallery00002", environmentName: "staging", jobId: $v }) { job { jobId } } }',
    field: 'input.jobId',
  },
  {
    name: 'deleteBackend(input.appId)',
    query: 'mutation($v: ID!) { deleteBackend(input: { appId: $v, environmentName: "staging" }) { job { jobId } } }',
    field: 'input.appId',
  },
  {
    name: 'deleteToken(input.sessionId)',
    query: 'mutation($v: ID!) { deleteToken(input: { appId: "d1todoapp00001", sessionId: $v }) { app { appId } } }',
    field: 'input.sessionId',
  },
  {
    name: 'node(id) of an App',
    query: 'query($v: ID!) { node(id: $v) { id } }',
    field: 'id',
    id: (v) => globalId('App', v),
    cannotCarry: ['ab\ud800cd'],
  },
  {
    name: 'node(id) of a BackendJob',
    query: 'query($v: ID!) { node(id: $v) { id } }',
    field: 'id',
    id: (v) => globalId('BackendJob', JSON.stringify(['d2gallery00002', v, 'remove'])),
  },
  {
    name: 'nodes(ids) of a BackendEnvironment',
    query: 'query($v: ID!) { nodes(ids: [$v]) { id } }',
    field: 'id',
    id: (v) => globalId('BackendEnvironment', JSON.stringify(['d2gallery00002', v])),
  },
];

let stack: Stack;
const keys = [{ key: writeKey, scopes: ['read' as const, 'write' as const] }, { key: adminKey, scopes: ['read' as const, 'write' as const, 'admin' as const] }];
// Counts upstream calls per request: nothing kept across requests.
useFileStack((started) => (stack = started), { start: { gateway: { ...nothingKept, access: { apiKeys: keys } } } });

const asAdmin = async (query: string, variables: Record<string, unknown>) =>
  (await stack.request({ query, variables }, { authorization: `Bearer ${adminKey}` })).body;

describe('the traversal that was found', () => {
  it('updateBackendJob with environmentName ".." and a write key is refused, and no environment is removed', async () => {
    const { body } = await stack.request(
      {
        query:
          'mutation { updateBackendJob(input: { appId: "d2gallery00002", environmentName: "..", jobId: "remove" }) { job { jobId operation } } }',
      },
      { authorization: `Bearer ${writeKey}` },
    );
    expect(body.errors).toMatchObject([
      {
        message: 'input.environmentName: must not be "." or ".." (a relative path segment)',
        extensions: { code: 'BAD_USER_INPUT', field: 'input.environmentName' },
      },
    ]);
    expect(stack.calls()).toEqual({});
    const after = await asAdmin('{ app(appId: "d2gallery00002") { environments { name } } }', {});
    expect(after.data.app.environments).toEqual([{ name: 'staging' }]);
  });
});

describe.each(entries)('$name', ({ query, field, id, parentCalls = {}, cannotCarry = [] }) => {
  it.each(notSegments.filter(([, v]) => !cannotCarry.includes(v)))('refuses %s before any upstream call', async (_what, value) => {
    const body = await asAdmin(query, { v: id ? id(value) : value });
    expect(body.errors).toHaveLength(1);
    expect(body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(body.errors![0].message).not.toMatch(/Unexpected error/);
    expect(stack.calls()).toEqual(parentCalls);
  });
});

describe('the AWS client refuses what the graph let through', () => {
  // The last line of defence: a resolver or poller that forgot to validate still sends nothing.
  const labelled = operations.filter((o) => o.uri.includes('{'));

  it('knows every label of every operation', () => {
    const labels = new Set(labelled.flatMap((o) => [...o.uri.matchAll(/\{(\w+)\}/g)].map((m) => m[1])));
    expect([...labels].sort()).toEqual([...pathLabels].sort());
  });

  it('sends no request for a label that is not a segment, and exactly its own operation otherwise', async () => {
    await using aws = scoped(createAmplifyBackend({ endpoint: stack.emulator.url, credentials: fakeCredentials, maxAttempts: 1 }), (a) => a.destroy());
    const label = fc.constantFrom(...pathLabels);
    const value = fc.oneof(
      fc.constantFrom(...notSegments.map(([, v]) => v), '__proto__', 'constructor', 'd2gallery00002'),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const operation = fc.constantFrom(...labelled.map((o) => o.name as OperationName));
    await fc.assert(
      fc.asyncProperty(operation, label, value, async (name, which, v) => {
        stack.resetCalls();
        const input = { appId: 'd2gallery00002', backendEnvironmentName: 'staging', jobId: 'j', sessionId: 's', [which]: v };
        const error = await aws.call(name, input as never).then(() => undefined, (e: unknown) => e as { code?: string });
        if (segmentProblem(v)) {
          expect(error).toMatchObject({ code: 'BAD_USER_INPUT', awsErrorName: 'InvalidPathSegment' });
          expect(stack.calls()).toEqual({});
        } else {
          // Whatever the service answers, it answered the operation that was asked.
          expect(Object.keys(stack.calls())).toEqual([name]);
        }
      }),
      { seed: 12, numRuns: Number(process.env.FUZZ_RUNS ?? 150) },
    );
    expect(aws.health().circuit).toBe('closed');
    expect(operationNames.length).toBeGreaterThan(labelled.length);
  });
});

describe('segmentProblem', () => {
  it('accepts only values that stay one segment of their own, as encoded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (value) => {
        if (segmentProblem(value)) return;
        const path = `/backend/${encodeURIComponent(value)}/details`;
        // A router that normalizes the path must find the same path, and the label whole.
        expect(new URL(path, 'http://service').pathname).toBe(path);
        expect(decodeURIComponent(path.split('/')[2])).toBe(value);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
