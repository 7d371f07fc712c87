import { printSubgraphSchema } from '@apollo/subgraph';
import { entitiesField, EntityType, serviceField } from '@apollo/subgraph/dist/types.js';
import type { ObjectRef } from '@pothos/core';
import { hasResolvableKey } from '@pothos/plugin-federation';
import {
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLUnionType,
  isObjectType,
  lexicographicSortSchema,
  type GraphQLFieldResolver,
} from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { Context } from '../context.js';
import { badUserInput, nullIfAbsent } from '../errors.js';
import type { ResourceKey } from '../keys.js';
import { app } from '../resolvers/app.js';
import { backendEnvironment, environmentKey, resource, type Category } from '../resolvers/environment.js';
import { backendJob } from '../resolvers/job.js';
import { builder, type Types } from './builder.js';
import { addCostDirectives, costDirective, listSizeDirective } from './cost.js';
import { App, BackendApi, BackendAuth, BackendEnvironment, BackendJob, BackendStorage } from './refs.js';
import { pathValue } from './validation.js';

// Federation entities. `_entities` resolves them with the same resolvers, hence the same
// per-request loaders, as the queries: many jobs of one environment cost ListBackendJobs pages.
// An unknown key resolves to null with a NOT_FOUND error at its slot; a malformed representation
// fails only its own slot.

type Key<N extends readonly string[]> = { [K in N[number]]: string };

/** The key fields of a representation, checked like the same arguments of a query. */
function key<const N extends readonly string[]>(representation: object, names: N): Key<N> {
  const values = representation as Record<string, unknown>;
  for (const name of names) {
    const { error } = pathValue.safeParse(values[name]);
    if (error)
      throw badUserInput(`Invalid representation: ${name} ${error.issues[0]?.message}`, name);
  }
  return Object.fromEntries(names.map((name) => [name, values[name]])) as Key<N>;
}

builder.asEntity(App, {
  key: builder.selection<{ appId: string }>('appId'),
  resolveReference: async (ref, ctx) => app(key(ref, ['appId']), ctx),
});

builder.asEntity(BackendEnvironment, {
  key: builder.selection<{ appId: string; name: string }>('appId name'),
  resolveReference: async (ref, ctx) => backendEnvironment(environmentKey(key(ref, ['appId', 'name'])), ctx),
});

builder.asEntity(BackendJob, {
  key: builder.selection<{ appId: string; environmentName: string; jobId: string }>(
    'appId environmentName jobId',
  ),
  resolveReference: async (ref, ctx) =>
    backendJob(key(ref, ['appId', 'environmentName', 'jobId']), ctx),
});

const resources: [ObjectRef<Types, ResourceKey>, Category][] = [
  [BackendApi, 'api'],
  [BackendAuth, 'auth'],
  [BackendStorage, 'storage'],
];

for (const [ref, category] of resources) {
  builder.asEntity(ref, {
    key: builder.selection<ResourceKey>('appId environmentName resourceName'),
    resolveReference: async (representation, ctx) => {
      const r = key(representation, ['appId', 'environmentName', 'resourceName']);
      // A resource of an unknown app or environment is as unknown as any other.
      return nullIfAbsent(resource(r, category, ctx));
    },
  });
}

type ResolveReference = (representation: object, ctx: Context, info: unknown) => unknown;

/**
 * `_entities`, each representation on its own: Apollo's resolver throws synchronously for a
 * `__typename` the schema lacks, which fails the whole list and leaves the references it already
 * started rejecting with no one to handle them (an unhandled rejection ends the process). Here every
 * slot is a promise of its own, and what a client sent wrong fails that slot as BAD_USER_INPUT.
 * The references still start in the same tick (an async function runs until its first await), so
 * the loaders batch them as before.
 */
function resolveEntities(
  entity: GraphQLUnionType,
): GraphQLFieldResolver<unknown, Context, { representations: readonly unknown[] }> {
  // A Map, not an object: `__proto__` or `constructor` as a __typename must find nothing.
  const references = new Map<string, ResolveReference>();
  const keyFields = new Map<string, string[]>();
  for (const type of entity.getTypes()) {
    const apollo = type.extensions.apollo as { subgraph?: { resolveReference?: ResolveReference } } | undefined;
    const resolveReference = apollo?.subgraph?.resolveReference;
    if (resolveReference) references.set(type.name, resolveReference);
    const directives = (type.extensions.directives ?? []) as { name: string; args: { fields?: string } }[];
    keyFields.set(type.name, directives.find((d) => d.name === 'key')?.args.fields?.split(' ') ?? []);
  }
  const known = [...references.keys()].sort().join(', ');

  async function resolveEntity(representation: unknown, ctx: Context, info: unknown) {
    if (typeof representation !== 'object' || representation === null || Array.isArray(representation))
      throw badUserInput(`Invalid representation: must be an object with __typename and key fields, not ${kindOf(representation)}`, '__typename');
    const typename: unknown = Object.hasOwn(representation, '__typename')
      ? (representation as { __typename: unknown }).__typename
      : undefined;
    if (typeof typename !== 'string')
      throw badUserInput(`Invalid representation: __typename must be a string, not ${kindOf(typename)}`, '__typename');
    const resolveReference = references.get(typename);
    if (!resolveReference)
      throw badUserInput(
        `Invalid representation: __typename ${JSON.stringify(typename.slice(0, 100))} is no entity of this subgraph (${known})`,
        '__typename',
      );
    const value = await resolveReference(representation, ctx, info);
    // Still null, but said: a router reads the error at `_entities.N` back to the reference that
    // asked, where a bare null would end as a null it cannot explain.
    if (value === null || typeof value !== 'object') throw entityNotFound(typename, keyFields.get(typename)!, representation);
    // The union's type resolver reads __typename; a copy leaves the loaders' cached objects alone.
    return { ...value, __typename: typename };
  }

  return (_source, { representations }, ctx, info) => representations.map((r) => resolveEntity(r, ctx, info));
}

/** The key is checked by then (`key()`): only valid path segments are quoted back. */
const entityNotFound = (typename: string, fields: string[], representation: object) =>
  createGraphQLError(
    `${typename} not found: ${fields.map((f) => `${f} ${JSON.stringify((representation as Record<string, unknown>)[f])}`).join(', ')}`,
    { extensions: { code: 'NOT_FOUND' } },
  );

const kindOf = (value: unknown) =>
  value === null ? 'null' : Array.isArray(value) ? 'an array' : value === undefined ? 'missing' : `a ${typeof value}`;

/**
 * The whole graph as a Federation v2 subgraph: `_entities` and `_service` added to Query, `@link`
 * and `@key` in the SDL that `_service` answers. Pothos's `builder.toSubGraphSchema` does the same
 * but serves the schema sorted, which would reorder every type's fields for every client.
 */
export function buildSubgraphSchema() {
  const graph = builder.toSchema({
    sortSchema: false,
    // Directives beyond @key (@shareable, @tag, ...) must be imported here once used.
    extensions: { directives: [{ name: 'link', args: { url: FEDERATION_URL, import: ['@key', '@cost', '@listSize'] } }] },
  });
  const config = graph.toConfig();
  const query = graph.getQueryType()!.toConfig();
  const entity = new GraphQLUnionType({
    ...EntityType.toConfig(),
    types: config.types.filter(isObjectType).filter(hasResolvableKey),
  });
  const Query = new GraphQLObjectType({
    ...query,
    fields: {
      ...query.fields,
      _entities: {
        ...entitiesField,
        type: new GraphQLNonNull(new GraphQLList(entity)),
        resolve: resolveEntities(entity),
      },
      _service: { ...serviceField, resolve: (): { sdl: string } => ({ sdl: sdl() }) },
    },
  });
  const schema = new GraphQLSchema({
    ...config,
    query: Query,
    types: config.types.map((type) => (type.name === Query.name ? Query : type)),
    directives: [...config.directives, costDirective, listSizeDirective],
  });
  addCostDirectives(schema);
  // Sorted, as Pothos prints it: subgraph.graphql diffs well. Printed when first asked for: it
  // runs Apollo's federation validation, which costs about 150 ms of every start otherwise.
  let printed: string | undefined;
  const sdl = (): string => (printed ??= printSubgraphSchema(lexicographicSortSchema(schema)));
  return { schema, sdl };
}

export const FEDERATION_URL = 'https://specs.apollo.dev/federation/v2.9';
