import fc from 'fast-check';
import {
  getNamedType,
  isAbstractType,
  isLeafType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';
import { startStack, type Stack } from './helpers.js';

// The estimate is a sound upper bound: whatever query over the schema, what the request asks of
// the upstream (ctx.reads and ctx.aws), and what the emulator serves, is at most what was
// estimated before it ran. Queries are drawn from the schema itself: random fields, aliases,
// inline and named fragments, list arguments literal or from variables, `first` and `after`.

const APP = 'd1todoapp00001';
const MAX_DEPTH = 3;

const globalId = (type: string, ...key: string[]) =>
  Buffer.from(`${type}:${key.length === 1 ? key[0] : JSON.stringify(key)}`).toString('base64');

interface Pools {
  jobIds: string[];
  cursors: string[];
  ids: string[];
  representations: object[];
}

type Draw = <T>(arb: fc.Arbitrary<T>) => T;

/** One query and its variables, drawn over the schema from the root Query type. */
function drawQuery(draw: Draw, pools: Pools) {
  const fragments: string[] = [];
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  let aliases = 0;

  const variable = (type: string, value: unknown) => {
    const name = `v${definitions.length}`;
    definitions.push(`$${name}: ${type}`);
    variables[name] = value;
    return `$${name}`;
  };
  // A value as a literal, or from a variable of `type`.
  const either = (type: string, value: unknown, literal: string) => (draw(fc.boolean()) ? variable(type, value) : literal);

  const argValue = (field: GraphQLField<unknown, unknown>, name: string): string | undefined => {
    switch (name) {
      case 'appId':
        return JSON.stringify(draw(fc.constantFrom(APP, APP, 'd2gallery00002', 'nope00000000')));
      case 'name':
      case 'environmentName':
        return JSON.stringify(draw(fc.constantFrom('dev', 'dev', 'prod', 'staging', 'nope')));
      case 'resourceName':
        return JSON.stringify(draw(fc.constantFrom('todoappapi', 'todoappauth', 'todoappstorage', 'photogalleryapi', 'nope')));
      case 'jobId':
        return JSON.stringify(draw(fc.constantFrom(...pools.jobIds, 'nope')));
      case 'sessionId':
        return '"nope"';
      case 'id':
        return JSON.stringify(draw(fc.constantFrom(...pools.ids)));
      case 'first': {
        if (draw(fc.boolean())) return undefined;
        const first = draw(fc.integer({ min: 0, max: 30 }));
        return either('Int', first, String(first));
      }
      case 'after': {
        if (draw(fc.integer({ min: 0, max: 3 })) > 0 || field.name !== 'jobs') return undefined;
        const cursor = draw(fc.constantFrom(...pools.cursors));
        return either('String', cursor, JSON.stringify(cursor));
      }
      case 'status':
        return draw(fc.constantFrom(undefined, undefined, '"COMPLETED"', '"IN_PROGRESS"'));
      case 'operation':
        return draw(fc.constantFrom(undefined, undefined, '"GenerateBackendAPIModels"'));
      case 'ids': {
        const ids = draw(fc.array(fc.constantFrom(...pools.ids), { maxLength: 8 }));
        return either('[ID!]!', ids, JSON.stringify(ids));
      }
      case 'representations':
        return variable('[_Any!]!', draw(fc.array(fc.constantFrom(...pools.representations), { maxLength: 8 })));
      default:
        throw new Error(`no values for argument ${name} of ${field.name}`);
    }
  };

  const args = (field: GraphQLField<unknown, unknown>) => {
    const given = field.args
      .map((arg) => [arg.name, argValue(field, arg.name)] as const)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}: ${value}`);
    return given.length ? `(${given.join(', ')})` : '';
  };

  const children = (named: GraphQLNamedType, depth: number): string => {
    if (depth >= MAX_DEPTH) return '{ __typename }';
    if (isObjectType(named)) return `{ ${selection(named, depth + 1)} }`;
    if (!isAbstractType(named)) return '';
    const names = draw(fc.subarray(schema.getPossibleTypes(named).map((t) => t.name), { minLength: 1, maxLength: 3 }));
    return `{ __typename ${names.map((name) => `... on ${name} { ${selection(schema.getType(name) as GraphQLObjectType, depth + 1)} }`).join(' ')} }`;
  };

  const fieldText = (field: GraphQLField<unknown, unknown>, depth: number) => {
    const named = getNamedType(field.type);
    // Every field has an alias of its own: fields of one name with other arguments or types never clash.
    const alias = `a${aliases++}: `;
    return `${alias}${field.name}${args(field)} ${isLeafType(named) ? '' : children(named, depth)}`;
  };

  const selection = (type: GraphQLObjectType, depth: number): string => {
    const fields = type.getFields();
    const names = Object.keys(fields).filter((name) => name !== '_service');
    const chosen = draw(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }));
    const body = chosen.map((name) => fieldText(fields[name]!, depth)).join(' ');
    switch (draw(fc.constantFrom('plain', 'plain', 'inline', 'named'))) {
      case 'inline':
        return `... on ${type.name} { ${body} }`;
      case 'named': {
        const name = `F${fragments.length}`;
        fragments.push(`fragment ${name} on ${type.name} { ${body} }`);
        return `...${name}`;
      }
      default:
        return body;
    }
  };

  const body = selection(schema.getQueryType()!, 0);
  const header = definitions.length ? `query(${definitions.join(', ')})` : 'query';
  return { query: [`${header} { ${body} }`, ...fragments].join('\n'), variables };
}

describe('the estimate is an upper bound of the calls made', () => {
  let stack: Stack;
  let pools: Pools;
  beforeAll(async () => {
    stack = await startStack({
      gateway: {
        limits: {
          costExtensions: true,
          maxAliases: 100_000,
          maxUpstreamCalls: 100_000,
          upstreamCallsPerMinute: 0,
          rateLimitPerMinute: 0,
          maxDepth: 100,
        },
      },
    });
    // 35 more jobs in dev: `jobs` pages, and several jobs of it by key walk the pages.
    for (let i = 0; i < 35; i++) {
      stack.emulator.store.generateModels(APP, 'dev', 'todoappapi');
      await stack.emulator.advance(3000);
    }
    const listed = await stack.graphql(
      `{ backendEnvironment(appId: "${APP}", name: "dev") { jobs(first: 60) { edges { cursor node { jobId } } } } }`,
    );
    const edges = listed.data.backendEnvironment.jobs.edges as { cursor: string; node: { jobId: string } }[];
    const jobIds = edges.map((e) => e.node.jobId);
    const resources = ['BackendApi', 'BackendAuth', 'BackendStorage'].flatMap((type, i) =>
      [
        [APP, 'dev', ['todoappapi', 'todoappauth', 'todoappstorage'][i]!],
        [APP, 'prod', 'nope'],
      ].map((key) => globalId(type, ...key)),
    );
    pools = {
      jobIds: [jobIds[0]!, jobIds[3]!, jobIds[24]!, jobIds[30]!, jobIds[39]!],
      cursors: [edges[0]!.cursor, edges[12]!.cursor, edges[24]!.cursor, edges[26]!.cursor],
      ids: [
        globalId('App', APP),
        globalId('App', 'nope00000000'),
        globalId('BackendEnvironment', APP, 'dev'),
        globalId('BackendEnvironment', 'd2gallery00002', 'staging'),
        ...[0, 5, 27, 33].map((i) => globalId('BackendJob', APP, 'dev', jobIds[i]!)),
        // A job no page lists: the walk reads every page, then asks GetBackendJob.
        globalId('BackendJob', APP, 'dev', 'nope'),
        ...resources,
        globalId('AdminToken', APP, 'nope'),
        'not-an-id',
      ],
      representations: [
        { __typename: 'App', appId: APP },
        { __typename: 'BackendEnvironment', appId: APP, name: 'prod' },
        ...[1, 2, 26, 38].map((i) => ({ __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId: jobIds[i] })),
        { __typename: 'BackendJob', appId: APP, environmentName: 'dev', jobId: 'nope' },
        { __typename: 'BackendStorage', appId: APP, environmentName: 'dev', resourceName: 'todoappstorage' },
        { __typename: 'Nope', appId: APP },
      ],
    };
  }, 60_000);
  afterAll(() => stack?.stop());

  it('for generated queries over the schema, against the emulator', async () => {
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { query, variables } = drawQuery((arb) => g(() => arb), pools);
        stack.resetCalls();
        const res = await stack.graphql(query, variables);
        if (process.env.DEBUG_COST) console.log(query.slice(0, 300), JSON.stringify(variables).slice(0, 300), JSON.stringify(res).slice(0, 600));
        // The generator draws valid operations only: anything refused before it ran is its bug.
        expect(res.errors?.filter((e) => !e.path) ?? [], query).toEqual([]);
        const cost = res.extensions?.cost as { estimated: number; actual: number };
        expect(cost.actual, query).toBeLessThanOrEqual(cost.estimated);
        expect(stack.totalCalls(), query).toBeLessThanOrEqual(cost.actual);
      }),
      { numRuns: Number(process.env.COST_RUNS ?? 100), endOnFailure: Boolean(process.env.DEBUG_COST) },
    );
  }, 120_000);
});

// A generated query's list arguments are drawn from pools, so a test of the generator's own reach.
it('the generator reaches lists from variables and literals, fragments and every root field', () => {
  const seen = new Set<string>();
  fc.assert(
    fc.property(fc.gen(), (g) => {
      const pools: Pools = { jobIds: ['j'], cursors: ['c'], ids: ['i'], representations: [{}] };
      const { query } = drawQuery((arb) => g(() => arb), pools);
      for (const word of ['nodes(ids: $', 'nodes(ids: [', '_entities(representations: $', 'fragment F', '... on', 'first:', 'after:']) {
        if (query.includes(word)) seen.add(word);
      }
    }),
    { numRuns: 300 },
  );
  expect(seen.size).toBe(7);
});
