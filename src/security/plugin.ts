import type { IncomingMessage } from 'node:http';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import { AuthenticationError, missingScope, requiredScopes, type Authenticator, type Principal } from './access.js';
import { rateLimitClient, type RateLimiter } from './rate-limit.js';

export interface RequestMeta {
  requestId: string;
  principal?: string;
  operationName?: string;
}

/** What the node:http layer hands yoga, and reads back for its request log. */
export interface ServerContext {
  req: IncomingMessage & { meta?: RequestMeta };
}

const json = (status: number, message: string, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });

const wantsGraphiQL = (request: Request) =>
  request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');

/**
 * Who may do what, on HTTP and SSE: a credential or a 401, a request rate per client or a 429,
 * then the scopes the operation needs (read, write, admin) or FORBIDDEN, before anything runs.
 * graphql-ws connections authenticate in the server's onConnect and arrive with `principal` set.
 */
export function useAccessControl(options: {
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  logger: Logger;
  /** Whether GraphiQL's page is served (and so may be fetched without a credential). */
  graphiql: boolean;
}): Plugin<{
  principal?: Principal;
}> {
  const principals = new WeakMap<Request, Principal>();
  return {
    async onRequest({ request, serverContext, endResponse }) {
      // GraphiQL's page is static; the operations it sends carry credentials like any other.
      if (options.graphiql && wantsGraphiQL(request)) return;
      const req = (serverContext as Partial<ServerContext> | undefined)?.req;
      let principal: Principal | null;
      try {
        principal = await options.authenticator.authenticate({
          authorization: request.headers.get('authorization'),
          apiKey: request.headers.get('x-api-key'),
        });
      } catch (error) {
        if (!(error instanceof AuthenticationError)) {
          // Not the client's fault (a JWKS URL out of reach): a 503, not a stack trace as the body.
          const requestId = req?.meta?.requestId;
          options.logger.error({ requestId, err: error }, 'credentials could not be checked');
          const message = 'Credentials cannot be checked at the moment: retry later';
          return endResponse(json(503, message, 'UNAVAILABLE'));
        }
        options.logger.info({ requestId: req?.meta?.requestId, reason: error.message }, 'authentication failed');
        return endResponse(json(401, error.message, 'UNAUTHENTICATED', { 'www-authenticate': 'Bearer' }));
      }
      if (!principal) {
        return endResponse(
          json(401, 'Authentication required: send Authorization: Bearer <API key or token>, or x-api-key', 'UNAUTHENTICATED', {
            'www-authenticate': 'Bearer',
          }),
        );
      }
      const allowed = await options.rateLimiter.take(rateLimitClient(principal.id, req?.socket.remoteAddress));
      if (!allowed.ok) {
        const seconds = Math.max(1, Math.ceil(allowed.retryAfterMs / 1000));
        return endResponse(json(429, `Rate limit exceeded: retry in ${seconds} s`, 'RATE_LIMITED', { 'retry-after': String(seconds) }));
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
