import type { AdminToken } from '../aws/map.js';
import { adminToken, createToken, deleteToken } from '../resolvers/token.js';
import { builder } from './builder.js';
import { appKeyArgs, appKeyFields, keyPart } from './key-fields.js';
import { lookupQueryField } from './lookup.js';
import { mutationWithInput } from './mutation.js';
import { keyId, parseKeyId } from './node-id.js';
import { App } from './refs.js';
import { pathValue } from './validation.js';

export const AdminTokenRef = builder.objectRef<AdminToken>('AdminToken');

builder.node(AdminTokenRef, {
  description: 'An Admin UI login challenge (CreateToken / GetToken); it expires after `ttl` seconds.',
  id: { resolve: (t) => keyId(t.appId, t.sessionId) },
  loadOne: (id, ctx) => adminToken(parseKeyId(id, ['appId', 'sessionId'] as const), ctx),
  fields: (t) => ({
    appId: t.exposeID('appId'),
    sessionId: t.exposeID('sessionId'),
    challengeCode: t.exposeString('challengeCode'),
    ttl: t.exposeString('ttl', { description: 'Lifetime in seconds, as the service sends it.' }),
    app: t.field({ type: App, resolve: (tok) => ({ appId: tok.appId }) }),
  }),
});

lookupQueryField('adminToken', {
  type: AdminTokenRef,
  description: 'A login challenge by session (GetToken); null when unknown or expired.',
  args: (arg) => ({ ...appKeyArgs(arg), sessionId: arg.id(keyPart()) }),
  resolve: (args, ctx) => adminToken(args, ctx),
});

mutationWithInput('createToken', {
  description: 'Starts an Admin UI login challenge (CreateToken).',
  inputFields: appKeyFields,
  resolve: (input, ctx) => createToken(input, ctx),
  payload: (p) => ({ app: p.expose('app', { type: App }), token: p.expose('token', { type: AdminTokenRef }) }),
});

mutationWithInput('deleteToken', {
  description: 'Ends an Admin UI login challenge (DeleteToken).',
  inputFields: (f) => ({ ...appKeyFields(f), sessionId: f.id({ required: true, validate: pathValue }) }),
  resolve: (input, ctx) => deleteToken(input, ctx),
  payload: (p) => ({ app: p.expose('app', { type: App }), isSuccess: p.exposeBoolean('isSuccess') }),
});
