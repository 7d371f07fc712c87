import fc from 'fast-check';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
} from 'graphql';
import { schema } from '../../src/schema/index.js';
import { labelled } from '../helpers-adversarial.js';

// What a client can put in a request, generated from the schema object itself: a field added to
// the schema is attacked without anyone touching this file.

/** Names the demo state (src/emulator/seed.ts) knows, so that generated requests reach upstream. */
export const demoNames = [
  'd1todoapp00001',
  'd2gallery00002',
  'dev',
  'prod',
  'staging',
  'todoappapi',
  'todoappauth',
  'todoappstorage',
  'photogalleryapi',
  'photogalleryauth',
  'photogallerystorage',
  'acme-logs',
  'acme-media-assets',
] as const;

// Literal segments of the service's routes: as a value, each tries to reach another operation.
const routeWords = ['remove', 'details', 'job', 'api', 'auth', 'storage', 'config', 'update', 'clone', 'challenge',
  'generateModels', 'getModels', 'import', 'environments', 'backend', 's3Buckets', 'S3'];

/** Values that are known to break code that builds a path, a key, an object or a log line from them. */
export const hostileStrings = [
  '',
  ' ',
  '\t',
  '\n',
  '.',
  '..',
  '...',
  '/',
  '\\',
  '..\\remove',
  '../remove',
  '../../s3Buckets',
  '%2e%2e',
  '%2E%2E%2Fremove',
  '%2f',
  '%00',
  '%',
  '%zz',
  '\u0000',
  'ab\u0000cd',
  'ab\ud800cd',
  '\udc00',
  '\ud800',
  '\uffff',
  '\ufeff',
  '\u202e',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  '?x=1',
  '#x',
  '&',
  ';',
  ' d1todoapp00001',
  'd1todoapp00001 ',
  'dev/..',
  'null',
  'undefined',
  '{}',
  '[]',
  '"',
  "'",
  '${x}',
  '<script>',
  '😀',
  'é',
  'ﬃ',
  'x'.repeat(255),
  'x'.repeat(256),
];

const kb100 = 100 * 1024;
/** Values of 100 KB: past every length check, still inside the default body limit. */
export const longStrings = ['a'.repeat(kb100), '.'.repeat(kb100), '/'.repeat(kb100), 'é'.repeat(kb100 / 2), '\ud800'.repeat(kb100 / 2)];

const surrogateHalf = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hostileChar = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  surrogateHalf,
  fc.constantFrom('.', '/', '\\', '%', '\u0000', ' ', ':', '"'),
);

/**
 * Any string a client might send where an ID or a name is expected: valid-looking demo names,
 * route words, hostile values, random unicode (lone surrogates included), and 100 KB values.
 */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...hostileStrings) },
  { weight: 5, arbitrary: fc.constantFrom(...demoNames) },
  { weight: 1, arbitrary: fc.constantFrom(...routeWords) },
  { weight: 2, arbitrary: fc.string({ unit: hostileChar, maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  {
    weight: 2,
    // A name and a traversal together: "d1todoapp00001/../x", "dev\u0000", "..remove".
    arbitrary: fc
      .array(fc.constantFrom(...demoNames, ...routeWords, '.', '..', '', '%2e%2e', '\ud800'), { minLength: 2, maxLength: 4 })
      .chain((parts) => fc.constantFrom('/', '', '\\', '%2f').map((sep) => parts.join(sep))),
  },
  { weight: 1, arbitrary: fc.constantFrom(...longStrings) },
);

/**
 * Path segments only: dot segments, demo names and the service's route words, `remove` (the end of
 * every destructive route) weighted up. Two of them side by side (`environmentName: ".."`,
 * `jobId: "remove"`) are what turns one operation's path into another's; with every value from
 * this small set, a property tries such pairs often enough to find them in tens of runs.
 */
export const segment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constant('..') },
  { weight: 1, arbitrary: fc.constant('.') },
  { weight: 2, arbitrary: fc.constantFrom(...demoNames) },
  { weight: 1, arbitrary: fc.constant('remove') },
  { weight: 1, arbitrary: fc.constantFrom(...routeWords) },
);

/** Only what a hostile client sends: no demo name, nothing that could be a valid value. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...hostileStrings.filter((v) => v.trim() !== '' && !v.startsWith(' '))),
  fc.string({ unit: hostileChar, minLength: 1, maxLength: 12 }),
);

/** Types that implement Node, read from the schema. */
export const nodeTypes = Object.values(schema.getTypeMap())
  .filter(isObjectType)
  .filter((t) => t.getInterfaces().some((i) => i.name === 'Node'))
  .map((t) => t.name);

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * A Relay global id: mostly a well-encoded `Type:key` with hostile parts (`Type:[".","x"]`),
 * sometimes a key of the wrong shape, a type that is no node, or no base64 at all.
 */
export const globalIdOf = (strings: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(fc.constantFrom(...nodeTypes), fc.array(strings.filter((s) => s.length < 1000), { minLength: 1, maxLength: 3 }))
      .map(([type, parts]) => base64(`${type}:${type === 'App' ? parts[0] : JSON.stringify(parts)}`)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...nodeTypes, 'Query', 'Nope', '__proto__', ''), fc.oneof(strings, fc.json()))
      .map(([type, key]) => base64(`${type}:${key}`)),
  },
  { weight: 1, arbitrary: strings },
);

export const globalId = globalIdOf(anyString);

/**
 * A list argument: usually short, sometimes of thousands of items, one value of up to 2 KB repeated
 * (which the per-request loaders answer with one call; thousands of distinct items are
 * bounded.test.ts's).
 */
export function listOf<T>(item: fc.Arbitrary<T>): fc.Arbitrary<T[]> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.array(item, { maxLength: 8 }) },
    {
      weight: 1,
      // Items of 100 KB thousands of times would be a body JSON.stringify cannot make.
      arbitrary: fc
        .tuple(item, fc.integer({ min: 1000, max: 3000 }))
        .filter(([value]) => JSON.stringify(value ?? null).length <= 2048)
        .map(([value, n]) => Array.from({ length: n }, () => value)),
    },
  );
}

// Valid-looking values by input field name, so that generated inputs also pass the checks that
// come before upstream (a schema must parse, an URI must be absolute) and reach it.
const hints: Record<string, fc.Arbitrary<unknown>> = {
  transformSchema: fc.constant('type Todo @model { id: ID! }'),
  redirectSignInURIs: fc.constant(['https://example.com/in']),
  redirectSignOutURIs: fc.constant(['https://example.com/out']),
  environmentName: fc.constantFrom('dev', 'prod', 'staging', 'qa'),
  targetEnvironmentName: fc.constantFrom('qa', 'test', 'dev'),
  resourceName: fc.constantFrom('todoappapi', 'todoappauth', 'todoappstorage', 'photos', 'newapi'),
  appName: fc.constantFrom('todo-app', 'new-app'),
  bucketName: fc.constantFrom('acme-logs', 'acme-media-assets'),
  minimumLength: fc.constantFrom(8, 6, 99),
  expirationTime: fc.constantFrom(7, 30),
};

// Inputs that become a path segment of the upstream call (or a key of one).
const pathNames = new Set(['appId', 'environmentName', 'targetEnvironmentName', 'resourceName', 'jobId', 'sessionId', 'name']);

/**
 * A value for an input of this type; `name` is the input field's (or argument's) name. Strings
 * come from `strings`; where it is `segment`, the names that become path segments get nothing else.
 */
export function inputValue(type: GraphQLInputType, name: string, strings = anyString, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) return present(type.ofType, name, strings, depth);
  return fc.oneof({ weight: 3, arbitrary: present(type, name, strings, depth) }, { weight: 1, arbitrary: fc.constant(null) });
}

function present(type: GraphQLInputType, name: string, strings: fc.Arbitrary<string>, depth: number): fc.Arbitrary<unknown> {
  if (isListType(type)) {
    const item = inputValue(type.ofType, name, strings, depth + 1);
    return hints[name] ? fc.oneof(hints[name], listOf(item)) : listOf(item);
  }
  const hint = strings === segment && pathNames.has(name) ? undefined : hints[name];
  if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((v) => v.name));
  if (isInputObjectType(type)) {
    // Deep optional structure is noise: past two levels only what is required.
    const fields = Object.values(type.getFields()).filter((f) => depth <= 1 || isNonNullType(f.type));
    const members = Object.fromEntries(fields.map((f) => [f.name, inputValue(f.type, f.name, strings, depth + 1)]));
    const requiredKeys = fields.filter((f) => isNonNullType(f.type)).map((f) => f.name);
    return fc.record(members, { requiredKeys });
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
      case 'String':
        return hint ? fc.oneof(hint, strings) : strings;
      case 'Int':
        return fc.oneof(hint ?? fc.integer({ min: -3, max: 200 }), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)));
      case 'Float':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'Boolean':
        return fc.boolean();
      default:
        // JSON and any scalar to come: any JSON value.
        return fc.jsonValue({ maxDepth: 2 });
    }
  }
  throw new Error(`no generator for input type ${String(type)} (${name})`);
}

/** A selection for an output type: its leaf fields, and those of the objects one level down. */
export function selectionOf(type: GraphQLOutputType, depth = 0): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return '';
  if (isUnionType(named) || isInterfaceType(named)) return '{ __typename }';
  if (!isObjectType(named)) return '';
  const parts = ['__typename'];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((a) => isNonNullType(a.type))) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth === 0 && field.args.length === 0) parts.push(`${field.name} ${selectionOf(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

export type RootKind = 'query' | 'mutation' | 'subscription';

export interface RootField {
  kind: RootKind;
  name: string;
  field: GraphQLField<unknown, unknown>;
}

/** Every root field of the schema, by operation kind. */
export const rootFields: RootField[] = (
  [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ] as const
).flatMap(([kind, type]) => (type ? Object.values(type.getFields()).map((field) => ({ kind, name: field.name, field })) : []));

/** A generated operation: its text and variables, and the field it calls. */
export interface GeneratedRequest {
  field: string;
  query: string;
  variables: Record<string, unknown>;
}

// Arguments whose generator the schema's types alone do not give well.
function argumentValue(root: RootField, arg: GraphQLArgument, strings: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  if (root.kind === 'query' && root.name === 'node' && arg.name === 'id') return globalIdOf(strings);
  if (root.kind === 'query' && root.name === 'nodes' && arg.name === 'ids') return listOf(globalIdOf(strings));
  if (root.kind === 'query' && root.name === '_entities' && arg.name === 'representations') return representationsOf(strings);
  if (arg.name === 'after') return fc.oneof(strings, fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')));
  return inputValue(arg.type, arg.name, strings);
}

/** Whether any argument of the field (or member of its input) becomes a path segment upstream. */
export function takesPathSegments(root: RootField): boolean {
  const names = (type: GraphQLInputType): string[] => {
    const named = getNamedType(type);
    return isInputObjectType(named) ? Object.values(named.getFields()).flatMap((f) => [f.name, ...names(f.type)]) : [];
  };
  return root.field.args.some(
    (a) => pathNames.has(a.name) || ['id', 'ids', 'representations'].includes(a.name) || names(a.type).some((n) => pathNames.has(n)),
  );
}

/** Federation representations: entity names (and some that are not), key fields with any string in them. */
export const representationsOf = (strings: fc.Arbitrary<string>): fc.Arbitrary<unknown[]> => {
  const entity = schema.getType('_Entity');
  const entityNames = entity && isUnionType(entity) ? entity.getTypes().map((t) => t.name) : [];
  const keyNames = ['appId', 'name', 'environmentName', 'jobId', 'resourceName'];
  const representation = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record(
        {
          __typename: fc.constantFrom(...entityNames, 'Nope', 'Query', '__proto__', ''),
          ...Object.fromEntries(keyNames.map((k) => [k, strings])),
        },
        { requiredKeys: ['__typename'] },
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
  return listOf(representation);
};

/**
 * Requests to one root field with every argument generated: variables for each (an optional one
 * sometimes left out), the selection of its type's leaf fields.
 */
export function requestFor(root: RootField, strings = anyString): fc.Arbitrary<GeneratedRequest> {
  const args = root.field.args;
  const values = fc.tuple(
    ...args.map((arg) =>
      isNonNullType(arg.type)
        ? argumentValue(root, arg, strings).map((v) => ({ arg, v, sent: true }))
        : fc.option(argumentValue(root, arg, strings), { nil: undefined }).map((v) => ({ arg, v, sent: v !== undefined })),
    ),
  );
  return values.map((chosen) => {
    const sent = chosen.filter((c) => c.sent);
    const declarations = sent.map((c, i) => `$v${i}: ${String(c.arg.type)}`).join(', ');
    const call = sent.map((c, i) => `${c.arg.name}: $v${i}`).join(', ');
    const query =
      `${root.kind} Adversarial${declarations ? `(${declarations})` : ''} ` +
      `{ ${root.name}${call ? `(${call})` : ''} ${selectionOf(root.field.type)} }`;
    const variables = Object.fromEntries(sent.map((c, i) => [`v${i}`, c.v]));
    return labelled({ field: root.name, query, variables }, `${query}\n  variables: ${shorten(variables)}`);
  });
}

/** Shortens long values (strings past `max` characters, lists past 20 items) for a readable counterexample. */
export function shorten(value: unknown, max = 80): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === 'string' && v.length > max
      ? `${v.slice(0, max / 2)}…(${v.length} chars)`
      : Array.isArray(v) && v.length > 20
        ? [...v.slice(0, 5), `…(${v.length} items)`]
        : v,
  );
}
