import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLString,
  getNullableType,
  isInputObjectType,
  isObjectType,
  Kind,
  print,
  type GraphQLObjectType,
  type ConstDirectiveNode,
  type ConstValueNode,
  type FieldDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { JOBS_PAGE_SIZE } from '../loaders.js';
import { MAX_ENVIRONMENTS_SEARCHED } from '../blocking-job.js';

// The cost directives of the IBM GraphQL cost spec as Apollo Federation 2.9 adopted them. Their unit
// here is one AmplifyBackend call: the schema says what each field may cost upstream, and the
// gateway's estimate (src/cost/estimate.ts) reads it back from the schema, as a router would.

export const costDirective = new GraphQLDirective({
  name: 'cost',
  locations: [
    DirectiveLocation.ARGUMENT_DEFINITION,
    DirectiveLocation.ENUM,
    DirectiveLocation.FIELD_DEFINITION,
    DirectiveLocation.INPUT_FIELD_DEFINITION,
    DirectiveLocation.OBJECT,
    DirectiveLocation.SCALAR,
  ],
  args: { weight: { type: new GraphQLNonNull(GraphQLInt) } },
});

export const listSizeDirective = new GraphQLDirective({
  name: 'listSize',
  locations: [DirectiveLocation.FIELD_DEFINITION],
  args: {
    assumedSize: { type: GraphQLInt },
    slicingArguments: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    sizedFields: { type: new GraphQLList(new GraphQLNonNull(GraphQLString)) },
    requireOneSlicingArgument: { type: GraphQLBoolean, defaultValue: true },
  },
});

export interface ListSize {
  assumedSize?: number;
  slicingArguments?: string[];
  sizedFields?: string[];
  requireOneSlicingArgument?: boolean;
}

/**
 * Environments an app is assumed to have, where a query lists them: the estimate of
 * `App.environments` counts this many. More make the actual count exceed the estimate; the
 * request's MAX_UPSTREAM_CALLS still holds while it runs (src/cost/counter.ts).
 */
export const ASSUMED_ENVIRONMENTS = 4;
/** APIs and storage resources an environment is assumed to have (the Admin UI makes one of each). */
export const ASSUMED_RESOURCES = 1;
/** ListS3Buckets takes no page size; the emulator answers 10 a page, AWS at least as many. */
export const S3_PAGE_SIZE = 10;

/**
 * What resolving one object of a type costs when it is looked up by its key (`node`, `_entities`,
 * the root lookups): the call that finds it. A field returning the type costs this much per object,
 * unless it has a `@cost` of its own (its parent's call already answered it).
 */
const typeWeights: Record<string, number> = {
  App: 1, // GetBackend
  BackendEnvironment: 1, // GetBackend of the environment
  // The environment's amplify-meta names the resource: GetBackend of the environment.
  BackendApi: 1,
  BackendAuth: 1,
  BackendStorage: 1,
  // GetBackendJob; several jobs of one environment in one request are looked for in
  // ListBackendJobs pages first (loaders.ts walkJobs): n jobs cost at most ceil(n/25) + 1 + n <= 2n.
  BackendJob: 2,
  AdminToken: 1, // GetToken
};

interface FieldCost {
  weight?: number;
  listSize?: ListSize;
  /** Items one upstream call answers, for a paged connection: `first` items cost ceil(first/page). */
  page?: number;
  /**
   * The weight is per upstream source (account and region) the gateway lists, which only the
   * running gateway knows: the SDL states the weight for one.
   */
  perSource?: boolean;
  /**
   * Calls the write makes only when the service refuses it (naming the job that blocks it): a
   * refused write resolves no payload, so the estimate takes the dearer of the two paths.
   */
  refusalCalls?: number;
  /**
   * What the field's answer already holds of its object (its key, or more): these fields cost
   * nothing, and selecting only them costs no call (else the type's weight).
   */
  keyFields?: string[];
}

/** Fields whose cost is not their type's: what they call themselves, or 0 when their parent's call answered them. */
const fieldCosts: Record<string, FieldCost> = {
  // The app's GetBackend lists them by name: any other field is the environment's own GetBackend.
  'App.environments': { listSize: { assumedSize: ASSUMED_ENVIRONMENTS }, keyFields: ['id', 'appId', 'name'] },
  'BackendEnvironment.apis': { weight: 0, listSize: { assumedSize: ASSUMED_RESOURCES } },
  'BackendEnvironment.storages': { weight: 0, listSize: { assumedSize: ASSUMED_RESOURCES } },
  'BackendEnvironment.api': { weight: 0 },
  'BackendEnvironment.auth': { weight: 0 },
  'BackendEnvironment.storage': { weight: 0 },
  'BackendEnvironment.jobs': {
    weight: 1,
    page: JOBS_PAGE_SIZE,
    listSize: { slicingArguments: ['first'], sizedFields: ['edges'], requireOneSlicingArgument: false },
  },
  // The newest page of jobs, which `jobs` shares.
  'BackendEnvironment.pendingJob': { weight: 1 },
  'BackendJobEdge.node': { weight: 0 },
  'BackendApi.config': { weight: 1 }, // GetBackendAPI
  'BackendApi.models': { weight: 1 }, // GetBackendAPIModels
  'BackendAuth.config': { weight: 1 }, // GetBackendAuth
  'BackendStorage.config': { weight: 1 }, // GetBackendStorage
  'Query.s3Buckets': {
    weight: 1,
    page: S3_PAGE_SIZE,
    listSize: { slicingArguments: ['first'], sizedFields: ['edges'], requireOneSlicingArgument: false },
  },
  // ListApps of every source the gateway lists (one page of 100 each); the apps' own fields are
  // what ListApps said, the rest of each App is its GetBackend (the type's weight).
  'Query.apps': {
    weight: 1,
    perSource: true,
    listSize: { slicingArguments: ['first'], sizedFields: ['edges'], requireOneSlicingArgument: false },
  },
  // ListApps answered these; the rest of an App is its GetBackend.
  'AppEdge.node': { keyFields: ['id', 'appId', 'region', 'account', 'defaultDomain', 'platform', 'createTime'] },
  'AppConnection.unavailable': { weight: 0 },
  // Where the app is: the router's own search, the gateway's like the read cache's.
  'App.region': { weight: 0 },
  'App.account': { weight: 0 },
  // GetApp, once per app a request (a listed app's fields came with ListApps).
  'App.defaultDomain': { weight: 1 },
  'App.platform': { weight: 1 },
  'App.createTime': { weight: 1 },
  // GetBackendAuth, and GetBackendAPI / GetBackendStorage for each API and storage resource.
  'BackendEnvironment.gen2': { weight: 1 + 2 * ASSUMED_RESOURCES },
  // A write's answer names its job, but not all of it: the rest is one GetBackendJob.
  'UpdateBackendJobPayload.job': { weight: 1 },
  // CreateToken answers the token.
  'CreateTokenPayload.token': { weight: 0 },
  // The job a subscription emits is the one its poller read.
  'Subscription.backendJob': { weight: 0 },
  'Subscription.backendJobs': { weight: 0 },
};

/**
 * A mutation: its write, and when the service refuses it for a pending job, the ListBackendJobs that
 * names the job (src/blocking-job.ts): one for a write to an environment, and for a write naming no
 * environment the app's GetBackend and one per environment, at most MAX_ENVIRONMENTS_SEARCHED.
 */
const ENVIRONMENT_WRITE = 2;
const APP_WRITE = 2 + MAX_ENVIRONMENTS_SEARCHED;

function mutationCost(field: GraphQLField<unknown, unknown>): FieldCost {
  const input = field.args.find((a) => a.name === 'input');
  const type = input && getNullableType(input.type);
  const named = isInputObjectType(type) && Object.hasOwn(type.getFields(), 'environmentName');
  return named
    ? { weight: ENVIRONMENT_WRITE, refusalCalls: ENVIRONMENT_WRITE - 1 }
    : { weight: APP_WRITE, refusalCalls: MAX_ENVIRONMENTS_SEARCHED };
}

function payloadCost(type: GraphQLNamedType, name: string): FieldCost | undefined {
  if (!type.name.endsWith('Payload')) return undefined;
  // A write's payload holds what its answer said of the job; its other fields are one GetBackendJob.
  if (name === 'job') return { weight: 1 };
  // The app and environment written to, as keys: any other field is their GetBackend.
  if (name === 'environment') return { keyFields: ['id', 'appId', 'name'] };
  if (name === 'app') return { keyFields: ['id', 'appId'] };
  // The resource written to (src/schema/resource.ts), as its key.
  if (['api', 'auth', 'storage'].includes(name)) return { keyFields: ['id', 'appId', 'environmentName', 'resourceName'] };
  return undefined;
}

const intValue = (value: number): ConstValueNode => ({ kind: Kind.INT, value: String(value) });
const stringList = (values: string[]): ConstValueNode => ({
  kind: Kind.LIST,
  values: values.map((value) => ({ kind: Kind.STRING, value })),
});

function costNode(weight: number): ConstDirectiveNode {
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'cost' },
    arguments: [{ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'weight' }, value: intValue(weight) }],
  };
}

function listSizeNode(size: ListSize): ConstDirectiveNode {
  const args: [string, ConstValueNode][] = [];
  if (size.assumedSize !== undefined) args.push(['assumedSize', intValue(size.assumedSize)]);
  if (size.slicingArguments) args.push(['slicingArguments', stringList(size.slicingArguments)]);
  if (size.sizedFields) args.push(['sizedFields', stringList(size.sizedFields)]);
  if (size.requireOneSlicingArgument !== undefined)
    args.push(['requireOneSlicingArgument', { kind: Kind.BOOLEAN, value: size.requireOneSlicingArgument }]);
  return {
    kind: Kind.DIRECTIVE,
    name: { kind: Kind.NAME, value: 'listSize' },
    arguments: args.map(([name, value]) => ({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value })),
  };
}

type Directive = { name: string; args: Record<string, unknown> };

/** Adds directives to a schema element: its AST (which the printers read) and its extensions (as Pothos keeps them). */
function annotate(
  element: { astNode?: unknown; extensions: Readonly<Record<string, unknown>> },
  nodes: ConstDirectiveNode[],
  directives: Directive[],
) {
  if (nodes.length === 0) return;
  const target = element as { astNode?: { directives?: readonly ConstDirectiveNode[] }; extensions: Record<string, unknown> };
  if (target.astNode) target.astNode = { ...target.astNode, directives: [...(target.astNode.directives ?? []), ...nodes] };
  const existing = (target.extensions.directives ?? []) as Directive[];
  target.extensions = { ...target.extensions, directives: [...existing, ...directives] };
}

/**
 * Puts `@cost` and `@listSize` on the schema's types and fields, from the weights above. Run once on
 * the schema as built, before anything reads or prints it.
 */
export function addCostDirectives(schema: GraphQLSchema) {
  const mutation = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const typeWeight = typeWeights[type.name];
    if (typeWeight !== undefined) annotate(type, [costNode(typeWeight)], [{ name: 'cost', args: { weight: typeWeight } }]);
    for (const field of Object.values(type.getFields())) {
      const cost =
        fieldCosts[`${type.name}.${field.name}`] ?? (type === mutation ? mutationCost(field) : payloadCost(type, field.name));
      if (!cost) continue;
      const nodes: ConstDirectiveNode[] = [];
      const directives: Directive[] = [];
      if (cost.weight !== undefined) {
        nodes.push(costNode(cost.weight));
        directives.push({ name: 'cost', args: { weight: cost.weight } });
      }
      if (cost.listSize) {
        nodes.push(listSizeNode(cost.listSize));
        directives.push({ name: 'listSize', args: { ...cost.listSize } });
      }
      annotate(field, nodes, directives);
      if (cost.page) (field as { extensions: Record<string, unknown> }).extensions = { ...field.extensions, upstreamPage: cost.page };
      // What the estimate reads beside the directives, which the spec has no words for.
      const extra = { perUpstreamSource: cost.perSource, refusalCalls: cost.refusalCalls, keyFields: cost.keyFields };
      for (const [name, value] of Object.entries(extra)) {
        if (value !== undefined) (field as { extensions: Record<string, unknown> }).extensions = { ...field.extensions, [name]: value };
      }
    }
    // Printers read a type's fields from the type's own AST.
    const ast = type.astNode as { fields?: readonly FieldDefinitionNode[] } | undefined | null;
    if (ast?.fields) {
      const fields = type.getFields();
      (type as { astNode?: unknown }).astNode = { ...ast, fields: ast.fields.map((f) => fields[f.name.value]?.astNode ?? f) };
    }
  }
}

const costUsages = (element: { astNode?: { directives?: readonly ConstDirectiveNode[] } | null }) =>
  (element.astNode?.directives ?? [])
    .filter((d) => d.name.value === 'cost' || d.name.value === 'listSize')
    .map((d) => ` ${print(d)}`)
    .join('');

/**
 * graphql-js prints no directive usages: the cost directives are added to its SDL after each type
 * and each field definition (a field's definition ends on the line with its type, after its
 * arguments when they take several lines).
 */
export function withCostUsages(sdl: string, schema: GraphQLSchema): string {
  let type: GraphQLObjectType | undefined;
  let field: string | undefined;
  return sdl
    .split('\n')
    .map((line) => {
      const opened = /^type (\w+)[^{]*\{$/.exec(line);
      if (opened) {
        const found = schema.getType(opened[1]);
        type = isObjectType(found) ? found : undefined;
        return type ? line.replace(/ \{$/, `${costUsages(type)} {`) : line;
      }
      if (line === '}') type = undefined;
      if (!type) return line;
      const start = /^ {2}(\w+)[(:]/.exec(line);
      if (start) field = start[1];
      const ends = /^ {2}(\w+(\(.*\))?|\)): \S+$/.test(line);
      if (!ends || !field) return line;
      const definition = type.getFields()[field];
      return definition ? line + costUsages(definition) : line;
    })
    .join('\n');
}
