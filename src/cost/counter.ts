import { createGraphQLError } from 'graphql-yoga';

/**
 * The upstream calls one request asks for, counted where they leave it (`ctx.reads` and `ctx.aws`):
 * after its own loaders dedupe them, before the shared read cache does. So the count does not
 * depend on what other requests happen to have read, and a read the cache answers still counts:
 * the read cache can only make fewer calls than this, never more.
 *
 * The count is also a hard stop: a request's `max`-th call is its last, so MAX_UPSTREAM_CALLS holds
 * while the request runs, even when a list upstream is longer than the schema's `@listSize`
 * assumed and the estimate was short.
 */
export interface UpstreamCount {
  /** Calls made so far by this request (by this event of a subscription, this run of a live query). */
  readonly calls: number;
  /** Calls made by the request over its whole life: all its events, all its runs. */
  readonly total: number;
  /** Counts one call, or refuses it past `max`. */
  count(): void;
  /** A subscription's next event, a live query's next run, counts afresh against `max`. */
  reset(): void;
}

export const MAX_UPSTREAM_CALLS_CODE = 'MAX_UPSTREAM_CALLS_EXCEEDED';

export function maxUpstreamCallsError(max: number, found: number, when: 'estimate' | 'run') {
  const message =
    when === 'estimate'
      ? `This operation may make ${found} upstream calls; at most ${max} are allowed in one request (MAX_UPSTREAM_CALLS)`
      : `This operation reached ${max} upstream calls, the most one request may make (MAX_UPSTREAM_CALLS)`;
  return createGraphQLError(message, {
    extensions: { code: MAX_UPSTREAM_CALLS_CODE, maxUpstreamCalls: max, ...(when === 'estimate' ? { estimated: found } : {}) },
  });
}

export function createUpstreamCount(max: number): UpstreamCount {
  let calls = 0;
  let total = 0;
  return {
    get calls() {
      return calls;
    },
    get total() {
      return total;
    },
    count() {
      if (calls >= max) throw maxUpstreamCallsError(max, calls, 'run');
      calls += 1;
      total += 1;
    },
    reset() {
      calls = 0;
    },
  };
}
