import CircuitBreaker from 'opossum';
import pLimit from 'p-limit';
import { UpstreamError } from './errors.js';

export interface ResilienceOptions {
  /** Upstream calls in flight at once; more wait their turn. @default 16 */
  maxConcurrency?: number;
  /** Calls that may wait; past that a call fails at once with RATE_LIMITED. @default 1000 */
  maxQueue?: number;
  /** Percent of failed calls in the last 10 s that opens the circuit. @default 50 */
  breakerErrorPercent?: number;
  /** Calls in the window before the failure rate counts. @default 10 */
  breakerMinCalls?: number;
  /** How long an open circuit fails fast before a trial call. @default 10000 */
  breakerResetMs?: number;
}

// Only AmplifyBackend's own failures count: a request it refused, one never sent, or one its
// caller gave up on says nothing about its health (opossum counts a filtered error as a success).
const isNotUpstreamFault = (error: unknown) => error instanceof UpstreamError && !error.upstreamFault;

/**
 * Guards upstream calls: a queue so a burst of queries does not become a burst of AWS calls (and
 * throttling), and a circuit breaker that fails fast while AmplifyBackend keeps failing and lets a
 * trial call through after a pause. The SDK's own retries happen inside one guarded call.
 */
export function createResilience(options: ResilienceOptions = {}) {
  const limit = pLimit(options.maxConcurrency ?? 16);
  const maxQueue = options.maxQueue ?? 1000;
  const resetMs = options.breakerResetMs ?? 10_000;
  // A circuit that closes starts counting afresh, on a new breaker: opossum keeps the failures
  // that opened it in its 10 s window, and one failure after recovery would open it again.
  const newBreaker = (): CircuitBreaker => {
    const fresh = new CircuitBreaker((run: () => Promise<unknown>) => run(), {
      timeout: false,
      errorThresholdPercentage: options.breakerErrorPercent ?? 50,
      volumeThreshold: options.breakerMinCalls ?? 10,
      resetTimeout: resetMs,
      rollingCountTimeout: 10_000,
      errorFilter: isNotUpstreamFault,
    });
    // Only the current breaker can close: shutdown() removes a breaker's listeners.
    fresh.once('close', () => {
      breaker = newBreaker();
      fresh.shutdown();
    });
    return fresh;
  };
  let breaker = newBreaker();

  return {
    async run<T>(operation: string, call: () => Promise<T>): Promise<T> {
      // Only when every slot is busy: with maxQueue 0 a free slot must still serve.
      if (limit.activeCount >= limit.concurrency && limit.pendingCount >= maxQueue) {
        throw new UpstreamError(
          `Too many AmplifyBackend calls are waiting (${maxQueue}); try again shortly`,
          'RATE_LIMITED', operation, 'GatewayQueueFull', undefined, undefined, 0,
        );
      }
      return limit(async () => {
        try {
          return (await breaker.fire(call)) as T;
        } catch (error) {
          // Half open, calls beside the trial call are refused too, with breaker.opened false.
          if (CircuitBreaker.isOurError(error as Error)) {
            throw new UpstreamError(
              `AmplifyBackend is failing; calls are paused for up to ${Math.round(resetMs / 1000)} s (circuit open)`,
              'UPSTREAM_UNAVAILABLE', operation, 'CircuitOpen', undefined, undefined, 0,
            );
          }
          throw error;
        }
      });
    },
    state: (): 'closed' | 'open' | 'halfOpen' => (breaker.opened ? 'open' : breaker.halfOpen ? 'halfOpen' : 'closed'),
    inFlight: () => limit.activeCount,
    queued: () => limit.pendingCount,
    shutdown: () => breaker.shutdown(),
  };
}

export type Resilience = ReturnType<typeof createResilience>;
