import type { ArgBuilder } from '@pothos/core';
import type { InputFieldBuilder, Types } from './builder.js';
import { newResourceName, pathValue } from './validation.js';

// An entity's key, as the first fields of a mutation's input and as the arguments of a query: each
// part is an id or name that travels in a URI path, checked by one rule wherever it comes in.

export const keyPart = () => ({ required: true, validate: pathValue }) as const;

export const appKeyFields = (f: InputFieldBuilder) => ({ appId: f.id(keyPart()) });

export const environmentKeyFields = (f: InputFieldBuilder) => ({ ...appKeyFields(f), environmentName: f.string(keyPart()) });

export const jobKeyFields = (f: InputFieldBuilder) => ({ ...environmentKeyFields(f), jobId: f.id(keyPart()) });

/** A new resource's name is checked as Amplify does. */
export const resourceKeyFields = (f: InputFieldBuilder, { creating }: { creating: boolean }) => ({
  ...environmentKeyFields(f),
  resourceName: f.string({ required: true, validate: creating ? newResourceName : pathValue }),
});

export const appKeyArgs = (arg: ArgBuilder<Types>) => ({ appId: arg.id(keyPart()) });

export const environmentKeyArgs = (arg: ArgBuilder<Types>) => ({ ...appKeyArgs(arg), environmentName: arg.string(keyPart()) });

export const jobKeyArgs = (arg: ArgBuilder<Types>) => ({ ...environmentKeyArgs(arg), jobId: arg.id(keyPart()) });
