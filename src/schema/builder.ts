import SchemaBuilder from '@pothos/core';
import RelayPlugin from '@pothos/plugin-relay';
import ValidationPlugin from '@pothos/plugin-validation';
import { JSONResolver } from 'graphql-scalars';
import type { Context } from '../context.js';
import { badUserInput } from '../errors.js';

export const builder = new SchemaBuilder<{
  Context: Context;
  Scalars: {
    ID: { Input: string; Output: string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [RelayPlugin, ValidationPlugin],
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    decodeGlobalID: decodeGlobalId,
  },
  validation: {
    validationError: (result) => {
      const issue = result.issues[0];
      const field = issue?.path?.map((p) => (typeof p === 'object' ? p.key : p)).join('.');
      return badUserInput(field ? `${field}: ${issue.message}` : (issue?.message ?? 'Invalid input'), field);
    },
  },
});

builder.addScalarType('JSON', JSONResolver);
builder.queryType({});
builder.mutationType({});

// Pothos's own decoding throws a plain error, which would be masked; a bad id is the client's.
function decodeGlobalId(globalId: string): { typename: string; id: string } {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || Buffer.from(decoded, 'utf8').toString('base64').replace(/=+$/, '') !== globalId.replace(/=+$/, '')) {
    throw badUserInput(`Invalid global id "${globalId}"`, 'id');
  }
  return { typename: decoded.slice(0, colon), id: decoded.slice(colon + 1) };
}
