import { getOperationAST } from 'graphql';
import { createYoga, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';
import type { Context, RequestContext } from './context.js';
import { deferAndStreamPlugins } from './defer-stream.js';
import { maskError } from './errors.js';
import { useGraphiQLPage } from './graphiql.js';
import { yogaLogger } from './observability/logger.js';
import { schema } from './schema/index.js';
import type { CredentialCheck } from './security/auth-failures.js';
import type { OriginPolicy } from './security/cors.js';
import { useAccessControl, type ServerContext } from './security/plugin.js';
import type { RateLimiter } from './security/rate-limit.js';

const exampleQuery = `# An app, its environments, their resources and latest jobs.
# Every field maps to AmplifyBackend calls, batched and deduplicated per request.
query Demo {
  app(appId: "d1todoapp00001") {
    appName
    environments {
      name
      apis { resourceName config { apiName defaultAuthType { mode } } models { status } }
      auth { resourceName config { userPoolConfigs { signInMethod mfa { mfaMode } } } }
      storages { resourceName config { bucketName permissions { authenticated } } }
      jobs(first: 3) { edges { node { operation state createTime } } }
    }
  }
}
`;

/**
 * Yoga answers any request whose URL ends with its health-check endpoint, and has no setting to
 * turn that off; the gateway answers /health itself (http.ts). No request target ends with a space
 * (node's parser ends the target there), so with this endpoint yoga's check answers nothing.
 */
const noHealthCheck = '/ no health check in yoga';

/**
 * Yoga on the gateway's schema with the plugin set every transport runs (graphql-ws goes through
 * yoga's params pipeline too): tracing, GraphiQL's page, access control, the query limits, metrics, the
 * operation name for the log, then shared subscription streams.
 */
export function createGraphQLServer(
  config: GatewayConfig,
  parts: {
    logger: Logger;
    /** A new context for every HTTP request and every subscription. */
    context: (request: RequestContext) => Context;
    checkCredentials: CredentialCheck;
    rateLimiter: RateLimiter;
    /** Which browser origins get CORS headers (src/security/cors.ts). */
    origins: OriginPolicy;
    /** The query limits (src/security/limits.ts). */
    limits: Plugin[];
    /** MAX_UPSTREAM_CALLS, the client's budget of calls, `extensions.cost` (src/cost/plugin.ts). */
    upstreamCost: Plugin;
    metrics: Plugin;
    sharedSubscriptions: Plugin;
    /** `query @live` (src/live/live-queries.ts). */
    liveQueries: Plugin;
    /** Spans for requests and operations, when tracing is on. */
    tracing?: Plugin;
  },
) {
  return createYoga<ServerContext>({
    schema,
    context: parts.context,
    maskedErrors: { maskError },
    // Served by useGraphiQLPage instead, compressed and rate-limited.
    graphiql: false,
    landingPage: false,
    cors: parts.origins.cors,
    logging: yogaLogger(parts.logger),
    healthCheckEndpoint: noHealthCheck,
    // Enforced, more cheaply, by the limits plugins.
    maxRequestBodySize: false,
    batching: config.limits.maxBatch > 0 ? { limit: config.limits.maxBatch } : false,
    plugins: [
      // First: its HTTP span starts before any plugin can answer the request.
      ...(parts.tracing ? [parts.tracing] : []),
      ...(config.graphiql
        ? [useGraphiQLPage({ endpoint: '/graphql', render: renderGraphiQL, perMinute: config.graphiqlPerMinute })]
        : []),
      useAccessControl({ checkCredentials: parts.checkCredentials, rateLimiter: parts.rateLimiter }),
      ...parts.limits,
      // After access and the limits: the budget is the let-in client's, and a refused operation takes none of it.
      parts.upstreamCost,
      ...deferAndStreamPlugins(),
      parts.metrics,
      useOperationName(),
      // After the access check: a subscriber joins a shared stream only once let in.
      parts.sharedSubscriptions,
      // After the access check: the per-client cap counts principals.
      parts.liveQueries,
    ],
  });
}

export type GraphQLServer = ReturnType<typeof createGraphQLServer>;

// GraphiQL with its assets bundled (9 MB, loaded on the first page view; useGraphiQLPage keeps it)
// instead of yoga's default that loads them from a CDN: the page works offline and loads no
// third-party script beside the credentials typed into it.
const renderGraphiQL = () =>
  import('@graphql-yoga/render-graphiql').then((m) =>
    m.renderGraphiQL({ defaultQuery: exampleQuery, title: 'amplifybackend-graphql' } satisfies GraphiQLOptions),
  );

/** Puts the operation name on the request, for its log line. */
function useOperationName(): Plugin<{}, ServerContext> {
  return {
    onParams({ params, context }) {
      const meta = (context as Partial<ServerContext> | undefined)?.req?.meta;
      if (meta && typeof params.operationName === 'string') meta.operationName = params.operationName.slice(0, 100);
    },
    // Without an operationName in the request, the executed operation's own name.
    onExecute({ args }) {
      const meta = (args.contextValue as Partial<ServerContext> | undefined)?.req?.meta;
      if (meta && !meta.operationName) {
        const operation = getOperationAST(args.document, args.operationName);
        meta.operationName = operation?.name?.value.slice(0, 100);
      }
    },
  };
}
