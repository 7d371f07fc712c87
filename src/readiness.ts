/** What `/ready` answers: 200 for `ready` and `degraded`, 503 for `not ready`. */
export interface Readiness {
  status: 'ready' | 'degraded' | 'not ready';
  /** Each check's outcome, `ok` or what is wrong. */
  checks: Record<string, string>;
}

/** The upstream check's outcome while the circuit breaker fails calls fast. */
export const circuitOpen = 'circuit open';

/**
 * Ready when every check is ok. An open circuit alone is `degraded`, still ready: every instance
 * shares the upstream, so its breakers open together, and a load balancer that pulled them all
 * would turn a brief upstream outage into a full one (no schema, no cached reads, no errors that
 * say what is wrong, only connection refusals), and would put them back only after its own
 * threshold of probes once the breakers have closed. A region other than the default failing (its
 * check is `upstream account/region`) is `degraded` too. Anything else failing is `not ready`.
 */
export function judgeReadiness(checks: Record<string, string>): Readiness {
  const failing = Object.entries(checks).filter(([, outcome]) => outcome !== 'ok');
  if (failing.length === 0) return { status: 'ready', checks };
  // Another region or account failing leaves the default one serving, and every app elsewhere.
  const onlyTheBreaker = failing.every(
    ([name, outcome]) => (name === 'upstream' && outcome === circuitOpen) || name.startsWith('upstream '),
  );
  return { status: onlyTheBreaker ? 'degraded' : 'not ready', checks };
}
