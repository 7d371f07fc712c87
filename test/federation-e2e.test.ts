import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createGatewayRuntime,
  getGraphQLWSOptions,
  type GatewayConfigSupergraph,
} from '@graphql-hive/gateway-runtime';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { printSubgraph } from '../src/schema/index.js';
import { deploymentsTypeDefs, startDeployments } from '../examples/deployments.js';
import { createManualScheduler, createWsClients, readEvents, type Stack, startStack, until, nothingKept } from './helpers.js';
import { readmeExample } from './helpers-readme.js';

// Our gateway, a second subgraph and Hive Gateway (MIT) in front of both, on 127.0.0.1, serving
// the supergraph that @theguild/federation-composition composes.

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

let stack: Stack;
let scheduler: ReturnType<typeof createManualScheduler>;
let deployments: Awaited<ReturnType<typeof startDeployments>>;
let hive: Awaited<ReturnType<typeof startHiveGateway>>;
let devJobs: string[];
/** Our gateway, served on 127.0.0.1. */
let subgraphUrl: string;
/** The operations Hive Gateway sent to our subgraph. */
let sentToUs: string[] = [];

/** Composes our subgraph at `subgraphUrl` with the deployments one; Hive Gateway serves that. */
async function startHiveGateway(
  subgraphUrl: string,
  options: Omit<GatewayConfigSupergraph, 'supergraph'> = {},
  deploymentsUrl = deployments.url,
) {
  const composed = composeServices([
    { name: 'amplifybackend', typeDefs: parse(printSubgraph()), url: subgraphUrl },
    { name: 'deployments', typeDefs: parse(deploymentsTypeDefs), url: deploymentsUrl },
  ]);
  expect(composed.errors).toBeUndefined();
  const runtime = createGatewayRuntime({
    supergraph: composed.supergraphSdl!,
    logging: false,
    ...options,
  });
  const server = createServer(runtime);
  // graphql-ws on the same path, as Hive Gateway's CLI serves it (its startNodeHttpServer): the
  // context gets the upgrade request as `req` and as a fetch `request`.
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const graphqlWs = useServer(
    getGraphQLWSOptions<Record<string, any>, Extra>(runtime, (ctx) => ({
      req: ctx.extra.request,
      socket: ctx.extra.socket,
      request: new Request(`http://127.0.0.1${ctx.extra.request.url}`, {
        headers: Object.entries(ctx.extra.request.headers).flatMap(([name, value]) =>
          typeof value === 'string' ? [[name, value] as [string, string]] : [],
        ),
      }),
    })),
    sockets,
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    async stop() {
      await graphqlWs.dispose();
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
  // Counts upstream calls per request: nothing kept across requests.
  stack = await startStack({ scheduler, gateway: { ...nothingKept, jobPolling: polling } });
  subgraphUrl = await stack.gateway.start(0);
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

describe('a reference to an entity we do not have', () => {
  it('reaches the client as NOT_FOUND where it was referenced, not as a null nobody explains', async () => {
    const stale = await startDeployments([
      { id: 'dep9', appId: APP, branch: 'old', environmentName: 'gone' },
    ]);
    const staleHive = await startHiveGateway(subgraphUrl, {}, stale.url);
    try {
      const res = await federated(`{ deployments(appId: "${APP}") { id environment { name apis { resourceName } } } }`, staleHive.url);
      // The non-null environment makes the whole answer null, as it must; the error says why.
      expect(res).toEqual({
        data: null,
        errors: [
          {
            message: `BackendEnvironment not found: appId "${APP}", name "gone"`,
            path: ['deployments', 0, 'environment', 'apis'],
            extensions: { code: 'NOT_FOUND', serviceName: 'amplifybackend' },
          },
        ],
      });
    } finally {
      await staleHive.stop();
      await stale.stop();
    }
  });
});

/**
 * The README's `gateway.config.ts`, loaded as Hive Gateway's CLI loads it. The CLI is not
 * installed here: its `defineConfig` (which returns the config it is given) is the one line
 * changed.
 */
async function readmeGatewayConfig() {
  const [example] = readmeExample('hive-gateway-config');
  const cliImport = "import { defineConfig } from '@graphql-hive/gateway';";
  expect(example.body).toContain(cliImport);
  const file = join(mkdtempSync(join(tmpdir(), 'hive-gateway-config-')), 'gateway.config.ts');
  writeFileSync(file, example.body.replace(cliImport, 'const defineConfig = <T>(config: T): T => config;'));
  const { gatewayConfig } = (await import(file)) as { gatewayConfig: Omit<GatewayConfigSupergraph, 'supergraph'> };
  return gatewayConfig;
}

describe("with API keys on our gateway, Hive Gateway configured as the README says", () => {
  const key = 'federation-reader-0001';
  let secured: Stack;
  let securedHive: Awaited<ReturnType<typeof startHiveGateway>>;
  const ws = createWsClients();
  beforeAll(async () => {
    secured = await startStack({
      gateway: { access: { insecure: false, apiKeys: [{ key, scopes: ['read'] }] } },
    });
    securedHive = await startHiveGateway(await secured.gateway.start(0), await readmeGatewayConfig());
  });
  afterAll(async () => {
    await ws.disposeAll();
    await securedHive?.stop();
    await secured?.stop();
  });

  const query = `{ deployments(appId: "${APP}") { id environment { app { appName } } } }`;

  it("Hive Gateway forwards each client's own key to us", async () => {
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

  it('a graphql-ws client of Hive Gateway: its connectionParams reach us, for a query and a subscription', async () => {
    const wsUrl = securedHive.url.replace('http://', 'ws://');
    const client = ws.connect(wsUrl, { authorization: `Bearer ${key}` });
    const answer = await client.iterate({ query }).next();
    expect(answer.value).toEqual({
      data: {
        deployments: ['dep1', 'dep2', 'dep3', 'dep4'].map((id) => ({
          id,
          environment: { app: { appName: 'todo-app' } },
        })),
      },
    });

    // A finished job: the subscription sends it once and completes, each event joined with the
    // deployments subgraph.
    const jobs = await secured.request(
      { query: `{ backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 1) { edges { node { jobId } } } } }` },
      { authorization: `Bearer ${key}` },
    );
    const [{ node: { jobId } }] = jobs.body.data.backendEnvironment.jobs.edges;
    const events = client.iterate({
      query: `subscription {
        backendJob(appId: "${APP}", environmentName: "dev", jobId: "${jobId}") {
          jobId state environment { app { deployments { id } } }
        }
      }`,
    });
    expect((await events.next()).value).toEqual({
      data: {
        backendJob: {
          jobId,
          state: 'COMPLETED',
          environment: { app: { deployments: ['dep1', 'dep2', 'dep3', 'dep4'].map((id) => ({ id })) } },
        },
      },
    });
    expect((await events.next()).done).toBe(true);

    // Without connectionParams our part is refused.
    const anonymous = await ws.connect(wsUrl).iterate({ query }).next();
    expect(anonymous.value.errors).toMatchObject([
      { extensions: { code: 'UNAUTHENTICATED', serviceName: 'amplifybackend' } },
    ]);
  });
});
