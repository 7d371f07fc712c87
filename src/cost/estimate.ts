import {
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { DEFAULT_PAGE, MAX_PAGE } from '../resolvers/connection.js';
import { costDirective, listSizeDirective, type ListSize } from '../schema/cost.js';

/**
 * The upstream calls an operation may make, before it runs: the IBM cost spec's static analysis
 * over the schema's `@cost` and `@listSize` (src/schema/cost.ts), with the variables known.
 *
 * - A field costs its own `@cost` weight, else the weight of the object type it returns, per item;
 *   an interface or union costs the dearest of its object types.
 * - A list costs per item: the length of its list argument (`nodes(ids:)`, `_entities`), else its
 *   slicing argument's value, else its `assumedSize`; a list with none of these counts one item.
 * - A connection (`@listSize(sizedFields)`) sizes the named child lists by its slicing argument
 *   (`first`, default 10, at most 100); its own weight is per upstream page (`upstreamPage` in
 *   the field's extensions): ceil(first / page), and one more page from an `after` cursor, which
 *   may sit anywhere in its page.
 * - A subscription costs what resolving one event costs; a mutation, the sum of its fields.
 * - @skip and @include are not looked at: a skipped field is counted, an upper bound still.
 */
export function estimateUpstreamCalls(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  /** Upstream sources (accounts and regions) a listing field asks each (`perUpstreamSource`). */
  sources = 1,
): number {
  const operation = getOperationAST(document, operationName);
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const defaults = new Map<string, ValueNode>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, v.defaultValue);
  return new Estimate(schema, fragments, variables ?? {}, defaults, sources).selection(operation.selectionSet, root, new Map());
}

const nothingAnswered: ReadonlySet<string> = new Set();

/** Child list fields sized by their parent connection: field name to item count. */
type Sized = ReadonlyMap<string, number>;

class Estimate {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly defaults: Map<string, ValueNode>,
    private readonly sources: number,
  ) {}

  /**
   * What a named fragment costs on a type, in a connection's sizing: each worked out once. A
   * fragment spread k times in each of L fragments nested in one another would otherwise be walked
   * k^L times: 5 levels of 40 spreads kept the event loop for 15 s.
   */
  private readonly fragmentCosts = new Map<string, number>();
  private readonly keyOnly = new Map<string, boolean>();

  /**
   * The cost of a selection set on one object type. `answered`: its fields the call that found the
   * object already answered (the `keyFields` of the field that returned it), which cost nothing.
   */
  selection(
    set: SelectionSetNode,
    type: GraphQLObjectType,
    sized: Sized,
    answered: ReadonlySet<string> = nothingAnswered,
    seen: ReadonlySet<string> = new Set(),
  ): number {
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) cost += answered.has(s.name.value) ? this.children(s, type, sized) : this.field(s, type, sized);
      else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || this.applies(s.typeCondition.name.value, type)) cost += this.selection(s.selectionSet, type, sized, answered, seen);
      } else {
        const name = s.name.value;
        const fragment = this.fragments.get(name);
        // A cycle does not pass validation; the guard keeps an unvalidated one finite.
        if (!fragment || seen.has(name) || !this.applies(fragment.typeCondition.name.value, type)) continue;
        const key = JSON.stringify([name, type.name, [...sized], [...answered]]);
        let known = this.fragmentCosts.get(key);
        if (known === undefined) {
          known = this.selection(fragment.selectionSet, type, sized, answered, new Set([...seen, name]));
          this.fragmentCosts.set(key, known);
        }
        cost += known;
      }
    }
    return cost;
  }

  private applies(condition: string, type: GraphQLObjectType): boolean {
    const named = this.schema.getType(condition);
    if (!named) return false;
    if (named === type) return true;
    return isAbstractType(named) && this.schema.isSubType(named, type);
  }

  private field(node: FieldNode, parent: GraphQLObjectType, sized: Sized): number {
    if (node.name.value.startsWith('__')) return 0;
    const def = parent.getFields()[node.name.value];
    if (!def) return 0;
    const { perUpstreamSource, refusalCalls = 0, keyFields } = def.extensions as FieldExtensions;
    const weight = weightOf(def);
    const own = weight !== undefined && perUpstreamSource ? weight * this.sources : weight;
    const listSize = listSizeOf(def);
    const page = (def.extensions as { upstreamPage?: number }).upstreamPage;
    const slice = listSize?.slicingArguments ? this.slice(node, def, listSize.slicingArguments) : undefined;
    const items = isListType(getNullableType(def.type)) ? this.items(node, def, listSize, slice, sized) : 1;
    // A connection left without `first` answers DEFAULT_PAGE items (resolvers/connection.ts).
    const connectionSize = slice ?? listSize?.assumedSize ?? DEFAULT_PAGE;
    const childSized: Sized = new Map((listSize?.sizedFields ?? []).map((name) => [name, connectionSize]));
    const perItem = (type: GraphQLObjectType) => {
      const keyOnly = keyFields !== undefined && node.selectionSet !== undefined && this.onlyKey(node.selectionSet, keyFields);
      const itself = page || keyOnly ? 0 : (own ?? weightOf(type) ?? 0);
      const children = node.selectionSet ? this.selection(node.selectionSet, type, childSized, keyFields ? new Set(keyFields) : undefined) : 0;
      // A write refused for a pending job looks the job up and resolves no payload.
      return refusalCalls > 0 ? itself - refusalCalls + Math.max(refusalCalls, children) : itself + children;
    };
    const named = getNamedType(def.type);
    const itemCost = this.dearest(named, perItem) ?? own ?? 0;
    const pages = page ? (own ?? 1) * this.pages(connectionSize, page, node) : 0;
    return pages + items * itemCost;
  }

  /** An answered field costs nothing itself; what is selected below it still may (an answered field is a scalar today). */
  private children(node: FieldNode, parent: GraphQLObjectType, sized: Sized): number {
    const type = getNamedType(parent.getFields()[node.name.value]?.type);
    return node.selectionSet && isObjectType(type) ? this.selection(node.selectionSet, type, sized) : 0;
  }

  /** Whether a selection asks only for `keys` (and `__typename`), in fragments too. */
  private onlyKey(set: SelectionSetNode, keys: readonly string[], seen: ReadonlySet<string> = new Set()): boolean {
    return set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value === '__typename' || keys.includes(s.name.value);
      if (s.kind === Kind.INLINE_FRAGMENT) return this.onlyKey(s.selectionSet, keys, seen);
      const name = s.name.value;
      const fragment = this.fragments.get(name);
      if (!fragment || seen.has(name)) return true;
      const key = JSON.stringify([name, keys]);
      let known = this.keyOnly.get(key);
      if (known === undefined) {
        known = this.onlyKey(fragment.selectionSet, keys, new Set([...seen, name]));
        this.keyOnly.set(key, known);
      }
      return known;
    });
  }

  /** The cost of one item of `named`: for an interface or union, its dearest object type. */
  private dearest(named: GraphQLNamedType, perItem: (type: GraphQLObjectType) => number): number | undefined {
    if (isObjectType(named)) return perItem(named);
    if (!isAbstractType(named)) return undefined;
    return Math.max(0, ...this.schema.getPossibleTypes(named).map(perItem));
  }

  private pages(first: number, page: number, node: FieldNode): number {
    if (first <= 0) return 0;
    const after = node.arguments?.some((a) => a.name.value === 'after' && this.present(a.value));
    return Math.ceil(first / page) + (after ? 1 : 0);
  }

  private items(node: FieldNode, def: GraphQLField<unknown, unknown>, listSize: ListSize | undefined, slice: number | undefined, sized: Sized): number {
    for (const arg of def.args) {
      if (!isListType(getNullableType(arg.type))) continue;
      const given = node.arguments?.find((a) => a.name.value === arg.name);
      if (given) return this.length(given.value);
    }
    return slice ?? sized.get(node.name.value) ?? listSize?.assumedSize ?? 1;
  }

  /** The largest value among the slicing arguments given, at most MAX_PAGE (the resolvers refuse more). */
  private slice(node: FieldNode, def: GraphQLField<unknown, unknown>, names: string[]): number | undefined {
    let found: number | undefined;
    for (const name of names) {
      const given = node.arguments?.find((a) => a.name.value === name);
      const value = given ? this.int(given.value) : undefined;
      if (value !== undefined) found = Math.max(found ?? 0, Math.min(MAX_PAGE, value));
    }
    // An argument left out takes its default when the schema gives one.
    if (found === undefined) {
      for (const name of names) {
        const d = def.args.find((a) => a.name === name)?.defaultValue;
        if (typeof d === 'number') found = Math.max(found ?? 0, Math.min(MAX_PAGE, d));
      }
    }
    return found;
  }

  private value(node: ValueNode): { raw: unknown } | { node: ValueNode } | undefined {
    if (node.kind !== Kind.VARIABLE) return { node };
    const name = node.name.value;
    if (Object.hasOwn(this.variables, name)) return { raw: this.variables[name] };
    const fallback = this.defaults.get(name);
    return fallback ? { node: fallback } : undefined;
  }

  private present(node: ValueNode): boolean {
    const v = this.value(node);
    if (!v) return false;
    return 'raw' in v ? v.raw !== null && v.raw !== undefined : v.node.kind !== Kind.NULL;
  }

  private int(node: ValueNode): number | undefined {
    const v = this.value(node);
    if (!v) return undefined;
    if ('raw' in v) return typeof v.raw === 'number' && Number.isFinite(v.raw) ? v.raw : undefined;
    return v.node.kind === Kind.INT ? Number(v.node.value) : undefined;
  }

  /** A list argument's items; a single value where a list is expected is a list of one. */
  private length(node: ValueNode): number {
    const v = this.value(node);
    if (!v) return 0;
    if ('raw' in v) return Array.isArray(v.raw) ? v.raw.length : v.raw === null || v.raw === undefined ? 0 : 1;
    if (v.node.kind === Kind.LIST) return v.node.values.length;
    return v.node.kind === Kind.NULL ? 0 : 1;
  }
}

/** What src/schema/cost.ts puts in a field's extensions beside its directives. */
interface FieldExtensions {
  perUpstreamSource?: boolean;
  refusalCalls?: number;
  keyFields?: readonly string[];
}

/** A schema element whose AST may carry directives: a field or a type. */
type Annotated = { astNode?: { readonly directives?: readonly ConstDirectiveNode[] } | null };

function weightOf(element: Annotated): number | undefined {
  if (!element.astNode) return undefined;
  const args = getDirectiveValues(costDirective, element.astNode);
  return typeof args?.weight === 'number' ? args.weight : undefined;
}

function listSizeOf(field: Annotated): ListSize | undefined {
  if (!field.astNode) return undefined;
  return getDirectiveValues(listSizeDirective, field.astNode) as ListSize | undefined;
}
