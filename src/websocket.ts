import type { IncomingMessage, Server } from 'node:http';
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, validateMessage, type ServerOptions } from 'graphql-ws';
import { createGraphQLError, type GraphQLParams, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { maskError } from './errors.js';
import type { Principal } from './security/access.js';
import { connectionRefusal, type CredentialCheck } from './security/auth-failures.js';
import { clientAddressOf } from './security/client-address.js';
import { rateLimitClient, retryAfterSeconds, type RateLimiter } from './security/rate-limit.js';

type Extra = { socket: WebSocket; request: IncomingMessage };

const header = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * The document graphql-ws is handed for every subscribe: a subscription, so that graphql-ws calls
 * `subscribe`, which runs the real operation through yoga and returns one result or a stream.
 */
const throughYoga: DocumentNode = {
  kind: Kind.DOCUMENT,
  definitions: [
    {
      kind: Kind.OPERATION_DEFINITION,
      operation: OperationTypeNode.SUBSCRIPTION,
      selectionSet: { kind: Kind.SELECTION_SET, selections: [] },
    },
  ],
};

interface Operation {
  params: GraphQLParams;
  request: Request;
  context: Record<string, unknown>;
}

/**
 * graphql-ws on yoga's path. Each subscribe payload goes through `yoga.getResultForParams`, the
 * pipeline an HTTP request's params take (as Hive Gateway serves graphql-ws): onParams hooks
 * (params shape, persisted operations, variables size), then parse, validate, context and
 * execute with their hooks (graphql-armor's limits, introspection, access checks). A limit added
 * to yoga applies to both transports without a line here.
 *
 * A connection authenticates once, from `connectionParams` (`authorization` or `x-api-key`) or its
 * upgrade request's headers; each subscribe counts against the client's rate. Frames are bounded
 * by `maxPayloadBytes` before anything reads them, authentication included.
 */
export function attachWebSocket(options: {
  server: Server;
  yoga: YogaServerInstance<any, any>;
  checkCredentials: CredentialCheck;
  rateLimiter: RateLimiter;
  logger: Logger;
  /** The largest frame (message) accepted; a larger one closes its socket with 1009. */
  maxPayloadBytes: number;
}) {
  const { yoga, rateLimiter, logger } = options;
  const wss = new WebSocketServer({
    server: options.server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes,
    handleProtocols,
  });
  const principals = new WeakMap<object, Principal>();
  const requests = new WeakMap<object, Request>();
  // Subscribe payloads graphql-ws would refuse by closing the socket, by the placeholder sent in their stead.
  const rawParams = new WeakMap<object, unknown>();

  async function run({ params, request, context }: Operation): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> {
    try {
      return (await yoga.getResultForParams({ params, request }, context)) ?? { errors: [unexpected(undefined)] };
    } catch (error) {
      // onParams hooks throw their refusals; yoga's HTTP handler catches them the same way.
      return { errors: [error instanceof GraphQLError && !error.originalError ? error : unexpected(error)] };
    }
  }

  function unexpected(error: unknown) {
    const masked = maskError(error, 'Unexpected error.');
    if (masked !== error) logger.error({ err: error }, 'websocket operation failed');
    return masked instanceof GraphQLError ? masked : createGraphQLError(masked.message);
  }

  const server = makeServer<Record<string, unknown>, Extra>(
    {
      execute: (args) => run(args.contextValue as Operation) as never,
      subscribe: (args) => run(args.contextValue as Operation) as never,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const headers = ctx.extra.request.headers;
        const outcome = await options.checkCredentials(
          {
            authorization: header(params.authorization) ?? header(params.Authorization) ?? header(headers.authorization),
            apiKey: header(params['x-api-key']) ?? header(params.apiKey) ?? header(headers['x-api-key']),
          },
          { address: clientAddressOf(ctx.extra.request), transport: 'websocket' },
        );
        if (outcome.ok) principals.set(ctx.extra, outcome.principal);
        else ctx.extra.socket.close(...connectionRefusal(outcome));
        return outcome.ok;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const principal = principals.get(ctx.extra);
        const allowed = await rateLimiter.take(rateLimitClient(principal?.id, clientAddressOf(ctx.extra.request)));
        if (!allowed.ok) {
          // As HTTP's 429 says it, without a header to carry retry-after.
          const seconds = retryAfterSeconds(allowed.retryAfterMs);
          return [createGraphQLError(`Rate limit exceeded: retry in ${seconds} s`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const operation: Operation = {
          params: (rawParams.has(payload) ? rawParams.get(payload) : payload) as GraphQLParams,
          request: requestOf(ctx.extra),
          context: {
            req: ctx.extra.request,
            socket: ctx.extra.socket,
            connectionParams: ctx.connectionParams,
            principal,
          },
        };
        return { schema: undefined as never, document: throughYoga, contextValue: operation };
      },
      // Errors as HTTP serializes them: yoga's internal `http` and `unexpected` extensions left out.
      onNext: (_ctx, _id, _payload, _args, result) => ({
        ...result,
        ...(result.errors ? { errors: result.errors.map(publicError) } : {}),
        ...(result.extensions ? { extensions: withoutHttp(result.extensions) } : {}),
      }),
      onError: (_ctx, _id, _payload, errors) => errors.map(publicError),
    } satisfies ServerOptions<Record<string, unknown>, Extra>,
  );

  /**
   * A fetch Request standing for the connection, for plugins that read `request`: its upgrade
   * request's headers, as a POST (a socket may carry mutations, which yoga refuses on GET).
   */
  function requestOf(extra: Extra): Request {
    let request = requests.get(extra);
    if (!request) {
      const headers = new yoga.fetchAPI.Headers();
      for (const [name, value] of Object.entries(extra.request.headers)) {
        try {
          if (typeof value === 'string') headers.set(name, value);
        } catch {
          // A value node:http let through but fetch refuses: left out rather than failing the operation.
        }
      }
      const url = `http://${extra.request.headers.host}${yoga.graphqlEndpoint}`;
      request = new yoga.fetchAPI.Request(URL.canParse(url) ? url : `http://localhost${yoga.graphqlEndpoint}`, {
        method: 'POST',
        headers,
      });
      requests.set(extra, request);
    }
    return request;
  }

  /**
   * A subscribe message whose payload graphql-ws would reject (no `query` string, `variables` not
   * an object, ...) would close the socket and every subscription on it with a bare 4400. Its
   * payload goes on, behind a placeholder, to yoga's params checks, which answer that one id with
   * what is wrong; and a persisted operation may leave out `query`, as over HTTP.
   */
  function readMessage(data: RawData): unknown {
    const text = String(data);
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return text; // graphql-ws closes the socket: the protocol allows nothing else.
    }
    const subscribe =
      message !== null &&
      typeof message === 'object' &&
      (message as { type?: unknown }).type === 'subscribe' &&
      typeof (message as { id?: unknown }).id === 'string' &&
      (message as { id: string }).id !== '';
    if (!subscribe) return message;
    try {
      validateMessage(message);
      return message;
    } catch {
      const placeholder = { query: '' };
      rawParams.set(placeholder, (message as { payload?: unknown }).payload);
      return { ...(message as object), payload: placeholder };
    }
  }

  // graphql-ws's `useServer` for ws, with the messages read as above, and socket errors (a frame
  // over the limit) as one line of the gateway's log instead of a stack printed to stderr.
  const keepAliveMs = 12_000;
  wss.on('connection', (socket, request) => {
    socket.on('error', (error) => {
      // ws has already closed the socket (1009 for a frame over maxPayload).
      logger.info({ reason: error.message, address: clientAddressOf(request) }, 'websocket closed on a bad frame');
    });
    let pongWait: NodeJS.Timeout | undefined;
    const pinging = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, keepAliveMs);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (data) => {
            try {
              // graphql-ws reads an already-parsed message as it is.
              await handle(readMessage(data) as string);
            } catch (error) {
              logger.error({ err: error }, 'websocket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(pinging);
      closed(code, String(reason)).catch((error: unknown) => logger.error({ err: error }, 'websocket close failed'));
    });
  });

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function withoutHttp(extensions: Record<string, unknown>) {
  const { http: _http, unexpected: _unexpected, ...rest } = extensions;
  return rest;
}

function publicError(error: GraphQLError | GraphQLFormattedError): GraphQLFormattedError {
  const json = error instanceof GraphQLError ? error.toJSON() : error;
  if (!json.extensions) return json;
  const extensions = withoutHttp(json.extensions);
  const { extensions: _extensions, ...rest } = json;
  return Object.keys(extensions).length > 0 ? { ...rest, extensions } : rest;
}
