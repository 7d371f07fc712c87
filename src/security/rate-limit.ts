/**
 * Requests per client: a token bucket per client id, refilled continuously. In memory, per
 * instance; buckets idle long enough to be full again are dropped.
 */
export function createRateLimiter(options: { perMinute: number; burst: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = now();

  function sweep(t: number) {
    if (t - sweptAt < 60_000) return;
    sweptAt = t;
    for (const [id, b] of buckets) if (b.tokens + (t - b.at) * perMs >= options.burst) buckets.delete(id);
  }

  return {
    enabled: options.perMinute > 0,
    /** Takes one token; when none is left, how long until one is (ms). */
    take(clientId: string): { ok: true } | { ok: false; retryAfterMs: number } {
      if (options.perMinute <= 0) return { ok: true };
      const t = now();
      sweep(t);
      const b = buckets.get(clientId) ?? { tokens: options.burst, at: t };
      b.tokens = Math.min(options.burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
      buckets.set(clientId, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.ceil((1 - b.tokens) / perMs) };
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;

/** Whose bucket a request takes from: its caller, or, on an open gateway where all are one, its address. */
export const rateLimitClient = (principalId: string | undefined, address: string | undefined) =>
  principalId === 'open' ? `ip:${address ?? 'unknown'}` : (principalId ?? 'unknown');
