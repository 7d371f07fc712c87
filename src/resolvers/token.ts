import { toAdminToken, type AdminToken } from '../aws/map.js';
import type { Context } from '../context.js';
import { nullIfAbsent } from '../errors.js';
import type { AppKey } from '../keys.js';

/** `null` for a session that does not exist or has expired. */
export async function adminToken(args: AppKey & { sessionId: string }, ctx: Context): Promise<AdminToken | null> {
  const token = await nullIfAbsent(ctx.loaders.token.load(args));
  return token && toAdminToken(token, args);
}

export async function createToken(input: AppKey, ctx: Context) {
  const out = await ctx.aws.call('CreateToken', { appId: input.appId });
  const token = toAdminToken(out, input);
  ctx.loaders.token.prime({ appId: token.appId, sessionId: token.sessionId }, out);
  return { app: { appId: input.appId }, token };
}

export async function deleteToken(input: AppKey & { sessionId: string }, ctx: Context) {
  const out = await ctx.aws.call('DeleteToken', { appId: input.appId, sessionId: input.sessionId });
  ctx.loaders.token.clear(input);
  return { app: { appId: input.appId }, isSuccess: out.isSuccess ?? false };
}
