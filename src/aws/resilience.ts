import CircuitBreaker from 'opossum';
import { UpstreamError } from './errors.js';
import { createFairQueue, QueueFullError } from './fair-queue.js';

export interface ResilienceOptions {
  /** Upstream calls in flight at once; more wait their turn. @default 16 */
  maxConcurrency?: number;
  /** Calls that may wait, all clients together; past that a call fails at once with RATE_LIMITED. @default 1000 */
  maxQueue?: number;
  /** Calls one client may have waiting; past that its calls fail at once with RATE_LIMITED. @default 500 */
  maxQueuePerClient?: number;
  /** Percent of failed calls in the last 10 s that opens the circuit. @default 50 */
  breakerErrorPercent?: number;
  /** Calls in the window before the failure rate counts. @default 10 */
  breakerMinCalls?: number;
  /** How long an open circuit fails fast before a trial call. @default 10000 */
  breakerResetMs?: number;
  /** The clock breakerResetMs is measured on; tests pass one they advance. @default Date.now */
  now?: () => number;
}

// opossum half-opens on a setTimeout of its own, which no test clock can move: its timer is
// pushed out of reach (the longest a Node timer takes) and the reset measured on `now` instead.
const NEVER = 2 ** 31 - 1;

// Only AmplifyBackend's own failures count: a request it refused, one never sent, or one its
// caller gave up on says nothing about its health (opossum counts a filtered error as a success).
const isNotUpstreamFault = (error: unknown) => error instanceof UpstreamError && !error.upstreamFault;

/** Whose turn a call waits for: the gateway's own calls (job pollers, the readiness probe) without one. */
export const GATEWAY_CLIENT = 'gateway';

export interface RunOptions {
  /** The client the call is made for (its rate-limit id). @default GATEWAY_CLIENT */
  client?: string;
  /** See FairQueue.run: lets other clients that share this call's answer give it their turns too. */
  onWaiting?: (alsoFor: (client: string) => void) => void;
}

/**
 * Guards upstream calls: a queue so a burst of queries does not become a burst of AWS calls (and
 * throttling), with turns per client so that one client's burst is not everybody's wait, and a
 * circuit breaker that fails fast while AmplifyBackend keeps failing and lets a trial call through
 * after a pause. The SDK's own retries happen inside one guarded call.
 */
export function createResilience(options: ResilienceOptions = {}) {
  const queue = createFairQueue({
    concurrency: options.maxConcurrency ?? 16,
    maxWaiting: options.maxQueue ?? 1000,
    maxWaitingPerClient: options.maxQueuePerClient ?? 500,
  });
  const resetMs = options.breakerResetMs ?? 10_000;
  const now = options.now ?? Date.now;
  let openedAt = 0;
  // A circuit that closes starts counting afresh, on a new breaker: opossum keeps the failures
  // that opened it in its 10 s window, and one failure after recovery would open it again. The
  // one that half-opens is new too, built in that state: opossum has no other way in.
  const newBreaker = (state?: { closed: false; halfOpen: true }): CircuitBreaker => {
    const fresh = new CircuitBreaker((run: () => Promise<unknown>) => run(), {
      timeout: false,
      errorThresholdPercentage: options.breakerErrorPercent ?? 50,
      volumeThreshold: options.breakerMinCalls ?? 10,
      resetTimeout: NEVER,
      rollingCountTimeout: 10_000,
      errorFilter: isNotUpstreamFault,
      ...(state && { state }),
    });
    fresh.on('open', () => {
      openedAt = now();
    });
    // Only the current breaker can close or half-open: shutdown() removes a breaker's listeners.
    fresh.once('close', () => replace(newBreaker()));
    return fresh;
  };
  let breaker = newBreaker();
  const replace = (next: CircuitBreaker) => {
    const old = breaker;
    breaker = next;
    old.shutdown();
  };
  /** The breaker, half-opened first once the open one has waited resetMs. */
  const current = () => {
    if (breaker.opened && now() - openedAt >= resetMs) replace(newBreaker({ closed: false, halfOpen: true }));
    return breaker;
  };

  return {
    async run<T>(operation: string, call: () => Promise<T>, runOptions: RunOptions = {}): Promise<T> {
      const guarded = async () => {
        try {
          return (await current().fire(call)) as T;
        } catch (error) {
          // Half open, calls beside the trial call are refused too, with breaker.opened false.
          if (CircuitBreaker.isOurError(error as Error)) {
            // Half open, the trial call decides within its timeout: a second is as good a guess as any.
            const left = breaker.opened ? resetMs - (now() - openedAt) : 0;
            throw new UpstreamError(
              `AmplifyBackend is failing; calls are paused for up to ${Math.round(resetMs / 1000)} s (circuit open)`,
              'UPSTREAM_UNAVAILABLE', operation, 'CircuitOpen', undefined, undefined, 0,
            ).retryAfter(left);
          }
          throw error;
        }
      };
      try {
        return await queue.run(runOptions.client ?? GATEWAY_CLIENT, guarded, runOptions.onWaiting);
      } catch (error) {
        if (!(error instanceof QueueFullError)) throw error;
        const whose = error.scope === 'client' ? 'of this client ' : '';
        // How long the queue takes to drain is not known: a second, the shortest a client is told.
        throw new UpstreamError(
          `Too many AmplifyBackend calls ${whose}are waiting (${error.limit}); try again shortly`,
          'RATE_LIMITED', operation, 'GatewayQueueFull', undefined, undefined, 0,
        ).retryAfter(1000);
      }
    },
    state: (): 'closed' | 'open' | 'halfOpen' => {
      const { opened, halfOpen } = current();
      return opened ? 'open' : halfOpen ? 'halfOpen' : 'closed';
    },
    inFlight: () => queue.active(),
    queued: () => queue.waiting(),
    shutdown: () => breaker.shutdown(),
  };
}

export type Resilience = ReturnType<typeof createResilience>;
