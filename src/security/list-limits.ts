import {
  getNamedType,
  getNullableType,
  getOperationAST,
  isCompositeType,
  isInputObjectType,
  isListType,
  isObjectType,
  isInterfaceType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  type DocumentNode,
  type ExecutionArgs,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';

export interface ListLimits {
  /** Items of any one list, at any depth of any field argument, literal or from variables. */
  maxListItems: number;
  /** The same limit as graphql-armor's cost, here with list lengths and variables known; 0: off. */
  maxCost: number;
}

// graphql-armor's cost weights (objects 2, scalars 1, each level down 1.5), so that an operation
// without list arguments or variables costs here exactly what armor counted at validation.
const OBJECT_COST = 2;
const SCALAR_COST = 1;
const DEPTH_FACTOR = 1.5;

class ListTooLong extends Error {
  constructor(
    readonly where: string,
    readonly items: number,
  ) {
    super(where);
  }
}

/**
 * Bounds the work one operation can ask for before any of it starts, once its variables are
 * known: graphql-armor sees only the document, so `nodes(ids: $ids)` with 20,000 ids costs it
 * as much as one id. Runs where execution starts for every transport (HTTP, SSE, graphql-ws):
 *
 * - every list in a field argument (at any depth of an input object, literal or variable, from a
 *   variable's default too) has at most `maxListItems` items, or MAX_LIST_ITEMS_EXCEEDED;
 * - the operation's cost, armor's formula with a field's cost multiplied by the length of its
 *   list arguments and by `first`/`last` (literal or variable: armor counts only literals), is
 *   at most `maxCost`, or MAX_COST_EXCEEDED.
 */
export function useListLimits(limits: ListLimits): Plugin {
  // Yoga's parse cache hands the same document object to every request of one query, and most
  // measures do not depend on variables (an id or a name does not change the cost): those are
  // kept per operation, for as long as its document is.
  const kept = new WeakMap<OperationDefinitionNode, Measure>();
  const measured = (args: ExecutionArgs): Measure => {
    const operation = getOperationAST(args.document, args.operationName);
    const known = operation && kept.get(operation);
    if (known) return known;
    const result = measure(args.schema, args.document, args.operationName, args.variableValues, limits.maxListItems);
    if (operation && !result.variables) kept.set(operation, result);
    return result;
  };
  const refusal = (args: ExecutionArgs) => {
    const result = measured(args);
    if ('tooLong' in result) {
      const { where, items } = result.tooLong;
      return createGraphQLError(
        `The list ${where} has ${items} items; at most ${limits.maxListItems} are allowed in one list (MAX_LIST_ITEMS)`,
        { extensions: { code: 'MAX_LIST_ITEMS_EXCEEDED', maxListItems: limits.maxListItems, list: where, items } },
      );
    }
    if (limits.maxCost > 0 && result.cost > limits.maxCost) {
      return createGraphQLError(
        `Query Cost limit of ${limits.maxCost} exceeded, found ${result.cost}: ` +
          "each item of a list argument, and first/last, multiply their field's cost (MAX_COST)",
        { extensions: { code: 'MAX_COST_EXCEEDED', maxCost: limits.maxCost, cost: result.cost } },
      );
    }
    return undefined;
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}

/**
 * The operation's cost with list lengths counted, or the first list that is too long; `variables`
 * says whether the answer depends on the variables' values.
 */
export type Measure = ({ cost: number } | { tooLong: { where: string; items: number } }) & { variables?: true };

export function measure(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  maxListItems: number,
): Measure {
  const operation = getOperationAST(document, operationName);
  // Left to execution, which answers it with its own error.
  if (!operation) return { cost: 0 };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const walk = new Walk(schema, operation, fragments, variables ?? {}, maxListItems);
  const dependent = () => (walk.readVariables ? { variables: true as const } : {});
  try {
    return { cost: walk.cost(), ...dependent() };
  } catch (error) {
    if (error instanceof ListTooLong) return { tooLong: { where: error.where, items: error.items }, ...dependent() };
    throw error;
  }
}

class Walk {
  private readonly fragmentCosts = new Map<string, number>();
  private readonly defaults = new Map<string, ValueNode>();
  /** The field whose arguments are being looked at, for the refusal to name. */
  private fieldName = '';
  /** Whether a variable that can hold a list (or first/last) was looked at. */
  readVariables = false;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly operation: OperationDefinitionNode,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly variables: Readonly<Record<string, unknown>>,
    private readonly maxItems: number,
  ) {
    for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) this.defaults.set(v.variable.name.value, v.defaultValue);
  }

  cost(): number {
    const root = this.schema.getRootType(this.operation.operation) ?? undefined;
    // As armor: the operation's fields at full weight, their children at 1.5 each level down.
    return this.selections(this.operation.selectionSet, root, 1);
  }

  private selections(set: SelectionSetNode, parent: GraphQLCompositeType | undefined, factor: number): number {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) cost += factor * this.field(selection, parent);
      else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? this.composite(selection.typeCondition.name.value) : parent;
        cost += factor * (OBJECT_COST + this.selections(selection.selectionSet, type, DEPTH_FACTOR));
      } else {
        cost += factor * (SCALAR_COST + DEPTH_FACTOR * this.fragment(selection.name.value));
      }
    }
    return cost;
  }

  // A fragment costs the same wherever it is spread: computed once, however often it is spread.
  private fragment(name: string): number {
    const known = this.fragmentCosts.get(name);
    if (known !== undefined) return known;
    const fragment = this.fragments.get(name);
    // Cycles do not pass validation; the guard keeps a document that skipped it finite.
    this.fragmentCosts.set(name, 0);
    const cost = fragment
      ? OBJECT_COST + this.selections(fragment.selectionSet, this.composite(fragment.typeCondition.name.value), DEPTH_FACTOR)
      : 0;
    this.fragmentCosts.set(name, cost);
    return cost;
  }

  private field(node: FieldNode, parent: GraphQLCompositeType | undefined): number {
    const name = node.name.value;
    if (name === '__schema') return 0;
    const def = fieldDef(this.schema, parent, name);
    let multiplier = 1;
    for (const arg of node.arguments ?? []) {
      const argDef = def?.args.find((a) => a.name === arg.name.value);
      if (!argDef) continue;
      this.fieldName = name;
      const items = this.literal(arg.value, argDef.type, arg.name.value);
      if (isListType(getNullableType(argDef.type))) multiplier = Math.max(multiplier, items);
      else if (arg.name.value === 'first' || arg.name.value === 'last') {
        const n = this.intValue(arg.value);
        if (n !== undefined) multiplier = Math.max(multiplier, n);
      }
    }
    if (!node.selectionSet) return SCALAR_COST * multiplier;
    const type = def ? getNamedType(def.type) : undefined;
    const child = type && isCompositeType(type) ? type : undefined;
    return (OBJECT_COST + this.selections(node.selectionSet, child, DEPTH_FACTOR)) * multiplier;
  }

  private composite(name: string): GraphQLCompositeType | undefined {
    const type = this.schema.getType(name);
    return type && isCompositeType(type) ? type : undefined;
  }

  private variable(name: string): { raw: unknown } | { node: ValueNode } | undefined {
    this.readVariables = true;
    if (Object.hasOwn(this.variables, name)) return { raw: this.variables[name] };
    const fallback = this.defaults.get(name);
    return fallback ? { node: fallback } : undefined;
  }

  private intValue(node: ValueNode): number | undefined {
    if (node.kind === Kind.INT) return Number(node.value);
    if (node.kind !== Kind.VARIABLE) return undefined;
    const value = this.variable(node.name.value);
    if (!value) return undefined;
    if ('node' in value) return this.intValue(value.node);
    return typeof value.raw === 'number' && value.raw > 1 ? value.raw : undefined;
  }

  /** Checks every list in a value written in the document; the items of its top list. */
  private literal(node: ValueNode, type: GraphQLInputType, where: string): number {
    if (node.kind === Kind.VARIABLE) {
      // A scalar's value changes neither a list nor the cost: such variables are not looked at.
      const nullable = getNullableType(type);
      if (!isListType(nullable) && !isInputObjectType(nullable)) return 1;
      const value = this.variable(node.name.value);
      if (!value) return 0;
      return 'node' in value ? this.literal(value.node, type, where) : this.raw(value.raw, type, where);
    }
    if (node.kind === Kind.NULL) return 0;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      // A single value where a list is expected is a list of one.
      if (node.kind !== Kind.LIST) {
        this.literal(node, nullable.ofType, where);
        return 1;
      }
      this.bound(node.values.length, where);
      node.values.forEach((item, i) => this.literal(item, nullable.ofType, `${where}[${i}]`));
      return node.values.length;
    }
    if (isInputObjectType(nullable) && node.kind === Kind.OBJECT) {
      const fields = nullable.getFields();
      for (const f of node.fields) {
        const def = fields[f.name.value];
        if (def) this.literal(f.value, def.type, `${where}.${f.name.value}`);
      }
    }
    return 1;
  }

  /** The same for a variable's value, as sent: only the fields its type declares are looked at. */
  private raw(value: unknown, type: GraphQLInputType, where: string): number {
    if (value === null || value === undefined) return 0;
    const nullable = getNullableType(type);
    if (isListType(nullable)) {
      if (!Array.isArray(value)) {
        this.raw(value, nullable.ofType, where);
        return 1;
      }
      this.bound(value.length, where);
      value.forEach((item, i) => this.raw(item, nullable.ofType, `${where}[${i}]`));
      return value.length;
    }
    if (isInputObjectType(nullable) && typeof value === 'object' && !Array.isArray(value)) {
      for (const [name, def] of Object.entries(nullable.getFields())) {
        if (Object.hasOwn(value, name)) this.raw((value as Record<string, unknown>)[name], def.type, `${where}.${name}`);
      }
    }
    return 1;
  }

  private bound(items: number, where: string) {
    if (items > this.maxItems) throw new ListTooLong(`${this.fieldName}(${where})`, items);
  }
}

function fieldDef(schema: GraphQLSchema, parent: GraphQLCompositeType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (name === '__type' && parent === schema.getQueryType()) return TypeMetaFieldDef;
  if (name === '__schema') return SchemaMetaFieldDef;
  if (parent && (isObjectType(parent) || isInterfaceType(parent))) return parent.getFields()[name];
  return undefined;
}
