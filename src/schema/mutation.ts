import type { FieldMap, InputFieldMap, InputShapeFromFields, MaybePromise, ObjectRef } from '@pothos/core';
import type { Context } from '../context.js';
import { builder, type InputFieldBuilder, type Types } from './builder.js';

interface MutationWithInputOptions<Fields extends InputFieldMap, Payload> {
  description: string;
  inputFields: (t: InputFieldBuilder) => Fields;
  resolve: (input: InputShapeFromFields<Fields>, ctx: Context) => MaybePromise<Payload>;
  /** The payload type's fields, over what `resolve` answers. */
  payload: (t: PothosSchemaTypes.ObjectFieldBuilder<Types, Payload>) => FieldMap;
}

const capitalized = (name: string) => name[0].toUpperCase() + name.slice(1);

/**
 * A mutation field taking one required argument `input` of its own input type, and answering a
 * payload type of its own, as every mutation here does (the Relay convention): `createToken` takes
 * a `CreateTokenInput` and answers a `CreateTokenPayload`, the names Pothos's with-input plugin
 * would give them. Both types are built inside the field's thunk, where hand-written fields built
 * them: the served (unsorted) schema keeps its order.
 */
export function mutationWithInput<Fields extends InputFieldMap, Payload>(
  name: string,
  { description, inputFields, resolve, payload }: MutationWithInputOptions<Fields, Payload>,
) {
  // Pothos's conditional types cannot be resolved for a generic payload and input: the field is typed
  // with them erased here, and the options above keep each caller's resolver checked.
  const erased = resolve as (input: unknown, ctx: Context) => MaybePromise<unknown>;
  builder.mutationField(name, (t) =>
    t.field({
      type: builder.objectRef<Payload>(`${capitalized(name)}Payload`).implement({ fields: payload }) as ObjectRef<Types, unknown>,
      description,
      args: {
        input: t.arg({
          required: true,
          type: builder.inputType(`${capitalized(name)}Input`, { fields: inputFields as (f: InputFieldBuilder) => InputFieldMap }),
        }),
      },
      resolve: (_root, args, ctx) => erased(args.input, ctx),
    }),
  );
}
