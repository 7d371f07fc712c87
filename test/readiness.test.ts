import { describe, expect, it } from 'vitest';
import { judgeReadiness, type Readiness } from '../src/readiness.js';

// What /ready answers for each combination of checks (the HTTP side is in observability.test.ts).
describe('readiness', () => {
  it.each<[Record<string, string>, Readiness['status']]>([
    [{ upstream: 'ok' }, 'ready'],
    [{ upstream: 'ok', redis: 'ok' }, 'ready'],
    // The breaker fails calls fast on every instance at once: still in the load balancer.
    [{ upstream: 'circuit open' }, 'degraded'],
    [{ upstream: 'circuit open', redis: 'ok' }, 'degraded'],
    // Anything else is the instance's own trouble, or more than the breaker.
    [{ upstream: 'circuit open', redis: 'unreachable: connect ECONNREFUSED' }, 'not ready'],
    [{ upstream: 'UPSTREAM_ERROR: AmplifyBackend could not be reached' }, 'not ready'],
    [{ upstream: 'ok', redis: 'unreachable: connect ECONNREFUSED' }, 'not ready'],
    [{ gateway: 'shutting down' }, 'not ready'],
    // Another region or account failing leaves the default one and the rest serving.
    [{ upstream: 'ok', 'upstream prod/eu-west-1': 'UPSTREAM_ERROR: could not be reached' }, 'degraded'],
    [{ upstream: 'circuit open', 'upstream default/eu-west-1': 'circuit open' }, 'degraded'],
    [{ upstream: 'UPSTREAM_ERROR: x', 'upstream default/eu-west-1': 'ok' }, 'not ready'],
  ])('%o is %s', (checks, status) => {
    expect(judgeReadiness(checks)).toEqual({ status, checks });
  });
});
