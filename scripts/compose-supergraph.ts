import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

// `npm run supergraph -- CONFIG.json [OUT.graphql]`: composes the subgraphs CONFIG names into a
// supergraph SDL with @theguild/federation-composition (MIT). CONFIG has the shape of rover's
// supergraph.yaml, in JSON: each subgraph's routing_url, and its schema from a file or, through
// `_service { sdl }`, from a running subgraph.

export interface SupergraphConfig {
  subgraphs: Record<
    string,
    {
      routing_url: string;
      schema:
        | { file: string }
        | { subgraph_url: string; introspection_headers?: Record<string, string> };
    }
  >;
}

/** A config or a subgraph the composition cannot use: printed as it is, without a stack. */
export class SupergraphInputError extends Error {}

/** The composition of the subgraphs a config file names; file paths are relative to it. */
export async function composeSupergraph(configPath: string) {
  const config = readConfig(configPath);
  const services = await Promise.all(
    Object.entries(config.subgraphs).map(async ([name, subgraph]) => ({
      name,
      url: subgraph.routing_url,
      typeDefs: parse(await sdlOf(name, subgraph.schema, dirname(configPath))),
    })),
  );
  return composeServices(services);
}

function readConfig(configPath: string): SupergraphConfig {
  let config: SupergraphConfig;
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as SupergraphConfig;
  } catch (error) {
    throw new SupergraphInputError(`${configPath}: ${reasonOf(error)}`);
  }
  if (typeof config?.subgraphs !== 'object' || config.subgraphs === null)
    throw new SupergraphInputError(`${configPath}: no "subgraphs" object`);
  return config;
}

async function sdlOf(name: string, schema: SupergraphConfig['subgraphs'][string]['schema'], base: string) {
  if ('file' in schema) {
    const path = resolve(base, schema.file);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new SupergraphInputError(`subgraph "${name}": cannot read its schema file ${path} (${reasonOf(error)})`);
    }
  }
  const url = schema.subgraph_url;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...schema.introspection_headers },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
  } catch (error) {
    throw new SupergraphInputError(
      `subgraph "${name}": could not reach ${url} (${reasonOf(error)}); start it, or give its SDL as "schema": { "file": ... }`,
    );
  }
  const text = await res.text();
  let sdl: unknown;
  try {
    sdl = (JSON.parse(text) as { data?: { _service?: { sdl?: unknown } } }).data?._service?.sdl;
  } catch {
    // Not JSON: said below with what it was.
  }
  if (typeof sdl !== 'string' || !sdl) {
    const hint = res.status === 401 ? ' (it wants a credential: set "introspection_headers")' : '';
    throw new SupergraphInputError(
      `subgraph "${name}": ${url} answered HTTP ${res.status} without _service { sdl }${hint}: ${text.slice(0, 300)}`,
    );
  }
  return sdl;
}

/** fetch() says only "fetch failed"; the system error (ECONNREFUSED, ENOTFOUND...) is its cause. */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof (error as { code?: unknown }).code === 'string') return (error as { code: string }).code;
  return typeof cause?.message === 'string' ? cause.message : (error as Error).message;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [configPath, out] = process.argv.slice(2);
  if (!configPath) {
    console.error('usage: npm run supergraph -- CONFIG.json [OUT.graphql]');
    process.exit(2);
  }
  const result = await composeSupergraph(configPath).catch((error: unknown) => {
    if (!(error instanceof SupergraphInputError)) throw error;
    console.error(`supergraph: ${error.message}`);
    process.exit(1);
  });
  if (result.errors) {
    for (const error of result.errors) console.error(error.message);
    process.exit(1);
  }
  if (out) {
    writeFileSync(out, result.supergraphSdl);
    console.error(`wrote ${out}`);
  } else {
    process.stdout.write(result.supergraphSdl);
  }
}
