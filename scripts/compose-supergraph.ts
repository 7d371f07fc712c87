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

/** The composition of the subgraphs a config file names; file paths are relative to it. */
export async function composeSupergraph(configPath: string) {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as SupergraphConfig;
  const services = await Promise.all(
    Object.entries(config.subgraphs).map(async ([name, subgraph]) => ({
      name,
      url: subgraph.routing_url,
      typeDefs: parse(await sdlOf(subgraph.schema, dirname(configPath))),
    })),
  );
  return composeServices(services);
}

async function sdlOf(schema: SupergraphConfig['subgraphs'][string]['schema'], base: string) {
  if ('file' in schema) return readFileSync(resolve(base, schema.file), 'utf8');
  const res = await fetch(schema.subgraph_url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...schema.introspection_headers },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await res.json()) as { data?: { _service?: { sdl?: string } }; errors?: unknown };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new Error(`${schema.subgraph_url}: no _service { sdl }: ${JSON.stringify(body)}`);
  return sdl;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [configPath, out] = process.argv.slice(2);
  if (!configPath) {
    console.error('usage: npm run supergraph -- CONFIG.json [OUT.graphql]');
    process.exit(2);
  }
  const result = await composeSupergraph(configPath);
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
