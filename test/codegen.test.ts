import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, type CodegenConfig } from '@graphql-codegen/cli';
import { getOperationAST, parse } from 'graphql';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import exampleConfig from '../examples/codegen.js';
import { AddStorageDocument, EnvironmentViewDocument, WatchJobDocument } from '../examples/gql/graphql.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { usePersistedOperationsFile } from '../src/security/persisted-operations.js';
import { createGateway } from '../src/server.js';
import { startStack, type Stack } from './helpers.js';
import { requestError } from './helpers-errors.js';
import { readmeExample, root, shellCommands, startProcess } from './helpers-readme.js';
import { firstOver, persistedQuery, runOver, transports, type Operation } from './helpers-transport.js';

// The path of a frontend team (README "Typed clients and persisted documents"): GraphQL Code
// Generator's client preset on examples/operations, run into a directory of the test's own; its
// persisted-documents.json served as PERSISTED_OPERATIONS_FILE with REQUIRE_PERSISTED_OPERATIONS;
// the generated documents run by id over HTTP, SSE and graphql-ws, and type-checked in use.

const APP = 'd1todoapp00001';
const examplesOut = 'examples/gql/';
const readmeUrl = 'http://127.0.0.1:4000/graphql';
const persistedOnly =
  'Only persisted operations are accepted: send extensions.persistedQuery { version: 1, sha256Hash } instead of a query';

/** examples/codegen.ts with its output in `dir` (and the schema from `schema`, if given). */
async function codegen(dir: string, schema?: CodegenConfig['schema']) {
  const output = exampleConfig.generates[examplesOut];
  await generate(
    { ...exampleConfig, ...(schema ? { schema } : {}), cwd: root, silent: true, generates: { [`${dir}/`]: output } },
    true,
  );
}

/**
 * The layout of examples/ in the test's directory: the client beside gql/, an ES module package
 * that resolves packages from the project.
 */
function exampleLayout() {
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  if (!existsSync(join(dir, 'node_modules'))) symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'typed-client.ts'), readmeExample('typed-client')[0].body);
}

const filesOf = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
const idOf = (document: unknown) => (document as { __meta__: { hash: string } }).__meta__.hash;

let dir: string;
let manifestFile: string;
let manifest: Record<string, string>;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'codegen-'));
  manifestFile = join(dir, 'gql', 'persisted-documents.json');
  await codegen(join(dir, 'gql'));
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, string>;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GraphQL Code Generator on examples/operations', () => {
  it('codegen-config: the README block is examples/codegen.ts', () => {
    expect(readmeExample('codegen-config')[0].body).toBe(readFileSync(join(root, 'examples/codegen.ts'), 'utf8'));
  });

  it('codegen: npm run codegen runs examples/codegen.ts, and the checked-in examples/gql/ is what it writes', () => {
    expect(shellCommands(readmeExample('codegen')[0].body)).toEqual(['npm run codegen']);
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.codegen).toBe('graphql-codegen --config examples/codegen.ts');
    const written = filesOf(join(dir, 'gql'));
    expect(Object.keys(written)).toEqual(['gql.ts', 'graphql.ts', 'index.ts', 'persisted-documents.json']);
    // `npm run codegen` after changing an operation or the schema brings it up to date.
    expect(filesOf(join(root, examplesOut))).toEqual(written);
  });

  it('the manifest maps each document id, sha256: and the hash of the document, to the document each generated one carries', () => {
    for (const [id, document] of Object.entries(manifest)) {
      expect(id).toBe(`sha256:${createHash('sha256').update(document).digest('hex')}`);
    }
    const byName = Object.fromEntries(Object.entries(manifest).map(([id, text]) => [getOperationAST(parse(text))!.name!.value, id]));
    expect(byName).toEqual({
      EnvironmentView: idOf(EnvironmentViewDocument),
      WatchJob: idOf(WatchJobDocument),
      AddStorage: idOf(AddStorageDocument),
    });
  });

  it('codegen-introspection: the schema read from a gateway with a key gives the same types as schema.graphql', async () => {
    const key = 'codegen-read-key-0001';
    await using stack = await startStack({ gateway: { access: { apiKeys: [{ key, scopes: ['read'] }] } } });
    const url = await stack.gateway.start(0);
    // The README's block is a property of examples/codegen.ts, in TypeScript.
    const [example] = readmeExample('codegen-introspection');
    const js = ts.transpileModule(`export default { ${example.body} }`, { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
    const module = { exports: {} as { default: { schema: unknown } } };
    new Function('module', 'exports', 'process', js)(module, module.exports, { env: { GATEWAY_API_KEY: key } });
    const schema = JSON.parse(JSON.stringify(module.exports.default.schema).replaceAll(readmeUrl, url)) as CodegenConfig['schema'];
    expect(schema).toEqual({ [url]: { headers: { 'x-api-key': key } } });

    const out = join(dir, 'introspected');
    await codegen(out, schema);
    expect(filesOf(out)).toEqual(filesOf(join(dir, 'gql')));
  });
});

describe('the manifest served as PERSISTED_OPERATIONS_FILE with REQUIRE_PERSISTED_OPERATIONS=true', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ gateway: { limits: { persistedOperationsFile: manifestFile, requirePersistedOperations: true } } });
    await stack.gateway.start(0);
  });
  afterAll(() => stack?.stop());

  // How a client names a document: GraphQL over HTTP's documentId, or Apollo's extension with the
  // preset's id as it is or with the bare hex.
  const forms = {
    documentId: (id: string, rest: Operation): Operation => ({ ...rest, documentId: id }) as Operation,
    sha256Hash: (id: string, rest: Operation) => persistedQuery(id, rest),
    hex: (id: string, rest: Operation) => persistedQuery(id.replace(/^sha256:/, ''), rest),
  };
  const cases = transports.flatMap((transport) =>
    (['documentId', 'sha256Hash', 'hex'] as const).map((form) => [transport, form] as const),
  );

  it.each(cases)('over %s by %s: adds storage, follows its job, then reads the environment', async (transport, form) => {
    const send = (document: unknown, variables: Record<string, unknown>) => forms[form](idOf(document), { variables });
    const resourceName = `${transport}${form}`;
    const job = { jobId: expect.any(String), operation: 'CreateBackendStorage', state: 'IN_PROGRESS', isDone: false, error: null };

    const added = await firstOver(transport, stack.gateway, send(AddStorageDocument, {
      input: { appId: APP, environmentName: 'dev', resourceName, config: { permissions: { authenticated: ['READ'] } } },
    }));
    expect(added).toEqual({ data: { createBackendStorage: { job } } });
    const { jobId } = added.data.createBackendStorage.job;

    // A subscription's events need a stream: SSE or graphql-ws, not a JSON response.
    if (transport !== 'http') {
      const watched = await firstOver(transport, stack.gateway, send(WatchJobDocument, { appId: APP, environmentName: 'dev', jobId }));
      expect(watched).toEqual({ data: { backendJob: { ...job, jobId } } });
    }

    await stack.emulator.advance(3000);
    const view = await runOver(transport, stack.gateway, send(EnvironmentViewDocument, { appId: APP, name: 'dev' }));
    expect(view.results).toHaveLength(1);
    const environment = view.results[0].data.backendEnvironment;
    expect(environment.storages).toContainEqual({ resourceName });
    expect(environment.pendingJob).toBeNull();
    expect(environment.jobs.edges).toContainEqual({ node: { ...job, jobId, state: 'COMPLETED', isDone: true } });
  });

  it.each(transports)('over %s refuses any other document, even a persisted one sent as text, before any upstream call', async (transport) => {
    stack.resetCalls();
    const [persistedText] = Object.values(manifest);
    for (const query of [`{ app(appId: "${APP}") { appName } }`, persistedText]) {
      expect(await firstOver(transport, stack.gateway, { query, variables: { appId: APP, name: 'dev' } })).toEqual({
        errors: [requestError('PERSISTED_QUERY_ONLY', persistedOnly)],
      });
    }
    const unknown = `sha256:${'f'.repeat(64)}`;
    for (const operation of [forms.documentId(unknown, {}), forms.sha256Hash(unknown, {})]) {
      expect(await firstOver(transport, stack.gateway, operation)).toEqual({
        errors: [requestError('PERSISTED_QUERY_NOT_IN_LIST', 'Unknown persisted operation: no operation has this sha256Hash')],
      });
    }
    expect(stack.calls()).toEqual({});
  });

  it('runs a documentId sent in a GET query string, as GraphQL over HTTP has it', async () => {
    const search = new URLSearchParams({
      documentId: idOf(EnvironmentViewDocument),
      variables: JSON.stringify({ appId: APP, name: 'dev' }),
    });
    const res = await stack.gateway.yoga.fetch(`http://yoga/graphql?${search}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { backendEnvironment: { name: string } } };
    expect(body.data.backendEnvironment.name).toBe('dev');
  });
});

describe('the forms of PERSISTED_OPERATIONS_FILE', () => {
  const document = 'query One { __typename }';
  const hex = createHash('sha256').update(document).digest('hex');
  const start = (operations: Record<string, string>) => {
    const file = join(dir, 'operations.json');
    writeFileSync(file, JSON.stringify(operations));
    return usePersistedOperationsFile(file, true);
  };

  it.each([
    ['the bare hex (Apollo)', { [hex]: document }],
    ['a sha256: id (the client preset)', { [`sha256:${hex}`]: document }],
    ['both, for one document', { [hex]: document, [`sha256:${hex}`]: document }],
  ])('takes %s', async (_name, operations) => {
    await expect(start(operations)).resolves.toBeTruthy();
  });

  it.each([
    ['a sha256: id that is not its document\'s hash', { [`sha256:${'0'.repeat(64)}`]: document }, `the document under "sha256:${'0'.repeat(64)}" does not hash to it`],
    ['two documents under one hash', { [hex]: 'query Other { __typename }', [`sha256:${hex}`]: document }, `two documents under the hash ${hex}`],
  ])('refuses to start on %s', async (_name, operations, reason) => {
    await expect(start(operations)).rejects.toThrow(new ConfigError(`PERSISTED_OPERATIONS_FILE ${join(dir, 'operations.json')}: ${reason}`));
  });
});

describe('a typed client of the generated documents', () => {
  it('typed-client: the README block is examples/typed-client.ts', () => {
    expect(readmeExample('typed-client')[0].body).toBe(readFileSync(join(root, 'examples/typed-client.ts'), 'utf8'));
  });

  it('typed-usage: type-checks against the freshly generated documents; a missing variable or an unselected field does not', () => {
    exampleLayout();
    writeFileSync(join(dir, 'usage.ts'), readmeExample('typed-usage')[0].body);
    writeFileSync(
      join(dir, 'wrong.ts'),
      `import { EnvironmentViewDocument } from './gql/graphql.js';
import { execute } from './typed-client.js';

const { data } = await execute('${readmeUrl}', EnvironmentViewDocument, { appId: '${APP}' });
console.log(data?.backendEnvironment?.featureFlags);
`,
    );
    const diagnostics = (file: string) => {
      const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
      const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
      const program = ts.createProgram([join(dir, file)], { ...options, noEmit: true });
      return ts.getPreEmitDiagnostics(program).map((d) => {
        const where = d.file ? `${d.file.fileName.slice(dir.length + 1)}:${d.file.getLineAndCharacterOfPosition(d.start!).line + 1}` : '';
        return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
      });
    };
    expect(diagnostics('usage.ts')).toEqual([]);
    expect(diagnostics('wrong.ts')).toEqual([
      expect.stringMatching(/^wrong\.ts:4 TS2345: .*Property 'name' is missing in type '\{ appId: string; \}'/),
      expect.stringMatching(/^wrong\.ts:5 TS2339: Property 'featureFlags' does not exist on type/),
    ]);
  });

  it('codegen-serve: the gateway started as the README says runs the usage by id, and refuses a plain query', async () => {
    const [command] = shellCommands(readmeExample('codegen-serve')[0].body);
    const [, assignments, rest] = /^((?:\w+=\S+ )+)(.*)$/.exec(command)!;
    expect(rest).toBe('npm start');
    const env = Object.fromEntries(assignments.trim().split(' ').map((a) => a.split('=') as [string, string]));
    expect(env).toEqual({ PERSISTED_OPERATIONS_FILE: 'examples/gql/persisted-documents.json', REQUIRE_PERSISTED_OPERATIONS: 'true' });
    // What `npm start` does (src/main.ts), in-process, on ports of the test's own.
    const file = join(root, env.PERSISTED_OPERATIONS_FILE);
    const gateway = await createGateway(loadConfig({ ...env, PERSISTED_OPERATIONS_FILE: file, PORT: '0', EMULATOR_PORT: '0' }));
    try {
      const url = await gateway.start(0);
      exampleLayout();
      const usage = join(dir, 'usage-run.ts');
      writeFileSync(usage, readmeExample('typed-usage')[0].body.replace(readmeUrl, url));
      const run = startProcess(process.execPath, ['--import', 'tsx', usage]);
      try {
        const [printed] = await run.waitFor(/\[[^\]]*\]/);
        expect(printed).toBe("[ 'todoappstorage' ]");
      } finally {
        await run.stop();
      }
      const [text] = Object.values(manifest);
      const plain = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: text, variables: { appId: APP, name: 'dev' } }),
      });
      expect(await plain.json()).toEqual({ errors: [requestError('PERSISTED_QUERY_ONLY', persistedOnly)] });
    } finally {
      await gateway.stop();
    }
  });
});
