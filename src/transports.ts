import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { GatewayConfig } from './config.js';
import type { ExamplePages } from './example-pages.js';
import { createFastPath } from './fast-path.js';
import type { GraphQLServer } from './graphql-server.js';
import { createHttpHandler, type HttpOptions } from './http.js';
import { createHttpServer } from './http-server.js';
import type { CredentialCheck } from './security/auth-failures.js';
import { createClientAddress } from './security/client-address.js';
import type { OriginPolicy } from './security/cors.js';
import type { RateLimiter } from './security/rate-limit.js';
import { attachWebSocket } from './websocket.js';

/**
 * How clients reach yoga: HTTP (operations, SSE, GraphiQL, /health, /ready and /metrics) and
 * graphql-ws, on one node:http server.
 */
export function createTransports(
  config: GatewayConfig,
  parts: {
    yoga: GraphQLServer;
    schema: GraphQLSchema;
    logger: Logger;
    registry: Registry;
    readiness: HttpOptions['readiness'];
    checkCredentials: CredentialCheck;
    rateLimiter: RateLimiter;
    origins: OriginPolicy;
    examples?: ExamplePages;
  },
) {
  const { yoga, logger } = parts;
  const fastPath = config.fastPath ? createFastPath(yoga, { maxBodyBytes: config.limits.maxBodyBytes, endpoint: '/graphql' }) : undefined;
  const http = createHttpHandler({
    graphql: fastPath ? fastPath.handle : yoga,
    logger,
    registry: parts.registry,
    metricsToken: config.metricsToken,
    readiness: parts.readiness,
    examples: parts.examples,
  });
  const listener = createHttpServer(http.handler);
  // Before any other listener: every limit and log line by address reads what is stamped here.
  const clientAddress = createClientAddress(config.trustProxy);
  listener.server.prependListener('request', clientAddress.stamp);
  listener.server.prependListener('upgrade', clientAddress.stamp);
  const ws = attachWebSocket({
    server: listener.server,
    yoga,
    schema: parts.schema,
    checkCredentials: parts.checkCredentials,
    rateLimiter: parts.rateLimiter,
    origins: parts.origins,
    logger,
    // Frames are bounded like request bodies.
    maxPayloadBytes: config.limits.maxBodyBytes,
  });
  return { http, listener, ws, fastPath };
}

export type Transports = ReturnType<typeof createTransports>;
