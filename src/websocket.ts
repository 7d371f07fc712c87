import type { Server } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { createGraphQLError, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Principal } from './security/access.js';
import { connectionRefusal, type CredentialCheck } from './security/auth-failures.js';
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
  checkCredentials: CredentialCheck;
  rateLimiter: RateLimiter;
  logger: Logger;
}) {
  const { yoga, rateLimiter } = options;
  const wss = new WebSocketServer({ server: options.server, path: yoga.graphqlEndpoint });
  const principals = new WeakMap<object, Principal>();

  return useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const headers = ctx.extra.request.headers;
        const outcome = await options.checkCredentials(
          {
            authorization: header(params.authorization) ?? header(params.Authorization) ?? header(headers.authorization),
            apiKey: header(params['x-api-key']) ?? header(params.apiKey) ?? header(headers['x-api-key']),
          },
          { address: ctx.extra.request.socket.remoteAddress, transport: 'websocket' },
        );
        if (outcome.ok) principals.set(ctx.extra, outcome.principal);
        else ctx.extra.socket.close(...connectionRefusal(outcome));
        return outcome.ok;
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
