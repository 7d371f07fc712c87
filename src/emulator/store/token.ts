import { randomBytes, randomUUID } from 'node:crypto';
import { notFound } from '../errors.js';
import type { TokenRecord } from './records.js';
import { findApp, type StoreContext } from './state.js';

/** Admin tokens (CreateToken): they live `tokenTtlSeconds` on the emulator's clock. */
export function createTokens(ctx: StoreContext, tokenTtlSeconds: number) {
  function ownToken(appId: string, sessionId: string) {
    const token = ctx.state.tokens.get(sessionId);
    if (!token || token.appId !== appId) throw notFound('token', `Session ${sessionId} not found or expired`);
    return token;
  }

  return {
    createToken(appId: string) {
      findApp(ctx, appId);
      const token: TokenRecord = {
        appId,
        sessionId: randomUUID(),
        challengeCode: String(randomBytes(4).readUInt32BE() % 1_000_000).padStart(6, '0'),
        ttl: String(tokenTtlSeconds),
        expiresAt: ctx.clock.now() + tokenTtlSeconds * 1000,
      };
      ctx.state.tokens.set(token.sessionId, token);
      ctx.changed();
      return token;
    },

    getToken: ownToken,

    deleteToken(appId: string, sessionId: string) {
      ownToken(appId, sessionId);
      ctx.state.tokens.delete(sessionId);
      ctx.changed();
    },

    dropExpiredTokens() {
      const now = ctx.clock.now();
      for (const token of [...ctx.state.tokens.values()]) {
        if (token.expiresAt <= now) {
          ctx.state.tokens.delete(token.sessionId);
          ctx.changed();
        }
      }
    },
  };
}
