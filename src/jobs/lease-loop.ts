import type { Leases } from './lease.js';
import type { Scheduler } from './scheduler.js';

/**
 * When one watch works, and whether this instance is the one that polls it. Each turn takes (or
 * renews) the watch's lease: the holder does the work (`hold`, which answers how long until it has
 * more to do), every other instance follows (`follow`) and tries again a quarter lease later, ready
 * to take over from a holder that died. Turns never overlap: one asked for during a turn runs
 * right after it.
 */
export function createLeaseLoop(options: {
  key: string;
  leases: Leases;
  scheduler: Scheduler;
  /** The lease is renewed at least this often; Infinity when it never expires (no Redis). */
  renewEveryMs: number;
  /** False once the watch is gone or the watcher stopped: no turn is scheduled then. */
  alive: () => boolean;
  /** A turn of the holder: the milliseconds until it has more to do, Infinity for never. */
  hold: () => Promise<number>;
  /** A turn of an instance without the lease. */
  follow: () => void;
}) {
  const { key, leases, scheduler } = options;
  let holdsLease = false;
  let timer: unknown;
  let running = false;
  let again = false;

  function schedule(delayMs: number) {
    if (!options.alive()) return;
    scheduler.cancel(timer);
    timer = scheduler.schedule(turn, Math.max(0, delayMs));
  }

  async function turn() {
    if (running) return;
    running = true;
    try {
      try {
        holdsLease = await leases.acquire(key);
      } catch {
        holdsLease = false;
      }
      if (!options.alive()) return;
      if (!holdsLease) {
        options.follow();
        schedule(leases.ttlMs / 4);
        return;
      }
      const next = Math.min(await options.hold(), options.renewEveryMs);
      if (Number.isFinite(next)) schedule(next);
    } finally {
      running = false;
    }
    if (again) {
      again = false;
      schedule(0);
    }
  }

  return {
    /** A turn as soon as possible: now, or right after the one running. */
    soon() {
      if (running) again = true;
      else schedule(0);
    },
    get holdsLease() {
      return holdsLease;
    },
    /** No more turns; the lease is released unless `abandon` (left to expire, as a crashed instance would). */
    async stop({ abandon = false }: { abandon?: boolean } = {}) {
      scheduler.cancel(timer);
      if (!holdsLease) return;
      holdsLease = false;
      if (!abandon) await leases.release(key).catch(() => undefined);
    },
  };
}

export type LeaseLoop = ReturnType<typeof createLeaseLoop>;
