import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, type GatewayConfigSupergraph } from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { printSubgraph } from '../src/schema/index.js';
import { deploymentsTypeDefs, startDeployments } from './fixtures/deployments.js';
import { createManualScheduler, readEvents, scoped, type Stack, startStack, until } from './helpers.js';

// Our gateway, a second subgraph and Hive Gateway (MIT) in front of both, on 127.0.0.1, serving
// the supergraph that @theguild/federation-composition composes.

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

let stack: Stack;
let scheduler: ReturnType<typeof createManualScheduler>;
let deployments: Awaited<ReturnType<typeof startDeployments>>;
let hive: Awaited<ReturnType<typeof startHiveGateway>>;
let devJobs: string[];
/** The operations Hive Gateway sent to our subgraph. */
let sentToUs: string[] = [];

/** Composes our subgraph at `subgraphUrl` with the deployments one; Hive Gateway serves that. */
async function startHiveGateway(
  subgraphUrl: string,
  options: Omit<GatewayConfigSupergraph, 'supergraph'> = {},
) {
  const composed = composeServices([
    { name: 'amplifybackend', typeDefs: parse(printSubgraph()), url: subgraphUrl },
    { name: 'deployments', typeDefs: parse(deploymentsTypeDefs), url: deployments.url },
  ]);
  expect(composed.errors).toBeUndefined();
  const runtime = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: false,
    ...options,
  });
  const server = createServer(runtime);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await runtime[Symbol.asyncDispose]();
    },
  };
}

beforeAll(async () => {
  scheduler = createManualScheduler();
  stack = await startStack({ scheduler, gateway: { jobPolling: polling } });
  const subgraphUrl = await stack.gateway.start(0);
  const jobs = await stack.graphql(`{
    backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 3) { edges { node { jobId } } } }
  }`);
  devJobs = jobs.data.backendEnvironment.jobs.edges.map((e: any) => e.node.jobId);
  deployments = await startDeployments([
    { id: 'dep1', appId: APP, branch: 'main', environmentName: 'prod' },
    { id: 'dep2', appId: APP, branch: 'develop', environmentName: 'dev', jobId: devJobs[0] },
    { id: 'dep3', appId: APP, branch: 'feature-a', environmentName: 'dev', jobId: devJobs[1] },
    { id: 'dep4', appId: APP, branch: 'feature-b', environmentName: 'dev', jobId: devJobs[2] },
  ]);
  hive = await startHiveGateway(subgraphUrl, {
    plugins: () => [
      {
        onFetch({ url, options }) {
          if (url === subgraphUrl) sentToUs.push(JSON.parse(String(options.body)).query);
        },
      },
    ],
  });
});

afterAll(async () => {
  await hive?.stop();
  await deployments?.stop();
  await stack?.stop();
});

beforeEach(() => {
  stack.resetCalls();
  sentToUs = [];
});

async function federated(query: string, url = hive.url, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

describe('through Hive Gateway', () => {
  it('runs one query across both subgraphs, our entities resolved through _entities', async () => {
    const res = await federated(`{
      app(appId: "${APP}") {
        appName
        deployments {
          id
          branch
          environment { name apis { resourceName } }
          job { jobId operation state }
        }
      }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.app).toEqual({
      appName: 'todo-app',
      deployments: [
        {
          id: 'dep1',
          branch: 'main',
          environment: { name: 'prod', apis: [{ resourceName: 'todoappapi' }] },
          job: null,
        },
        ...devJobs.map((jobId, i) => ({
          id: `dep${i + 2}`,
          branch: ['develop', 'feature-a', 'feature-b'][i],
          environment: { name: 'dev', apis: [{ resourceName: 'todoappapi' }] },
          job: { jobId, operation: expect.any(String), state: 'COMPLETED' },
        })),
      ],
    });
    // Two requests to us: the app from our Query, then the environments and the jobs from
    // _entities (Hive Gateway batches both into one request): the three dev jobs cost one
    // ListBackendJobs page, the app and its two environments one GetBackend each.
    expect(sentToUs).toHaveLength(2);
    expect(sentToUs[1]).toMatch(/_entities\(representations:/);
    expect(stack.calls()).toEqual({ GetBackend: 3, ListBackendJobs: 1 });
  });

  it('starts from the other subgraph and reaches ours by key only', async () => {
    const res = await federated(`{
      deployments(appId: "${APP}") { id environment { name app { appName } } }
    }`);
    expect(res.errors).toBeUndefined();
    expect(res.data.deployments).toEqual([
      { id: 'dep1', environment: { name: 'prod', app: { appName: 'todo-app' } } },
      { id: 'dep2', environment: { name: 'dev', app: { appName: 'todo-app' } } },
      { id: 'dep3', environment: { name: 'dev', app: { appName: 'todo-app' } } },
      { id: 'dep4', environment: { name: 'dev', app: { appName: 'todo-app' } } },
    ]);
  });

  it('passes mutations and subscriptions through; each event is joined with the other subgraph', async () => {
    const started = await federated(`mutation {
      createBackendStorage(input: {
        appId: "${APP}", environmentName: "dev", resourceName: "viafederation"
        config: { permissions: { authenticated: [READ] } }
      }) { job { jobId state } }
    }`);
    expect(started.errors).toBeUndefined();
    const { jobId } = started.data.createBackendStorage.job;

    const res = await fetch(hive.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: `subscription {
          backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") {
            jobId state environment { app { deployments { id } } }
          }
        }`,
      }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = readEvents(res);
    const deploymentIds = {
      app: { deployments: ['dep1', 'dep2', 'dep3', 'dep4'].map((id) => ({ id })) },
    };

    await until(() => stack.gateway.jobs.stats().subscribers === 1, 'the subscription upstream');
    await scheduler.advance(0);
    expect((await events.next()).value).toEqual({
      data: { backendJob: { jobId, state: 'IN_PROGRESS', environment: deploymentIds } },
    });
    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await events.next()).value).toEqual({
      data: { backendJob: { jobId, state: 'COMPLETED', environment: deploymentIds } },
    });
    expect((await events.next()).done).toBe(true);
  });
});

describe('with API keys on our gateway', () => {
  it("Hive Gateway forwards each client's own key to us", async () => {
    const key = 'federation-reader-0001';
    await using secured = await startStack({
      gateway: { access: { insecure: false, apiKeys: [{ key, scopes: ['read'] }] } },
    });
    await using securedHive = scoped(
      await startHiveGateway(await secured.gateway.start(0), {
        propagateHeaders: {
          fromClientToSubgraphs: ({ request, subgraphName }) =>
            subgraphName === 'amplifybackend'
              ? { authorization: request.headers.get('authorization') }
              : undefined,
        },
      }),
      (hive) => hive.stop(),
    );
    const query = `{ deployments(appId: "${APP}") { id environment { app { appName } } } }`;
    const allowed = await federated(query, securedHive.url, { authorization: `Bearer ${key}` });
    expect(allowed.errors).toBeUndefined();
    expect(allowed.data.deployments[0]).toEqual({
      id: 'dep1',
      environment: { app: { appName: 'todo-app' } },
    });
    // Without a key our part is refused; the deployments subgraph needs none.
    const refused = await federated(query, securedHive.url);
    expect(refused.errors).toMatchObject([
      { extensions: { code: 'UNAUTHENTICATED', serviceName: 'amplifybackend' } },
    ]);
  });
});

