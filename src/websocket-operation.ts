import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { createGraphQLError, type GraphQLParams, type YogaServerInstance } from 'graphql-yoga';
import type { Logger } from 'pino';
import { maskError, rateLimitedError } from './errors.js';
import type { Principal } from './security/access.js';
import { rateLimitClient, retryAfterSeconds, type RateLimiter } from './security/rate-limit.js';
import { clientAddressOf } from './security/client-address.js';
import { connectionRequests, type ConnectionParams, type Extra } from './websocket-connection.js';

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

/** What one subscribe runs through yoga, carried to `subscribe` as the operation's contextValue. */
interface Operation {
  params: GraphQLParams;
  request: Request;
  context: Record<string, unknown>;
}

type OperationHooks = Pick<
  ServerOptions<ConnectionParams, Extra>,
  'execute' | 'subscribe' | 'onSubscribe' | 'onNext' | 'onError'
>;

/**
 * Every subscribe goes through `yoga.getResultForParams`, the pipeline an HTTP request's params
 * take (as Hive Gateway serves graphql-ws): onParams hooks (params shape, persisted operations,
 * variables size), then parse, validate, context and execute with their hooks (graphql-armor's
 * limits, introspection, access checks). A limit added to yoga applies to both transports without
 * a line here. Each subscribe first counts against its client's rate.
 */
export function createOperationHooks(options: {
  yoga: YogaServerInstance<any, any>;
  /** yoga's schema: graphql-ws wants one in the arguments it is handed, and reads none of it. */
  schema: GraphQLSchema;
  rateLimiter: RateLimiter;
  logger: Logger;
  principalOf: (extra: Extra) => Principal | undefined;
  /** The params a subscribe payload stands for (see websocket-messages.ts). */
  paramsOf: (payload: object) => unknown;
}): OperationHooks {
  const { yoga, logger } = options;
  const requestOf = connectionRequests(yoga.fetchAPI, yoga.graphqlEndpoint);

  async function run(args: ExecutionArgs): Promise<ExecutionResult | AsyncIterable<ExecutionResult>> {
    // Set by onSubscribe below, the only source of the arguments graphql-ws executes.
    const { params, request, context } = args.contextValue as Operation;
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

  return {
    execute: run,
    subscribe: run,
    onSubscribe: async (ctx, _id, payload) => {
      const principal = options.principalOf(ctx.extra);
      const allowed = await options.rateLimiter.take(rateLimitClient(principal?.id, clientAddressOf(ctx.extra.request)));
      if (!allowed.ok) {
        // As HTTP's 429 says it, without a header to carry retry-after.
        const seconds = retryAfterSeconds(allowed.retryAfterMs);
        return [rateLimitedError(`Rate limit exceeded: retry in ${seconds} s`, seconds)];
      }
      const operation: Operation = {
        params: options.paramsOf(payload) as GraphQLParams,
        request: requestOf(ctx.extra),
        context: { req: ctx.extra.request, socket: ctx.extra.socket, connectionParams: ctx.connectionParams, principal },
      };
      return { schema: options.schema, document: throughYoga, contextValue: operation };
    },
    // Errors as HTTP serializes them: yoga's internal `http` and `unexpected` extensions left out.
    onNext: (_ctx, _id, _payload, _args, result) => ({
      ...result,
      ...(result.errors ? { errors: result.errors.map(publicError) } : {}),
      ...(result.extensions ? { extensions: withoutHttp(result.extensions) } : {}),
    }),
    onError: (_ctx, _id, _payload, errors) => errors.map(publicError),
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
