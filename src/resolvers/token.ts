import type { Context } from '../context.js';
import { isNotFound } from '../errors.js';

export interface AdminToken {
  appId: string;
  sessionId: string;
  challengeCode: string;
  ttl: string;
}

/** `null` for a session that does not exist or has expired. */
export async function adminToken(args: { appId: string; sessionId: string }, ctx: Context): Promise<AdminToken | null> {
  try {
    const token = await ctx.loaders.token.load(args);
    return { appId: token.appId ?? args.appId, sessionId: token.sessionId ?? args.sessionId, challengeCode: token.challengeCode ?? '', ttl: token.ttl ?? '' };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

export async function createToken(input: { appId: string }, ctx: Context) {
  const out = await ctx.aws.call('CreateToken', { appId: input.appId });
  const token: AdminToken = {
    appId: out.appId ?? input.appId,
    sessionId: out.sessionId ?? '',
    challengeCode: out.challengeCode ?? '',
    ttl: out.ttl ?? '',
  };
  ctx.loaders.token.prime({ appId: token.appId, sessionId: token.sessionId }, out);
  return { app: { appId: input.appId }, token };
}

export async function deleteToken(input: { appId: string; sessionId: string }, ctx: Context) {
  const out = await ctx.aws.call('DeleteToken', { appId: input.appId, sessionId: input.sessionId });
  ctx.loaders.token.clear(input);
  return { app: { appId: input.appId }, isSuccess: out.isSuccess ?? false };
}
