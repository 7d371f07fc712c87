import type { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { missingScope, requiredScopes, type Principal } from './access.js';
import type { CredentialCheck } from './auth-failures.js';
import { clientAddressOf } from './client-address.js';
import { rateLimitClient, retryAfterSeconds, type RateLimiter } from './rate-limit.js';
import { errorResponse, rateLimitedResponse } from '../errors.js';

export interface RequestMeta {
  requestId: string;
  principal?: string;
  operationName?: string;
}

/** What the node:http layer hands yoga, and reads back for its request log. */
export interface ServerContext {
  req: IncomingMessage & { meta?: RequestMeta };
}

const noCredential = 'Authentication required: send Authorization: Bearer <API key or token>, or x-api-key';
const challenge = { 'www-authenticate': 'Bearer' };

/**
 * Who may do what, on HTTP and SSE: a credential or a 401 (429 once an address has failed too
 * often), a request rate per client or a 429, then the scopes the operation needs (read, write,
 * admin) or FORBIDDEN, before anything runs. graphql-ws connections authenticate in the server's
 * onConnect and arrive with `principal` set. GraphiQL's page is served by its own plugin, before
 * this one.
 */
export function useAccessControl(options: {
  checkCredentials: CredentialCheck;
  rateLimiter: RateLimiter;
}): Plugin<{
  principal?: Principal;
}> {
  const principals = new WeakMap<Request, Principal>();
  return {
    async onRequest({ request, serverContext, endResponse }) {
      const req = (serverContext as Partial<ServerContext> | undefined)?.req;
      const outcome = await options.checkCredentials(
        { authorization: request.headers.get('authorization'), apiKey: request.headers.get('x-api-key') },
        { address: clientAddressOf(req), requestId: req?.meta?.requestId, transport: 'http' },
      );
      if (!outcome.ok) {
        switch (outcome.reason) {
          case 'no-credential':
            return endResponse(errorResponse(401, noCredential, 'UNAUTHENTICATED', challenge));
          case 'unauthenticated':
            return endResponse(errorResponse(401, outcome.message, 'UNAUTHENTICATED', challenge));
          case 'too-many-failures':
            return endResponse(rateLimitedResponse(outcome.message, outcome.retryAfterSeconds));
          case 'unavailable':
            // Not the client's fault (a JWKS URL out of reach): a 503, not a stack trace as the body.
            return endResponse(errorResponse(503, outcome.message, 'UNAVAILABLE'));
        }
      }
      const principal = outcome.principal;
      const allowed = await options.rateLimiter.take(rateLimitClient(principal.id, clientAddressOf(req)));
      if (!allowed.ok) {
        const seconds = retryAfterSeconds(allowed.retryAfterMs);
        return endResponse(rateLimitedResponse(`Rate limit exceeded: retry in ${seconds} s`, seconds));
      }
      if (req?.meta) req.meta.principal = principal.id;
      principals.set(request, principal);
    },
    onContextBuilding({ context, extendContext }) {
      if (context.principal) return;
      const principal = principals.get((context as { request: Request }).request);
      if (principal) extendContext({ principal });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = refuse(args.contextValue.principal, args.document, args.operationName);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = refuse(args.contextValue.principal, args.document, args.operationName);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
  };
}

function refuse(principal: Principal | undefined, document: Parameters<typeof requiredScopes>[0], operationName?: string | null) {
  const needed = requiredScopes(document, operationName);
  if (!principal) {
    return createGraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
  }
  const missing = missingScope(principal, needed);
  if (!missing) return undefined;
  return createGraphQLError(`This operation needs the "${missing}" scope, which your credential does not grant`, {
    extensions: { code: 'FORBIDDEN', requiredScope: missing },
  });
}
