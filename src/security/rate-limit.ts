import type { Redis } from 'ioredis';
import { withTimeout, type RedisOutage } from '../redis.js';

/** `remaining`: the tokens left in the bucket after the take (absent when the limit is off). */
export type RateLimitResult = { ok: true; remaining?: number } | { ok: false; retryAfterMs: number; remaining?: number };

export interface RateLimiter {
  /**
   * Takes `n` tokens (default 1) from the client's bucket, all or none; when too few are left, how
   * long until enough are (ms). A negative `n` gives tokens back, up to the bucket's size. With
   * `force`, the tokens are taken whatever is left, the bucket going below empty if need be (for
   * what was spent already: the client then waits until the bucket is refilled past 0).
   */
  take(clientId: string, n?: number, force?: boolean): Promise<RateLimitResult>;
}

interface Rate {
  perMinute: number;
  burst: number;
}

const allowed: RateLimitResult = { ok: true };

/**
 * Requests per client: a token bucket per client id, refilled continuously. In memory, per
 * instance; buckets idle long enough to be full again are dropped.
 */
export function createRateLimiter(
  options: Rate & { now?: () => number },
): RateLimiter & { takeNow(clientId: string, n?: number, force?: boolean): RateLimitResult; peekNow(clientId: string): RateLimitResult } {
  const now = options.now ?? Date.now;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = now();

  function sweep(t: number) {
    if (t - sweptAt < 60_000) return;
    sweptAt = t;
    for (const [id, b] of buckets) if (b.tokens + (t - b.at) * perMs >= options.burst) buckets.delete(id);
  }

  function takeNow(clientId: string, n = 1, force = false): RateLimitResult {
    if (options.perMinute <= 0) return allowed;
    const t = now();
    sweep(t);
    const b = buckets.get(clientId) ?? { tokens: options.burst, at: t };
    b.tokens = Math.min(options.burst, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(clientId, b);
    if (force || b.tokens >= n) {
      b.tokens = Math.min(options.burst, b.tokens - n);
      return { ok: true, remaining: b.tokens };
    }
    return { ok: false, retryAfterMs: Math.ceil((n - b.tokens) / perMs), remaining: b.tokens };
  }

  /** Whether a token is left, without taking it. */
  function peekNow(clientId: string): RateLimitResult {
    const b = buckets.get(clientId);
    if (options.perMinute <= 0 || !b) return allowed;
    const tokens = Math.min(options.burst, b.tokens + (now() - b.at) * perMs);
    return tokens >= 1 ? allowed : { ok: false, retryAfterMs: Math.ceil((1 - tokens) / perMs) };
  }

  return {
    takeNow,
    peekNow,
    take: async (clientId, n, force) => takeNow(clientId, n, force),
  };
}

// One bucket per client as a hash (tokens, at), updated atomically on Redis's own clock so that
// instances with skewed clocks share one rate. The key expires once the bucket would be full.
const takeScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMs = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local force = ARGV[4] == '1'
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * perMs)
local retry = 0
if force or tokens >= n then
  tokens = math.min(burst, tokens - n)
else
  retry = math.ceil((n - tokens) / perMs)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
-- Until the bucket would be full again: from below empty too (a client that overspent keeps its debt).
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / perMs) + 1000)
return {retry, tostring(tokens)}`;

/**
 * The same buckets in Redis, shared by every instance: a client gets the configured rate from the
 * cluster, not from each instance. While Redis does not answer, each instance limits on its own
 * (the in-memory buckets) rather than letting everything through or failing requests; the outage
 * is told once, by `outage`.
 */
export function createRedisRateLimiter(
  redis: Redis,
  options: Rate & { prefix: string; outage: RedisOutage; timeoutMs?: number; /** Names the buckets' keys: `rate` unless told. */ bucket?: string },
): RateLimiter {
  const fallback = createRateLimiter(options);
  const perMs = String(options.perMinute / 60_000);
  const burst = String(options.burst);
  const timeoutMs = options.timeoutMs ?? 250;
  // EVALSHA, with ioredis sending the script again only when Redis has not seen it.
  redis.defineCommand('rateLimitTake', { numberOfKeys: 1, lua: takeScript });
  const run = (key: string, n: number, force: boolean) =>
    (
      redis as unknown as { rateLimitTake(k: string, p: string, b: string, n: string, f: string): Promise<[number, string]> }
    ).rateLimitTake(key, perMs, burst, String(n), force ? '1' : '0');

  return {
    async take(clientId, n = 1, force = false) {
      if (options.perMinute <= 0) return allowed;
      try {
        // A request waits at most timeoutMs for a Redis that does not answer.
        const [retry, tokens] = await withTimeout(run(`${options.prefix}${options.bucket ?? 'rate'}:${clientId}`, n, force), timeoutMs, `no answer in ${timeoutMs} ms`);
        options.outage.succeeded();
        const remaining = Number(tokens);
        return Number(retry) > 0 ? { ok: false, retryAfterMs: Number(retry), remaining } : { ok: true, remaining };
      } catch (error) {
        options.outage.failed(error);
        return fallback.takeNow(clientId, n, force);
      }
    },
  };
}

/** Whose bucket a request takes from: its caller, or, on an open gateway where all are one, its address. */
export const rateLimitClient = (principalId: string | undefined, address: string | undefined) =>
  principalId === 'open' ? `ip:${clientAddress(address) ?? 'unknown'}` : (principalId ?? 'unknown');

/**
 * The key of a client address for per-address limits: IPv4 as is (also when mapped into IPv6),
 * IPv6 by its /64 network, since one host is commonly given a whole /64 and could otherwise take a
 * fresh bucket per address.
 */
export function clientAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head = '', tail = ''] = address.split('::');
  const groups = [...head.split(':').filter(Boolean), ...Array(8).fill('0')].slice(0, 8);
  if (tail) {
    // The groups after `::` fill from the right; only the first four matter here.
    const right = tail.split(':');
    for (let i = 0; i < right.length; i++) groups[8 - right.length + i] = right[i]!;
  }
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/** What a client is told to wait, in whole seconds (at least 1): `retry-after` and its messages. */
export const retryAfterSeconds = (retryAfterMs: number) => Math.max(1, Math.ceil(retryAfterMs / 1000));
