import { GraphQLLiveDirective, getLiveDirectiveArgumentValues, getLiveDirectiveNode, isLiveQueryOperationDefinitionNode } from '@n1ru4l/graphql-live-query';
import { InMemoryLiveQueryStore } from '@n1ru4l/in-memory-live-query-store';
import { getOperationAST, GraphQLSchema, type GraphQLError, type OperationDefinitionNode } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context, RequestContext } from '../context.js';
import type { Scheduler } from '../jobs/scheduler.js';
import { createDependents } from './dependents.js';
import { createInvalidation } from './invalidation.js';
import { createLiveQuery, type LiveQuery } from './live-query.js';
import { NoLiveWithDeferStreamRule } from './no-live-defer-rule.js';

export interface LiveQueryOptions {
  /**
   * Live queries one client (API key, token subject, or address when open) may hold open at
   * once; 0 refuses every `@live`. @default 10
   */
  maxPerClient: number;
  /**
   * The least time between two runs of one live query: changes meanwhile are answered by one run
   * at its end. `@live(throttle: ms)` may ask for more, not less. @default 1000
   */
  minIntervalMs: number;
}

/** The context of an execution: the gateway's, with yoga's request and, over graphql-ws, the socket. */
type ExecutionContext = Context & RequestContext & { request?: Request; socket?: unknown };

/**
 * `query @live` (@n1ru4l/in-memory-live-query-store's live execution): the result is sent
 * again whenever something it read changes. Changes are known from writes through any instance
 * of the gateway (read-invalidation.ts) and the ends of the jobs app-wide writes start (invalidation.ts, naming what
 * they changed as resources.ts does), and from the jobs of every environment a live query read,
 * which it watches while it reads them (environment-watches.ts).
 *
 * A live query streams its results: over SSE (or multipart), or graphql-ws. Over plain JSON it is
 * refused, with the media type to ask for. Each client holds at most `maxPerClient`, and each
 * runs at most once per `minIntervalMs`.
 */
export function createLiveQueries(
  options: LiveQueryOptions,
  parts: Omit<Parameters<typeof createInvalidation>[0], 'changed' | 'concerns'> & { scheduler: Scheduler },
) {
  // Runs are spaced by the run gate (run-gate.ts), so the store's own throttle is not used.
  const store = new InMemoryLiveQueryStore({ includeIdentifierExtension: false, validateThrottleValue: () => undefined });
  const dependents = createDependents<LiveQuery>();
  const invalidation = createInvalidation({
    ...parts,
    changed: (resources) => dependents.of(resources).forEach((q) => q.changed()),
    concerns: (resources) => dependents.of(resources).size > 0,
  });
  const perClient = new Map<string, number>();
  const open = new Set<{ query: LiveQuery; stream?: AsyncIterable<unknown>; close: () => void }>();
  // Yoga answers a batch with one response of every operation's first result: a live query in
  // one would be neither streamed nor ever ended.
  const batches = new WeakSet<Request>();
  let ids = 0;
  let runs = 0;

  function openLiveQuery(ctx: ExecutionContext, client: string, operation: OperationDefinitionNode, variables: unknown) {
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    const selfResource = `LiveQuery:${++ids}`;
    const query: LiveQuery = createLiveQuery(ctx, {
      scheduler: parts.scheduler,
      intervalMs: Math.max(options.minIntervalMs, requestedThrottle(operation, variables)),
      selfResource,
      rerun: () => void store.invalidate(selfResource),
      dependsOn: (resources) => dependents.track(query, resources),
      onRun: () => runs++,
    });
    let closed = false;
    const entry = {
      query,
      stream: undefined as AsyncIterable<unknown> | undefined,
      close() {
        if (closed) return;
        closed = true;
        open.delete(entry);
        dependents.track(query, new Set());
        query.close();
        const left = (perClient.get(client) ?? 1) - 1;
        if (left > 0) perClient.set(client, left);
        else perClient.delete(client);
      },
    };
    open.add(entry);
    return entry;
  }

  const plugin: Plugin = {
    onRequestParse: ({ request }) => ({
      onRequestParseDone({ requestParserResult }) {
        if (Array.isArray(requestParserResult)) batches.add(request);
      },
    }),
    onValidate({ addValidationRule }) {
      addValidationRule(NoLiveWithDeferStreamRule);
    },
    onSchemaChange({ schema, replaceSchema }) {
      if (schema.getDirective(GraphQLLiveDirective.name)) return;
      const withLive = new GraphQLSchema({ ...schema.toConfig(), directives: [...schema.getDirectives(), GraphQLLiveDirective] });
      withLive.extensions = schema.extensions;
      replaceSchema(withLive);
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (!operation || !isLiveQueryOperationDefinitionNode(operation, args.variableValues)) return;
      const ctx = args.contextValue as unknown as ExecutionContext;
      const client = ctx.client();
      const batched = ctx.request !== undefined && batches.has(ctx.request);
      const refused = liveRefusal(ctx, batched, perClient.get(client) ?? 0, options.maxPerClient);
      if (refused) {
        setResultAndStopExecution({ errors: [refused] });
        return;
      }
      const entry = openLiveQuery(ctx, client, operation, args.variableValues);
      // The store's live execution: one stream, each of whose results is one run.
      setExecuteFn(store.makeExecute((runArgs) => entry.query.run(runArgs, executeFn) as ReturnType<typeof executeFn>));
      return {
        onExecuteDone({ result }) {
          if (!isAsyncIterable(result)) return entry.close();
          entry.stream = result;
          return { onEnd: entry.close };
        },
      };
    },
  };

  return {
    /** After access control: the per-client cap counts principals. */
    plugin,
    stats: () => ({
      open: open.size,
      /** Runs since the start, first runs included. */
      runs,
      watching: [...open].reduce((n, e) => n + e.query.watching, 0),
    }),
    /** Ends every live query (its stream completes), as the gateway stops. */
    async stop() {
      invalidation.stop();
      const all = [...open];
      await Promise.all(all.map(async (e) => {
        e.close();
        await (e.stream as AsyncIterator<unknown> | undefined)?.return?.();
      }));
    },
  };
}

export type LiveQueries = ReturnType<typeof createLiveQueries>;

/** Why a live query may not start: in a batch, without a stream to carry it, or one too many for its client. */
function liveRefusal(ctx: ExecutionContext, batched: boolean, held: number, maxPerClient: number): GraphQLError | undefined {
  if (batched) {
    return createGraphQLError('A @live query streams its results: send it alone, not in a batch', {
      extensions: { code: 'BAD_REQUEST' },
    });
  }
  if (!ctx.socket && !acceptsStream(ctx.request)) {
    return createGraphQLError(
      'A @live query sends its result again on every change: ask for a stream with accept: text/event-stream ' +
        '(or multipart/mixed), or send it over graphql-ws',
      { extensions: { code: 'BAD_REQUEST', http: { status: 406 } } },
    );
  }
  if (held >= maxPerClient) {
    const message =
      maxPerClient === 0
        ? 'Live queries are off on this gateway (MAX_LIVE_QUERIES_PER_CLIENT=0): send the query without @live'
        : `This client holds ${held} live queries, the most MAX_LIVE_QUERIES_PER_CLIENT allows (${maxPerClient}): end one first`;
    return createGraphQLError(message, { extensions: { code: 'MAX_LIVE_QUERIES_EXCEEDED', limit: maxPerClient } });
  }
  return undefined;
}

/** `@live(throttle: ms)`, or 0. */
function requestedThrottle(operation: OperationDefinitionNode, variables: unknown): number {
  const node = getLiveDirectiveNode(operation);
  const value = node ? getLiveDirectiveArgumentValues(node, variables as Record<string, unknown> | undefined).throttleValue : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/** Whether yoga would answer this request with a stream (SSE or multipart), as its result processors choose. */
function acceptsStream(request: Request | undefined): boolean {
  const accept = request?.headers.get('accept') || '*/*';
  return accept
    .split(',')
    .map((part) => part.split(';')[0].trim().toLowerCase())
    .some((type) => ['*/*', 'text/*', 'text/event-stream', 'multipart/*', 'multipart/mixed'].includes(type));
}
