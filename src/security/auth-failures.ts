import { CloseCode } from 'graphql-ws';
import type { Logger } from 'pino';
import { AuthenticationError, type Authenticator, type Principal } from './access.js';
import { clientAddress, createRateLimiter, retryAfterSeconds } from './rate-limit.js';

export type Transport = 'http' | 'websocket';

/** Where a credential came from, for the limit and the log; never the credential. */
export interface Attempt {
  /** The TCP peer's address; undefined for in-process requests (`yoga.fetch`), which are not limited. */
  address: string | undefined;
  requestId?: string;
  transport: Transport;
}

/** What checking a credential came to, for the transport to answer (HTTP status or close code). */
export type CredentialOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'no-credential' }
  | { ok: false; reason: 'unauthenticated'; message: string }
  /** Too many failed authentications from the address: the credential was not even looked at. */
  | { ok: false; reason: 'too-many-failures'; message: string; retryAfterSeconds: number }
  /** The credential could not be checked (a JWKS out of reach): not the client's fault. */
  | { ok: false; reason: 'unavailable'; message: string };

/**
 * Failed authentications per client address: a token bucket (in memory, per instance) that, once
 * empty, refuses the address before its credential is checked; and a log that, past the first
 * failure of an address in an interval, counts instead of writing a line per failure, then writes
 * one summary line per address. Addresses beyond `maxAddresses` in one interval are summed into one
 * line, so an attacker with many addresses cannot grow the tally without bound.
 */
export function createAuthFailureGuard(options: {
  perMinute: number;
  burst: number;
  logger: Logger;
  /** How often the summary is written. @default 60000 */
  intervalMs?: number;
  maxAddresses?: number;
  now?: () => number;
}) {
  const limiter = createRateLimiter({ perMinute: options.perMinute, burst: options.burst, now: options.now });
  const intervalMs = options.intervalMs ?? 60_000;
  const maxAddresses = options.maxAddresses ?? 10_000;
  const tally = new Map<string, { failures: number; refused: number }>();
  const others = { failures: 0, refused: 0 };
  const timer = setInterval(() => flush(), intervalMs);
  timer.unref();

  function count(address: string, field: 'failures' | 'refused') {
    const entry = tally.get(address);
    if (entry) {
      entry[field]++;
      return entry;
    }
    if (tally.size >= maxAddresses) {
      others[field]++;
      return undefined;
    }
    const fresh = { failures: 0, refused: 0 };
    fresh[field]++;
    tally.set(address, fresh);
    return fresh;
  }

  /** Writes what the interval counted beyond the lines already written, and starts a new one. */
  function flush() {
    for (const [address, { failures, refused }] of tally) {
      // The first failure was logged when it happened; a lone one needs no summary.
      if (failures + refused > 1) {
        options.logger.warn({ address, failures, refused, intervalMs }, 'authentication failures from one address');
      }
    }
    if (others.failures + others.refused > 0) {
      options.logger.warn({ ...others, intervalMs }, `authentication failures from addresses beyond the first ${maxAddresses}`);
    }
    tally.clear();
    Object.assign(others, { failures: 0, refused: 0 });
  }

  return {
    /** Whether the address may try a credential now; when not, in how many seconds. */
    mayTry(address: string | undefined): { ok: true } | { ok: false; retryAfterSeconds: number } {
      const key = clientAddress(address);
      if (!key) return { ok: true };
      const result = limiter.peekNow(key);
      if (result.ok) return result;
      count(key, 'refused');
      return { ok: false, retryAfterSeconds: retryAfterSeconds(result.retryAfterMs) };
    },
    failed(attempt: Attempt, reason: string) {
      const key = clientAddress(attempt.address);
      if (key) limiter.takeNow(key);
      const entry = key ? count(key, 'failures') : undefined;
      if (!key || entry?.failures === 1) {
        options.logger.info({ requestId: attempt.requestId, address: key, transport: attempt.transport, reason }, 'authentication failed');
      }
    },
    flush,
    /** Writes the last summary and stops the interval. */
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}

export type AuthFailureGuard = ReturnType<typeof createAuthFailureGuard>;

/**
 * Checks a credential behind the failure limit, the same way on every transport: refused without a
 * look when the address has failed too often, else authenticated, a failure counted and logged by
 * the guard. A gateway that is open lets everyone in and counts nothing.
 */
export function createCredentialCheck(options: { authenticator: Authenticator; failures: AuthFailureGuard; logger: Logger }) {
  const { authenticator, failures } = options;
  return async function checkCredentials(
    credentials: Parameters<Authenticator['authenticate']>[0],
    attempt: Attempt,
  ): Promise<CredentialOutcome> {
    if (!authenticator.open) {
      const may = failures.mayTry(attempt.address);
      if (!may.ok) {
        const message = `Too many failed authentications from this address: retry in ${may.retryAfterSeconds} s`;
        return { ok: false, reason: 'too-many-failures', message, retryAfterSeconds: may.retryAfterSeconds };
      }
    }
    let principal: Principal | null;
    try {
      principal = await authenticator.authenticate(credentials);
    } catch (error) {
      if (!(error instanceof AuthenticationError)) {
        options.logger.error({ requestId: attempt.requestId, transport: attempt.transport, err: error }, 'credentials could not be checked');
        return { ok: false, reason: 'unavailable', message: 'Credentials cannot be checked at the moment: retry later' };
      }
      failures.failed(attempt, error.message);
      return { ok: false, reason: 'unauthenticated', message: error.message };
    }
    if (!principal) {
      failures.failed(attempt, 'no credential');
      return { ok: false, reason: 'no-credential' };
    }
    return { ok: true, principal };
  };
}

export type CredentialCheck = ReturnType<typeof createCredentialCheck>;

/**
 * The close code and reason of a graphql-ws connection refused at connection_init: 4401 as
 * graphql-ws has it for a bad credential, 4429 (which graphql-ws clients do not retry) for too many
 * failures, 1013 (try again later) when credentials cannot be checked.
 */
export function connectionRefusal(outcome: Exclude<CredentialOutcome, { ok: true }>): [code: number, reason: string] {
  switch (outcome.reason) {
    case 'no-credential':
      return [CloseCode.Unauthorized, 'Authentication required: connectionParams.authorization'];
    case 'unauthenticated':
      return [CloseCode.Unauthorized, outcome.message];
    case 'too-many-failures':
      return [CloseCode.TooManyInitialisationRequests, outcome.message];
    case 'unavailable':
      return [1013, 'Authentication is unavailable; try again later'];
  }
}
