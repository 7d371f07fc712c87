import SchemaBuilder, { brandWithType, type OutputType } from '@pothos/core';
import DirectivesPlugin from '@pothos/plugin-directives';
import FederationPlugin from '@pothos/plugin-federation';
import RelayPlugin, { resolveNodes } from '@pothos/plugin-relay';
import ValidationPlugin from '@pothos/plugin-validation';
import { GraphQLScalarType, valueFromASTUntyped, type GraphQLResolveInfo } from 'graphql';
import type { Context } from '../context.js';
import { badUserInput } from '../errors.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  // Federation after the plugins that wrap resolvers, as its docs ask.
  plugins: [RelayPlugin, ValidationPlugin, DirectivesPlugin, FederationPlugin],
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    decodeGlobalID: decodeGlobalId,
    nodesQueryOptions: { resolve: (_root, { ids }, ctx, info) => resolveEachNode(ids, ctx, info) },
  },
  validation: {
    validationError: (result) => {
      const issue = result.issues[0];
      const field = issue?.path?.map((p) => (typeof p === 'object' ? p.key : p)).join('.');
      return badUserInput(field ? `${field}: ${issue.message}` : (issue?.message ?? 'Invalid input'), field);
    },
  },
});

/** The builder's type parameters, for helpers typed against it. */
export type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** What an input type's `fields` thunk is handed. */
export type InputFieldBuilder = PothosSchemaTypes.InputFieldBuilder<Types, 'InputObject'>;

builder.addScalarType(
  'JSON',
  new GraphQLScalarType({
    name: 'JSON',
    description: 'Any JSON value, as the service sends it (an object, for the configs that use it).',
    serialize: (value) => value,
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  }),
);
builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

// Pothos's own decoding throws a plain error, which would be masked; a bad id is the client's.
function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const typename = decoded.slice(0, colon);
  if (
    colon <= 0 ||
    colon === decoded.length - 1 ||
    Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') !== globalId.replace(/=+$/, '') ||
    !isNodeType(typename)
  ) {
    throw badUserInput(`Invalid global id "${globalId}"`, 'id');
  }
  return { typename, id: decoded.slice(colon + 1) };
}

// Pothos resolves nodes(ids) all or nothing; as in any list, one failing id fails only its slot.
function resolveEachNode(
  ids: { typename: string; id: string }[],
  ctx: Context,
  info: GraphQLResolveInfo,
): Promise<unknown>[] {
  return ids.map(async (id) => {
    const node = await (await resolveNodes(builder, ctx, info, [id]))[0];
    // An id already loaded in this request comes from Pothos's cache, maybe not yet branded. A
    // type's name is one of its output types (decodeGlobalId let through only node types' names);
    // Pothos's own node resolution brands by name the same way.
    brandWithType(node, id.typename as OutputType<Types>);
    return node;
  });
}

// Pothos answers an id naming no node type with an error that carries no code.
function isNodeType(typename: string) {
  const store = builder.configStore;
  if (!store.hasImplementation(typename)) return false;
  const config = store.getTypeConfig(typename);
  if (config.kind !== 'Object') return false;
  return config.interfaces.some((i) => store.getTypeConfig(i).name === 'Node');
}
