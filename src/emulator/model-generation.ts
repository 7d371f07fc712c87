import { createHash } from 'node:crypto';
import { Kind, parse, type DocumentNode, type TypeNode } from 'graphql';
import { badRequest } from './errors.js';

// GenerateBackendAPIModels turns an API's transform schema into DataStore models. The emulator
// does what codegen does for the common case: every `@model` type becomes a model, other object
// types become non-models, enums stay enums.

export interface GeneratedModels {
  models: string;
  modelIntrospectionSchema: string;
}

export function parseTransformSchema(transformSchema: string): DocumentNode {
  try {
    return parse(transformSchema);
  } catch (error) {
    throw badRequest(`resourceConfig.transformSchema is not a valid GraphQL schema: ${(error as Error).message}`);
  }
}

interface FieldModel {
  name: string;
  isArray: boolean;
  type: string | { model: string } | { enum: string } | { nonModel: string };
  isRequired: boolean;
  attributes: unknown[];
  isArrayNullable?: boolean;
}

export function generateModels(transformSchema: string): GeneratedModels {
  const doc = parseTransformSchema(transformSchema);
  const modelNames = new Set<string>();
  const enumNames = new Set<string>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.OBJECT_TYPE_DEFINITION && def.directives?.some((d) => d.name.value === 'model')) {
      modelNames.add(def.name.value);
    } else if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      enumNames.add(def.name.value);
    }
  }

  const fieldType = (name: string): FieldModel['type'] =>
    modelNames.has(name) ? { model: name } : enumNames.has(name) ? { enum: name } : scalarOrNonModel(name);
  const scalarOrNonModel = (name: string): FieldModel['type'] =>
    ['ID', 'String', 'Int', 'Float', 'Boolean'].includes(name) || name.startsWith('AWS') ? name : { nonModel: name };

  // Keyed by the client's type and field names, which may be `__proto__`: Maps, turned into
  // objects only by Object.fromEntries.
  const models = new Map<string, unknown>();
  const nonModels = new Map<string, unknown>();
  const enums = new Map<string, unknown>();
  for (const def of doc.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION) {
      enums.set(def.name.value, { name: def.name.value, values: (def.values ?? []).map((v) => v.name.value) });
      continue;
    }
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const fields = new Map<string, FieldModel>();
    for (const field of def.fields ?? []) {
      const shape = unwrap(field.type);
      fields.set(field.name.value, {
        name: field.name.value,
        isArray: shape.isArray,
        type: fieldType(shape.name),
        isRequired: shape.isRequired,
        attributes: [],
        ...(shape.isArray ? { isArrayNullable: shape.isArrayNullable } : {}),
      });
    }
    const name = def.name.value;
    if (modelNames.has(name)) {
      // Models always carry id and timestamps, as the transformer adds them.
      if (!fields.has('id')) fields.set('id', { name: 'id', isArray: false, type: 'ID', isRequired: true, attributes: [] });
      for (const ts of ['createdAt', 'updatedAt']) {
        if (!fields.has(ts)) fields.set(ts, { name: ts, isArray: false, type: 'AWSDateTime', isRequired: false, attributes: [] });
      }
      models.set(name, {
        name,
        fields: Object.fromEntries(fields),
        syncable: true,
        pluralName: `${name}s`,
        attributes: [{ type: 'model', properties: {} }],
        primaryKeyInfo: { isCustomPrimaryKey: false, primaryKeyFieldName: 'id', sortKeyFieldNames: [] },
      });
    } else if (!['Query', 'Mutation', 'Subscription'].includes(name)) {
      nonModels.set(name, { name, fields: Object.fromEntries(fields) });
    }
  }
  const version = createHash('md5').update(transformSchema).digest('hex');
  const out = { models: Object.fromEntries(models), enums: Object.fromEntries(enums), nonModels: Object.fromEntries(nonModels) };
  return {
    models: JSON.stringify({ ...out, version }),
    modelIntrospectionSchema: JSON.stringify({ version: 1, ...out }),
  };
}

function unwrap(type: TypeNode): { name: string; isArray: boolean; isRequired: boolean; isArrayNullable: boolean } {
  let node = type;
  let outerRequired = false;
  if (node.kind === Kind.NON_NULL_TYPE) {
    outerRequired = true;
    node = node.type;
  }
  if (node.kind === Kind.LIST_TYPE) {
    let inner = node.type;
    let innerRequired = false;
    if (inner.kind === Kind.NON_NULL_TYPE) {
      innerRequired = true;
      inner = inner.type;
    }
    const name = inner.kind === Kind.NAMED_TYPE ? inner.name.value : 'String';
    return { name, isArray: true, isRequired: innerRequired, isArrayNullable: !outerRequired };
  }
  return { name: node.kind === Kind.NAMED_TYPE ? node.name.value : 'String', isArray: false, isRequired: outerRequired, isArrayNullable: false };
}
