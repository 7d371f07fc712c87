import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { AuthenticationError, type Authenticator, type Principal } from './security/access.js';
import { rateLimitClient, type RateLimiter } from './security/rate-limit.js';

type Enveloped = { execute: (args: ExecutionArgs) => never; subscribe: (args: ExecutionArgs) => never };

const header = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * graphql-ws on yoga's path, through yoga's envelop so both transports share one pipeline
 * (context, limits, access checks). A connection authenticates once, from `connectionParams`
 * (`authorization` or `x-api-key`) or its upgrade request's headers; each subscribe counts
 * against the client's rate.
 */
export function attachWebSocket(options: {
  server: Server;
  yoga: YogaServerInstance<any, any>;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  logger: Logger;
}) {
  const { yoga, authenticator, rateLimiter } = options;
  const wss = new WebSocketServer({ server: options.server, path: yoga.graphqlEndpoint });
  const principals = new WeakMap<object, Principal>();

  return useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const headers = ctx.extra.request.headers;
        try {
          const principal = await authenticator.authenticate({
            authorization: header(params.authorization) ?? header(params.Authorization) ?? header(headers.authorization),
            apiKey: header(params['x-api-key']) ?? header(params.apiKey) ?? header(headers['x-api-key']),
          });
          if (!principal) {
            ctx.extra.socket.close(CloseCode.Unauthorized, 'Authentication required: connectionParams.authorization');
            return false;
          }
          principals.set(ctx.extra, principal);
          return true;
        } catch (error) {
          if (!(error instanceof AuthenticationError)) {
            // Credentials could not be checked (a JWKS out of reach): the client may try again.
            options.logger.error({ err: error }, 'websocket authentication unavailable');
            ctx.extra.socket.close(1013, 'Authentication is unavailable; try again later');
            return false;
          }
          options.logger.info({ reason: error.message }, 'websocket authentication failed');
          ctx.extra.socket.close(CloseCode.Unauthorized, error.message);
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const principal = principals.get(ctx.extra);
        const allowed = await rateLimiter.take(rateLimitClient(principal?.id, ctx.extra.request.socket.remoteAddress));
        if (!allowed.ok) {
          return [createGraphQLError('Rate limit exceeded', { extensions: { code: 'RATE_LIMITED' } })];
        }
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          principal,
        });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const args: ExecutionArgs = {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
        const errors = enveloped.validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wss,
  );
}
