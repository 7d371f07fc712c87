import type { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';
import { getCurrentOtelContext, setCurrentOtelContext, useOpenTelemetry } from '@envelop/opentelemetry';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type TextMapGetter,
  type TracerProvider,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { maskError } from '../errors.js';
import type { RequestMeta } from '../security/plugin.js';

/** The operation a piece of work runs for: its span's context, and whether it has ended. */
export interface OperationScope {
  context: Context;
  ended: boolean;
}

const headers: TextMapGetter<Headers> = {
  keys: (carrier) => [...carrier.keys()],
  get: (carrier, key) => carrier.get(key) ?? undefined,
};

/**
 * Spans for the HTTP request and the GraphQL operation, as their parent and child, continuing a
 * W3C `traceparent` the client sent. The operation span is @envelop/opentelemetry's: name and
 * type, never the document (it holds literal argument values), variables, results or resolver
 * arguments, and never an error's message (graphql-js quotes a bad variable's value in it): the
 * errors' codes instead. graphql-ws operations have no HTTP request of their own: their parent is
 * the upgrade request's `traceparent`, if any. Execution runs in `scope`, so the upstream calls it
 * makes find their parent.
 */
export function useTracing(options: {
  provider: TracerProvider & { shutdown(): Promise<void> };
  scope: AsyncLocalStorage<OperationScope>;
}): Plugin {
  const tracer = options.provider.getTracer('amplifybackend-graphql');
  const propagator = new W3CTraceContextPropagator();
  const requests = new WeakMap<Request, { context: Context; end(status: number): void }>();
  let endpoint = '/graphql';

  const parentOf = (request: Request | undefined): Context =>
    !request ? ROOT_CONTEXT : (requests.get(request)?.context ?? propagator.extract(ROOT_CONTEXT, request.headers, headers));

  /** Runs before the operation span is made (its plugin comes right after this one): its parent. */
  function enter(contextValue: { request?: Request }): OperationScope {
    const parent = parentOf(contextValue.request);
    setCurrentOtelContext(contextValue, parent);
    return { context: parent, ended: false };
  }

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(
        useOpenTelemetry(
          { document: false, variables: false, result: false, resolvers: false },
          withoutExceptionEvents(options.provider),
          SpanKind.INTERNAL,
          {},
          '@envelop/opentelemetry',
        ) as Plugin,
      );
    },
    onYogaInit({ yoga }) {
      endpoint = yoga.graphqlEndpoint;
    },
    onRequest({ request, url, serverContext }) {
      const path = url.pathname;
      const span = tracer.startSpan(
        path === endpoint ? `${request.method} ${endpoint}` : request.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': request.method,
            // Never the query string: a GET operation carries its variables there.
            'url.path': path,
            ...(path === endpoint ? { 'http.route': endpoint } : {}),
            'gateway.request_id': (serverContext as { req?: { meta?: RequestMeta } }).req?.meta?.requestId,
          },
        },
        propagator.extract(ROOT_CONTEXT, request.headers, headers),
      );
      let ended = false;
      const end = (status: number) => {
        if (ended) return;
        ended = true;
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      };
      requests.set(request, { context: trace.setSpan(ROOT_CONTEXT, span), end });
      // Served by node:http, the request lasts until its response is sent (an event stream's too).
      const res = (serverContext as { res?: ServerResponse }).res;
      res?.once('close', () => end(res.statusCode));
    },
    onResponse({ request, response, serverContext }) {
      if (!(serverContext as { res?: ServerResponse }).res) requests.get(request)?.end(response.status);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const scope = enter(args.contextValue);
      const parent = scope.context;
      setExecuteFn((execution) => {
        scope.context = getCurrentOtelContext(execution.contextValue);
        return options.scope.run(scope, () => executeFn(execution));
      });
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return { onEnd: () => void (scope.ended = true) };
          scope.ended = true;
          // Before the operation span ends (its plugin's hook runs after this one), and for an
          // operation refused before it ran (FORBIDDEN) too.
          const operation = getCurrentOtelContext(args.contextValue);
          if (operation !== parent) recordErrorCodes(operation, result);
        },
      };
    },
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const scope = enter(args.contextValue);
      const run = <T>(fn: () => T) => options.scope.run(scope, fn);
      setSubscribeFn(async (subscription) => {
        scope.context = getCurrentOtelContext(subscription.contextValue);
        const result = await run(() => subscribeFn(subscription));
        // Events are pulled by the transport, outside the scope: each pull runs in it again.
        return isAsyncIterable(result) ? inScope(result, run) : result;
      });
      const end = () => void (scope.ended = true);
      return {
        onSubscribeResult: ({ result }) => (isAsyncIterable(result) ? { onEnd: end } : end()),
        onSubscribeError: end,
      };
    },
    // The last spans are sent (a failed export is logged already): a collector out of reach must
    // not fail the gateway's stop.
    onDispose: () => options.provider.shutdown().catch(() => {}),
  };
}

// The codes the client is answered with: errors get theirs when they are masked, after this.
function recordErrorCodes(context: Context, result: ExecutionResult) {
  const codes = new Set<string>();
  for (const error of result.errors ?? []) {
    const code = (maskError(error, 'Unexpected error.') as Partial<GraphQLError>).extensions?.code;
    if (code !== undefined) codes.add(String(code));
  }
  if (codes.size > 0) trace.getSpan(context)?.setAttribute('graphql.error.codes', [...codes]);
}

// @envelop/opentelemetry records a failed operation's errors, messages and all, as an exception
// event: its spans get none (their status still says ERROR; recordErrorCodes says which).
function withoutExceptionEvents(provider: TracerProvider): TracerProvider {
  return {
    getTracer(...args) {
      const tracer = provider.getTracer(...args);
      return {
        startSpan(...spanArgs) {
          const span = tracer.startSpan(...spanArgs);
          span.recordException = () => {};
          return span;
        },
        startActiveSpan: tracer.startActiveSpan.bind(tracer),
      };
    },
  };
}

function inScope<T>(source: AsyncIterable<T>, run: <R>(fn: () => R) => R): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const bound: AsyncIterableIterator<T> = {
    next: () => run(() => iterator.next()),
    return: (value?: unknown) => run(() => iterator.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined })),
    throw: (error?: unknown) => run(() => iterator.throw?.(error) ?? Promise.reject(error)),
    [Symbol.asyncIterator]: () => bound,
  };
  return bound;
}
