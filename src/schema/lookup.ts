import type { ArgBuilder, InputFieldMap, InputShapeFromFields, ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { builder, type Types } from './builder.js';
import { keyPart } from './key-fields.js';

interface LookupQueryFieldOptions<Shape, Args extends InputFieldMap> {
  type: ObjectRef<Types, Shape>;
  description: string;
  /** The entity's key. */
  args: (arg: ArgBuilder<Types>) => Args;
  /** Null when the service does not know the key, as a nullable single-item query answers it. */
  resolve: (args: InputShapeFromFields<Args>, ctx: Context) => Promise<Shape | null>;
}

/** A root query field that looks one entity up by its key, such as `app` or `backendJob`. */
export function lookupQueryField<Shape, Args extends InputFieldMap>(
  name: string,
  { type, description, args, resolve }: LookupQueryFieldOptions<Shape, Args>,
) {
  // As in mutationWithInput: Pothos cannot resolve its conditional types for a generic shape and
  // key, so the field sees them erased, and the options above keep each caller checked.
  const erasedType: ObjectRef<Types, unknown> = type;
  const erasedResolve = resolve as (args: unknown, ctx: Context) => Promise<unknown>;
  builder.queryField(name, (t) =>
    t.field({
      type: erasedType,
      nullable: true,
      description,
      args: args(t.arg),
      resolve: (_root, keyArgs, ctx) => erasedResolve(keyArgs, ctx),
    }),
  );
}

/**
 * A field looking up one child of its parent by the one key part the parent does not hold, such as
 * `App.environment(name)` or `BackendEnvironment.job(jobId)`; null when the parent has no child of
 * that key. `key` names the argument and its scalar.
 */
export function childByKey<Parent, Child, Key extends string>(
  t: PothosSchemaTypes.ObjectFieldBuilder<Types, Parent>,
  type: ObjectRef<Types, Child>,
  key: Record<Key, 'ID' | 'String'>,
  resolve: (parent: Parent, args: Record<Key, string>, ctx: Context) => Promise<Child | null>,
) {
  const [[name, scalar]] = Object.entries<'ID' | 'String'>(key);
  const erasedType: ObjectRef<Types, unknown> = type;
  return t.field({
    type: erasedType,
    nullable: true,
    args: { [name]: t.arg({ type: scalar, ...keyPart() }) },
    resolve: (parent, args, ctx) => resolve(parent, args as Record<Key, string>, ctx),
  });
}
