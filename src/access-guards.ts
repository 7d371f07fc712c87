import type { Logger } from 'pino';
import { useUpstreamCost } from './cost/plugin.js';
import type { GatewayConfig } from './config.js';
import type { RedisClients } from './redis.js';
import type { Authenticator } from './security/access.js';
import { createAuthFailureGuard, createCredentialCheck } from './security/auth-failures.js';
import { createRateLimiter, createRedisRateLimiter } from './security/rate-limit.js';

/**
 * What every transport's access check runs on: the credential check, behind a limit on failed
 * authentications per client address, and the request rate per client; and the upstream calls
 * one operation may make, from each client's budget of them.
 */
export function createAccessGuards(
  config: GatewayConfig,
  options: { authenticator: Authenticator; logger: Logger; redis: RedisClients | undefined; sources: number },
) {
  const { logger, redis } = options;
  const rate = { perMinute: config.limits.rateLimitPerMinute, burst: config.limits.rateLimitBurst };
  // With Redis, every instance takes from one bucket per client: the rate is the cluster's.
  const rateLimiter = redis
    ? createRedisRateLimiter(redis.publish, { ...rate, prefix: config.redisPrefix, outage: redis.outage })
    : createRateLimiter(rate);
  // Failed authentications per client address: refused past a limit, logged as a summary.
  const authFailures = createAuthFailureGuard({
    perMinute: config.access.authFailuresPerMinute,
    burst: config.access.authFailureBurst,
    logger,
  });
  const checkCredentials = createCredentialCheck({ authenticator: options.authenticator, failures: authFailures, logger });
  return { rateLimiter, authFailures, checkCredentials, upstreamCost: createUpstreamCost(config, redis, options.sources) };
}

/** MAX_UPSTREAM_CALLS and each client's budget of upstream calls: one bucket per client, cluster-wide with Redis. */
function createUpstreamCost(config: GatewayConfig, redis: RedisClients | undefined, sources: number) {
  const { maxUpstreamCalls, upstreamCallsPerMinute: perMinute, upstreamCallsBurst: burst, costExtensions } = config.limits;
  const rate = { perMinute, burst };
  const limiter =
    perMinute <= 0
      ? undefined
      : redis
        ? createRedisRateLimiter(redis.publish, { ...rate, prefix: config.redisPrefix, outage: redis.outage, bucket: 'calls' })
        : createRateLimiter(rate);
  return useUpstreamCost({ maxUpstreamCalls, sources, report: costExtensions, ...(limiter ? { budget: { limiter, perMinute, burst } } : {}) });
}
