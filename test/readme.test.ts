import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupergraphConfig } from '../scripts/compose-supergraph.js';
import { createManualScheduler, readEvents, startStack, startStorageJob, until } from './helpers.js';
import {
  cleanShellEnv,
  readmeBlocks,
  readmeExample,
  readmeText,
  root,
  runShell,
  shellCommands,
  startProcess,
} from './helpers-readme.js';

// The README's examples, run as written: read from README.md, with only what a test must change
// (a port, a job id the README writes as "...") changed, and that said where it happens.

const APP = 'd1todoapp00001';
const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 3 };

/** The operations of a GraphQL block, each as its text in the block. */
const operations = (body: string) => parse(body).definitions.map((d) => body.slice(d.loc!.start, d.loc!.end));

/** The README writes ids a reader gets from an earlier answer as "...". */
function withId(operation: string, id: string) {
  expect(operation).toContain('"..."');
  return operation.replaceAll('"..."', JSON.stringify(id));
}

/** The README's URL with the port a test got instead. */
function withUrl(text: string, readmeUrl: string, url: string) {
  expect(text).toContain(readmeUrl);
  return text.replaceAll(readmeUrl, url);
}

describe('README.md', () => {
  it('marks every fenced block as run by a test that reads it, or as not run and why', () => {
    const blocks = readmeBlocks();
    expect(blocks.filter((b) => !b.example && !b.notRun).map((b) => `README.md:${b.line}`)).toEqual([]);
    for (const { example } of blocks) {
      if (!example) continue;
      const source = readFileSync(join(root, example.runBy), 'utf8');
      expect(source, `${example.runBy} runs the example ${example.name}`).toContain(`readmeExample('${example.name}')`);
    }
  });

  it('asks for the Node version package.json asks for', () => {
    const { engines } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
    const version = /Requires Node ([\d.]+) or later/.exec(readmeText())?.[1];
    expect(`>=${version}`).toBe(engines.node);
  });

  it("the tests silence the AWS SDK's NodeVersionSupportWarning, and no other warning", async () => {
    const script =
      "const { AmplifyBackendClient } = await import('@aws-sdk/client-amplifybackend');" +
      "new AmplifyBackendClient({ region: 'us-east-1' }).destroy(); process.emitWarning('another warning');";
    const run = (env: NodeJS.ProcessEnv) =>
      runShell(`"${process.execPath}" --input-type=module -e "${script.replaceAll('"', '\\"')}"`, env);
    const inTests = await run(process.env);
    expect(inTests.stderr).not.toContain('NodeVersionSupportWarning');
    expect(inTests.stderr).toContain('another warning');
    if (Number(process.versions.node.split('.')[0]) < 22) {
      const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...outside } = process.env;
      expect((await run(outside)).stderr).toContain('NodeVersionSupportWarning');
    }
  });
});

describe('the GraphQL examples', () => {
  it('app-tree: answers in as many upstream calls as the README says, the minimum', async () => {
    await using stack = await startStack();
    const [example] = readmeExample('app-tree');
    const res = await stack.graphql(example.body);
    expect(res.errors).toBeUndefined();
    expect(res.data.app.environments.map((e: { name: string }) => e.name)).toEqual(['dev', 'prod']);
    expect(stack.calls()).toEqual({
      GetBackend: 3,
      GetBackendAPI: 2,
      GetBackendAPIModels: 2,
      GetBackendAuth: 2,
      GetBackendStorage: 2,
      ListBackendJobs: 2,
    });
    const stated = /that query costs (\d+) upstream calls/.exec(readmeText())?.[1];
    expect(Number(stated)).toBe(stack.totalCalls());
  });

  it('start-job: the mutation starts a job, the query reads it as it runs and once done', async () => {
    await using stack = await startStack();
    const [example] = readmeExample('start-job');
    const [mutation, query] = operations(example.body);
    const started = await stack.graphql(mutation);
    expect(started.errors).toBeUndefined();
    const { job } = started.data.createBackendStorage;
    expect(started.data.createBackendStorage).toEqual({
      job: { id: expect.any(String), jobId: expect.any(String), operation: 'CreateBackendStorage', state: 'IN_PROGRESS' },
      environment: { name: 'dev' },
    });
    const read = () => stack.graphql(withId(query, job.jobId));
    expect(await read()).toEqual({ data: { backendJob: { state: 'IN_PROGRESS', isDone: false, error: null } } });
    await stack.emulator.advance(3000);
    expect(await read()).toEqual({ data: { backendJob: { state: 'COMPLETED', isDone: true, error: null } } });
  });

  it('subscriptions: backendJob sends the job, then its change, then completes; backendJobs sends the running job and its change', async () => {
    const scheduler = createManualScheduler();
    await using stack = await startStack({ scheduler, gateway: { jobPolling: polling } });
    const url = await stack.gateway.start(0);
    const [example] = readmeExample('subscriptions');
    const [job, jobs] = operations(example.body);
    const jobId = await startStorageJob(stack, 'photos');
    const subscribe = (query: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ query }),
      }).then(readEvents);
    const jobEvents = await subscribe(withId(job, jobId));
    const jobsEvents = await subscribe(jobs);
    await until(() => stack.gateway.jobs.stats().subscribers === 2, 'both subscriptions');
    await scheduler.advance(0);
    expect((await jobEvents.next()).value).toEqual({
      data: { backendJob: { state: 'IN_PROGRESS', status: 'IN_PROGRESS', error: null } },
    });
    expect((await jobsEvents.next()).value).toEqual({
      data: { backendJobs: { jobId, operation: 'CreateBackendStorage', state: 'IN_PROGRESS' } },
    });

    await stack.emulator.advance(3000);
    await scheduler.advance(polling.maxIntervalMs);
    expect((await jobEvents.next()).value).toEqual({
      data: { backendJob: { state: 'COMPLETED', status: 'COMPLETED', error: null } },
    });
    expect((await jobEvents.next()).done).toBe(true);
    expect((await jobsEvents.next()).value).toEqual({
      data: { backendJobs: { jobId, operation: 'CreateBackendStorage', state: 'COMPLETED' } },
    });
    await jobsEvents.return(undefined);
  });

  it('graphql-ws-client: the snippet, run by node as a file of this project, prints the running job', async () => {
    // Real timers: the snippet's process subscribes when it is ready, and the poller answers at once.
    await using stack = await startStack();
    const url = (await stack.gateway.start(0)).replace('http://', 'ws://');
    const jobId = await startStorageJob(stack, 'photos');
    const [example] = readmeExample('graphql-ws-client');
    const script = withUrl(example.body, 'ws://127.0.0.1:4000/graphql', url);
    const node = startProcess(process.execPath, ['--input-type=module', '-e', script]);
    try {
      // console.log's layout: one line, or several when it is long.
      const [printed] = await node.waitFor(/\{\s+data: \{\s+backendJobs: \{[^}]*\}\s+\}\s+\}/);
      expect(printed.replace(/\s+/g, ' ')).toBe(`{ data: { backendJobs: { jobId: '${jobId}', state: 'IN_PROGRESS' } } }`);
    } finally {
      await node.stop();
    }
  });

  it('cancel-job: updateBackendJob ends a running job with the status it is given', async () => {
    await using stack = await startStack();
    const jobId = await startStorageJob(stack, 'photos');
    const [example] = readmeExample('cancel-job');
    const res = await stack.graphql(withId(example.body, jobId));
    expect(res).toEqual({
      data: { updateBackendJob: { job: { status: 'CANCELLED', state: 'CANCELLED', isDone: true, stuck: false } } },
    });
  });

  it('job-pending: a write refused while a job runs answers as the README shows', async () => {
    await using stack = await startStack();
    const jobId = await startStorageJob(stack, 'photos');
    const res = await stack.graphql(`mutation {
      createBackendApi(input: { appId: "${APP}", environmentName: "dev", resourceName: "second", config: {} }) { job { jobId } }
    }`);
    const [example] = readmeExample('job-pending');
    // "…" stands for an id; the time is the emulator's.
    const shown = JSON.parse(example.body, (_key, value) => (value === '…' ? expect.any(String) : value));
    shown.errors[0].extensions.blockingJob.createTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res).toMatchObject(shown);
    expect(res.errors![0].extensions!.blockingJob.jobId).toBe(jobId);
  });
});

describe('the federation walkthrough', () => {
  const readmeSubgraph = 'http://127.0.0.1:4001/graphql';
  const exampleConfig = () => readFileSync(join(root, 'examples/supergraph.json'), 'utf8');

  /** examples/supergraph.json in a directory of its own, its schema file found, its subgraph at `url`. */
  function configFor(url: string) {
    const dir = mkdtempSync(join(tmpdir(), 'readme-supergraph-'));
    const config = JSON.parse(withUrl(exampleConfig(), readmeSubgraph, url)) as SupergraphConfig;
    const ours = config.subgraphs.amplifybackend.schema as { file: string };
    ours.file = resolve(root, 'examples', ours.file);
    writeFileSync(join(dir, 'supergraph.json'), JSON.stringify(config));
    return { config: join(dir, 'supergraph.json'), out: join(dir, 'supergraph.graphql') };
  }

  /** The README's compose command, on the config and output of a test. */
  function composeCommand(paths: { config: string; out: string }) {
    const [, compose] = shellCommands(readmeExample('supergraph')[0].body);
    expect(compose).toBe('npm run supergraph -- examples/supergraph.json supergraph.graphql');
    return `npm run supergraph -- ${paths.config} ${paths.out}`;
  }

  it('supergraph-config: is examples/supergraph.json', () => {
    const [example] = readmeExample('supergraph-config');
    expect(example.body).toBe(exampleConfig());
  });

  it('supergraph: starts the deployments subgraph and composes it with this gateway', async () => {
    const [serve] = shellCommands(readmeExample('supergraph')[0].body);
    expect(serve).toBe('npx tsx examples/deployments.ts');
    // Any free port rather than 4001, which a reader's own walkthrough may hold.
    const subgraph = startProcess('sh', ['-c', serve], cleanShellEnv({ PORT: '0' }));
    try {
      const [, url] = await subgraph.waitFor(/deployments subgraph: (http:\S+)/);
      const paths = configFor(url);
      const composed = await runShell(composeCommand(paths));
      expect(composed.stderr).toContain(`wrote ${paths.out}`);
      expect(composed.code).toBe(0);
      const supergraph = readFileSync(paths.out, 'utf8');
      expect(supergraph).toContain(`DEPLOYMENTS @join__graph(name: "deployments", url: "${url}")`);
      expect(supergraph).toContain('AMPLIFYBACKEND @join__graph(name: "amplifybackend", url: "http://127.0.0.1:4000/graphql")');
      expect(supergraph).toMatch(/deployments: \[Deployment!\]! @join__field\(graph: DEPLOYMENTS\)/);
    } finally {
      await subgraph.stop();
    }
  });

  it('a subgraph it cannot reach: npm run supergraph names it and its URL, with no stack trace', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/graphql`;
    await new Promise((done) => closed.close(done));
    const composed = await runShell(composeCommand(configFor(url)));
    expect(composed.code).toBe(1);
    expect(composed.stderr).toContain(
      `supergraph: subgraph "deployments": could not reach ${url} (ECONNREFUSED); start it, or give its SDL as "schema": { "file": ... }\n`,
    );
    expect(composed.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the aws CLI against the emulator', () => {
  let emulator: ReturnType<typeof startProcess>;
  let url: string;
  beforeAll(async () => {
    // `npm run emulator -- --port 0`, from source rather than a build of its own.
    emulator = startProcess(process.execPath, ['--import', 'tsx', 'src/emulator/main.ts', '--port', '0']);
    [, url] = await emulator.waitFor(/listening on (http:\S+)/);
  });
  afterAll(() => emulator?.stop());

  it('the command the emulator prints at start runs as printed', async () => {
    const [, hint] = await emulator.waitFor(/^ {2}(.*aws amplifybackend .*)$/m);
    const res = await runShell(hint);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ AppId: APP, AppName: 'todo-app', BackendEnvironmentList: ['dev', 'prod'] });
  });

  it('aws-cli: the README example runs as written', async () => {
    const [example] = readmeExample('aws-cli');
    const res = await runShell(withUrl(example.body, 'http://127.0.0.1:4010', url));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ AppId: APP, BackendEnvironmentName: 'dev' });
  });
});
