import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.js';
import { retryAfterSeconds, type RateLimiter, type RateLimitResult } from '../security/rate-limit.js';
import { maxUpstreamCallsError } from './counter.js';
import { estimateUpstreamCalls } from './estimate.js';

export interface UpstreamCostOptions {
  /** Upstream calls one request may make (MAX_UPSTREAM_CALLS). */
  maxUpstreamCalls: number;
  /** Each client's bucket of upstream calls; absent when budgets are off. */
  budget?: { limiter: RateLimiter; perMinute: number; burst: number };
  /** Put `extensions.cost` on every result. */
  report: boolean;
  /** The (account, region) sources `apps` lists: its weight is per source. */
  sources?: number;
}

/** What `extensions.cost` says, Shopify-like. */
export interface CostReport {
  estimated: number;
  actual: number;
  budget?: { remaining: number; max: number; restorePerSecond: number };
}

type Result = ExecutionResult & { extensions?: Record<string, unknown> };

/**
 * Upstream calls as the cost of an operation, where execution starts on every transport
 * (onExecute and onSubscribe run for HTTP, SSE and graphql-ws alike):
 *
 * 1. the estimate (src/cost/estimate.ts) above MAX_UPSTREAM_CALLS is refused before any call;
 * 2. the estimate is taken from the client's budget, or the operation is refused with
 *    RATE_LIMITED and the time until the budget holds it;
 * 3. once it ran, the budget is settled to what it actually called: unspent calls go back, and a
 *    run that called more than estimated is charged the difference. A subscription's events and a
 *    live query's re-runs are charged their calls as they happen (never refused: the client's next
 *    operations wait instead).
 */
export function useUpstreamCost(options: UpstreamCostOptions): Plugin {
  const { budget } = options;
  const budgetReport = (taken: RateLimitResult | undefined): CostReport['budget'] =>
    budget && taken?.remaining !== undefined
      ? { remaining: Math.floor(taken.remaining), max: budget.burst, restorePerSecond: budget.perMinute / 60 }
      : undefined;
  const withCost = (result: Result, report: CostReport): Result =>
    options.report ? { ...result, extensions: { ...result.extensions, cost: report } } : result;

  async function start(args: ExecutionArgs, stop: (result: Result) => void) {
    const ctx = args.contextValue as Context;
    const estimated = estimateUpstreamCalls(args.schema, args.document, args.operationName, args.variableValues, options.sources);
    if (estimated > options.maxUpstreamCalls) {
      stop(withCost({ errors: [maxUpstreamCallsError(options.maxUpstreamCalls, estimated, 'estimate')] }, { estimated, actual: 0 }));
      return undefined;
    }
    const client = ctx.client();
    let last = budget && estimated > 0 ? await budget.limiter.take(client, estimated) : undefined;
    if (last && !last.ok) {
      const seconds = retryAfterSeconds(last.retryAfterMs);
      const error = createGraphQLError(
        `This operation may make ${estimated} upstream calls and your budget holds ${Math.floor(last.remaining ?? 0)}: retry in ${seconds} s`,
        { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: seconds, http: { status: 429, headers: { 'retry-after': String(seconds) } } } },
      );
      stop(withCost({ errors: [error] }, { estimated, actual: 0, budget: budgetReport(last) }));
      return undefined;
    }
    let charged = estimated;
    /** Charges what was called beyond what was taken; at the end, gives back what was not. */
    const settle = async (end: boolean) => {
      if (!budget) return;
      const total = ctx.upstream.total;
      const owed = total > charged || (end && total < charged) ? total - charged : 0;
      // Settled before the take is awaited: two settles in flight (an event's and the end's) must
      // not both charge the same calls.
      if (owed !== 0) charged = total;
      if (owed > 0) last = await budget.limiter.take(client, owed, true);
      else if (owed < 0) last = await budget.limiter.take(client, owed);
      else if (!last) last = await budget.limiter.take(client, 0);
    };
    const report = (): CostReport => ({ estimated, actual: ctx.upstream.calls, budget: budgetReport(last) });
    return {
      async done(result: Result, setResult: (r: Result) => void) {
        await settle(true);
        setResult(withCost(result, report()));
      },
      async next(result: Result, setResult: (r: Result) => void) {
        await settle(false);
        setResult(withCost(result, report()));
      },
      end: () => settle(true),
      report,
    };
  }

  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const run = await start(args, setResultAndStopExecution);
      if (!run) return;
      return {
        async onExecuteDone({ result, setResult }) {
          if (!isAsyncIterable(result)) return run.done(result, setResult);
          return { onNext: ({ result: r, setResult: set }) => run.next(r, set), onEnd: () => void run.end() };
        },
      };
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const run = await start(args, setResultAndStopExecution);
      if (!run) return;
      return {
        onSubscribeResult({ result, setResult }) {
          // Sync here: a subscription that did not start (an error result) settles afterwards.
          if (!isAsyncIterable(result)) {
            setResult(withCost(result, run.report()));
            return void run.end();
          }
          return { onNext: ({ result: r, setResult: set }) => run.next(r, set), onEnd: () => void run.end() };
        },
      };
    },
  };
}
