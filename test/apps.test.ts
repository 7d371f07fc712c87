// Query.apps: the apps of the Amplify console API's ListApps as a connection of App nodes,
// filtered by the credential's apps before it is paged.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startStack } from './helpers.js';
import { readmeExample } from './helpers-readme.js';
import { runOver, transports } from './helpers-transport.js';

const APPS = ['d1todoapp00001', 'd2gallery00002', 'd3extra000003', 'd4extra000004', 'd5extra000005'];

const key = (name: string, apps?: string[]) => ({ key: `key-apps-${name}`.padEnd(24, '0'), scopes: ['read' as const, 'write' as const], ...(apps ? { apps } : {}) });
const keys = { every: key('every'), d1: key('d1', ['d1*']), odd: key('odd', ['d1todoapp00001', 'd3*', 'd5*']), none: key('none', ['zz*']) };
const bearer = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });

async function appsStack() {
  const stack = await startStack({ gateway: { access: { apiKeys: Object.values(keys) } } });
  for (const id of APPS.slice(2)) stack.emulator.store.createBackend(id, `app-${id.slice(0, 2)}`, 'dev');
  await stack.emulator.advance(60_000);
  stack.resetCalls();
  return stack;
}

const page = `query ($first: Int, $after: String) {
  apps(first: $first, after: $after) {
    edges { cursor node { appId region account } }
    pageInfo { hasNextPage endCursor }
    unavailable { region }
  }
}`;

async function walk(stack: Awaited<ReturnType<typeof appsStack>>, headers: Record<string, string>, first: number) {
  const seen: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 20; i++) {
    const { body } = await stack.request({ query: page, variables: { first, after } }, headers);
    expect(body.errors).toBeUndefined();
    const apps = body.data!.apps;
    seen.push(...apps.edges.map((e: any) => e.node.appId));
    if (!apps.pageInfo.hasNextPage) return seen;
    after = apps.pageInfo.endCursor;
  }
  throw new Error('no last page');
}

describe('Query.apps', () => {
  it('lists every app with the App fields AmplifyBackend lacks, in one ListApps call', async () => {
    await using stack = await appsStack();
    const { body } = await stack.request(
      { query: '{ apps(first: 10) { edges { node { appId appName region account defaultDomain platform createTime environments { name } } } } }' },
      bearer(keys.every),
    );
    expect(body.errors).toBeUndefined();
    const nodes = body.data!.apps.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.appId)).toEqual(APPS);
    expect(nodes[0]).toMatchObject({
      appId: 'd1todoapp00001',
      appName: 'todo-app',
      region: 'us-east-1',
      account: 'default',
      defaultDomain: 'd1todoapp00001.amplifyapp.com',
      platform: 'WEB',
      environments: [{ name: 'dev' }, { name: 'prod' }],
    });
    expect(Date.parse(nodes[0].createTime)).toBeGreaterThan(0);
    // ListApps describes the apps: no GetApp; appName and environments are GetBackend's, one per app.
    expect(stack.calls()).toEqual({ ListApps: 1, GetBackend: APPS.length });
  });

  it.each([1, 2, 3, 5])('pages by %i without losing or repeating an app', async (first) => {
    await using stack = await appsStack();
    expect(await walk(stack, bearer(keys.every), first)).toEqual(APPS);
  });

  it.each([
    ['d1', ['d1todoapp00001']],
    ['odd', ['d1todoapp00001', 'd3extra000003', 'd5extra000005']],
    ['none', []],
  ] as const)('shows a credential for %s only its apps, on every page, and says nothing of the rest', async (name, visible) => {
    await using stack = await appsStack();
    for (const first of [1, 2, 10]) expect(await walk(stack, bearer(keys[name]), first)).toEqual(visible);
    // The last visible app's page says there is no next one, though more apps follow it upstream.
    const { body } = await stack.request({ query: page, variables: { first: visible.length || 1 } }, bearer(keys[name]));
    expect(body.data!.apps.pageInfo.hasNextPage).toBe(false);
  });

  it("refuses a cursor naming an app outside the credential's apps, whether or not it exists, with no upstream call", async () => {
    await using stack = await appsStack();
    const { body: all } = await stack.request({ query: page, variables: { first: 5 } }, bearer(keys.every));
    const cursors = all.data!.apps.edges.map((e: any) => e.cursor);
    const forged = Buffer.from(JSON.stringify({ o: 1, k: 'default/us-east-1/d9nosuchapp0009' })).toString('base64url');
    stack.resetCalls();
    for (const after of [cursors[1], cursors[3], forged]) {
      const { body } = await stack.request({ query: page, variables: { first: 2, after } }, bearer(keys.d1));
      expect(body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(body.errors?.[0].message).toBe(`Invalid cursor "${after}"`);
    }
    expect(stack.calls()).toEqual({});
  });

  it('refuses any client string as a cursor with BAD_USER_INPUT, never a crash', async () => {
    await using stack = await appsStack();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.constantFrom('', '.', '..', '__proto__', 'x'.repeat(100_000)),
          fc.record({ t: fc.option(fc.string()), o: fc.integer(), k: fc.option(fc.string()) }).map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')),
        ),
        async (after) => {
          const { body } = await stack.request({ query: page, variables: { first: 2, after } }, bearer(keys.odd));
          if (body.errors) {
            expect(body.errors[0].extensions?.code).toBe('BAD_USER_INPUT');
            // It quotes the start of the cursor, not all 100 KB of it.
            expect(body.errors[0].message.length).toBeLessThan(250);
          } else for (const e of body.data!.apps.edges) expect(['d1todoapp00001', 'd3extra000003', 'd5extra000005']).toContain(e.node.appId);
        },
      ),
      { numRuns: 60, seed: 18 },
    );
  });

  it('lists an app CreateBackend made through the gateway', async () => {
    await using stack = await appsStack();
    const created = await stack.request(
      { query: 'mutation { createBackend(input: { appId: "d0new0000000", appName: "fresh", environmentName: "dev" }) { app { appId } } }' },
      bearer(keys.every),
    );
    expect(created.body.errors).toBeUndefined();
    const { body } = await stack.request({ query: '{ apps(first: 10) { edges { node { appId } } } }' }, bearer(keys.every));
    expect(body.data!.apps.edges.map((e: any) => e.node.appId)).toContain('d0new0000000');
  });

  it('holds over HTTP, SSE and graphql-ws alike', async () => {
    await using stack = await appsStack();
    await stack.gateway.start(0);
    for (const transport of transports) {
      const answer = await runOver(transport, stack.gateway, { query: '{ apps(first: 10) { edges { node { appId } } } }' }, {
        headers: bearer(keys.d1),
        connectionParams: bearer(keys.d1),
      });
      expect(answer.results).toEqual([{ data: { apps: { edges: [{ node: { appId: 'd1todoapp00001' } }] } } }]);
    }
  });

  it("runs the README's example", async () => {
    await using stack = await appsStack();
    const [block] = readmeExample('apps');
    const { body } = await stack.request({ query: block.body }, bearer(keys.d1));
    expect(body).toEqual({
      data: {
        apps: {
          edges: [
            {
              node: {
                appId: 'd1todoapp00001',
                appName: 'todo-app',
                region: 'us-east-1',
                account: 'default',
                defaultDomain: 'd1todoapp00001.amplifyapp.com',
                environments: [{ name: 'dev' }, { name: 'prod' }],
              },
            },
          ],
          pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
          unavailable: [],
        },
      },
    });
  });
});
