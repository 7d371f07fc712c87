import type { InputFieldMap, InputShapeFromFields, MaybePromise, ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { builder, type InputFieldBuilder as FieldBuilder, type Types } from './builder.js';

interface MutationWithInputOptions<Fields extends InputFieldMap, Payload> {
  description: string;
  /** A thunk where the payload type is built on the spot, so it registers when the field does. */
  type: ObjectRef<Types, Payload> | (() => ObjectRef<Types, Payload>);
  inputName: string;
  inputFields: (t: FieldBuilder) => Fields;
  resolve: (input: InputShapeFromFields<Fields>, ctx: Context) => MaybePromise<Payload>;
}

/**
 * A mutation field taking one required argument `input` of its own input type, as every mutation
 * here does (the Relay convention). The input type is built inside the field's thunk, where the
 * hand-written fields built it: the served (unsorted) schema keeps its order.
 */
export function mutationWithInput<Fields extends InputFieldMap, Payload>(
  name: string,
  { description, type, inputName, inputFields, resolve }: MutationWithInputOptions<Fields, Payload>,
) {
  // Pothos's conditional types cannot be resolved for a generic payload and input: the field is typed
  // with them erased here, and the options above keep each caller's resolver checked.
  const erased = resolve as (input: unknown, ctx: Context) => MaybePromise<unknown>;
  builder.mutationField(name, (t) =>
    t.field({
      type: (typeof type === 'function' ? type() : type) as ObjectRef<Types, unknown>,
      description,
      args: {
        input: t.arg({
          required: true,
          type: builder.inputType(inputName, { fields: inputFields as (f: FieldBuilder) => InputFieldMap }),
        }),
      },
      resolve: (_root, args, ctx) => erased(args.input, ctx),
    }),
  );
}
