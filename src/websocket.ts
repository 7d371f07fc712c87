import type { IncomingMessage, Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Server as GraphQLWsServer } from 'graphql-ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { errorBody } from './errors.js';
import type { CredentialCheck } from './security/auth-failures.js';
import type { OriginPolicy } from './security/cors.js';
import type { RateLimiter } from './security/rate-limit.js';
import { clientAddressOf } from './security/client-address.js';
import { createConnectionAuth, type ConnectionParams, type Extra } from './websocket-connection.js';
import { createMessageReader } from './websocket-messages.js';
import { createOperationHooks } from './websocket-operation.js';

const keepAliveMs = 12_000;

/**
 * graphql-ws on yoga's path: connections authenticate once (websocket-connection.ts), and every
 * subscribe runs through yoga's own pipeline (websocket-operation.ts), so HTTP and WebSocket share
 * one set of limits and checks. Frames are bounded by `maxPayloadBytes` before anything reads them,
 * authentication included.
 */
export function attachWebSocket(options: {
  server: Server;
  yoga: YogaServerInstance<any, any>;
  /** The schema yoga serves. */
  schema: GraphQLSchema;
  checkCredentials: CredentialCheck;
  rateLimiter: RateLimiter;
  /** Which browser origins may open a socket: a page of another may not, whatever CORS says of HTTP. */
  origins: OriginPolicy;
  logger: Logger;
  /** The largest frame (message) accepted; a larger one closes its socket with 1009. */
  maxPayloadBytes: number;
}) {
  const { yoga, logger } = options;
  const wss = new WebSocketServer({
    server: options.server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes,
    handleProtocols,
    verifyClient: ({ req }, done) => {
      const origin = req.headers.origin;
      if (options.origins.allowsUpgrade(origin)) return done(true);
      logger.info({ origin: origin?.slice(0, 200), address: clientAddressOf(req) }, 'websocket upgrade refused: origin not allowed');
      const body = errorBody(`Pages from ${origin?.slice(0, 200)} may not open a WebSocket here (CORS_ORIGINS)`, 'FORBIDDEN');
      done(false, 403, body, { 'Content-Type': 'application/json' });
    },
  });
  const auth = createConnectionAuth(options.checkCredentials);
  const messages = createMessageReader();
  const server = makeServer<ConnectionParams, Extra>({
    onConnect: auth.onConnect,
    ...createOperationHooks({
      yoga,
      schema: options.schema,
      rateLimiter: options.rateLimiter,
      logger,
      principalOf: auth.principalOf,
      paramsOf: messages.paramsOf,
    }),
  });
  wss.on('connection', (socket, request) => serveSocket(server, { socket, request }, { logger, read: messages.read }));

  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/**
 * graphql-ws's `useServer` for ws, with messages read by `read`, a ping every 12 s that ends a
 * socket whose pong does not come, and socket errors (a frame over the limit) as one line of the
 * gateway's log instead of a stack printed to stderr.
 */
function serveSocket(
  server: GraphQLWsServer<Extra>,
  { socket, request }: { socket: WebSocket; request: IncomingMessage },
  { logger, read }: { logger: Logger; read: (data: RawData) => unknown },
) {
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
            await handle(read(data) as string);
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
}
