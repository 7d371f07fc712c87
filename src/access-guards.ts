import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';
import type { RedisClients } from './redis.js';
import type { Authenticator } from './security/access.js';
import { createAuthFailureGuard, createCredentialCheck } from './security/auth-failures.js';
import { createRateLimiter, createRedisRateLimiter } from './security/rate-limit.js';

/**
 * What every transport's access check runs on: the credential check, behind a limit on failed
 * authentications per client address, and the request rate per client.
 */
export function createAccessGuards(
  config: GatewayConfig,
  options: { authenticator: Authenticator; logger: Logger; redis: RedisClients | undefined },
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
  return { rateLimiter, authFailures, checkCredentials };
}
