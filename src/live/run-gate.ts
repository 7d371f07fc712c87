import type { Scheduler } from '../jobs/scheduler.js';

/**
 * When one live query runs again: never two runs at once, at least `intervalMs` between the starts
 * of two (on the gateway's scheduler, which tests drive by hand), and one run for any number of
 * changes that come in one turn of the event loop, while it waits, or while it runs (then one more
 * run follows). The live query store is asked for a run only when it may start, so it never drops
 * the result of a run in flight for a newer one, and a client changing things faster than runs
 * take still gets results.
 */
export function createRunGate(scheduler: Scheduler, intervalMs: number, start: () => void) {
  let lastStart = -Infinity;
  let running = false;
  let again = false;
  let closed = false;
  let timer: unknown;
  let turn: NodeJS.Immediate | undefined;
  /** When the latest change that `turn` answers came. */
  let changedAt = 0;

  function decide() {
    turn = undefined;
    if (closed || timer !== undefined) return;
    if (running) {
      // A run that started after the change reads it.
      if (changedAt >= lastStart) again = true;
      return;
    }
    const wait = lastStart + intervalMs - scheduler.now();
    if (wait <= 0) return start();
    timer = scheduler.schedule(() => {
      timer = undefined;
      if (!closed) start();
    }, wait);
  }

  const request = () => {
    if (closed) return;
    changedAt = scheduler.now();
    turn ??= setImmediate(decide);
  };

  return {
    /** Something the live query read changed. */
    request,
    /** A run begins (the first too, which the store starts by itself). */
    started() {
      running = true;
      lastStart = scheduler.now();
    },
    /**
     * A run ended. A change during it asks for another, a turn later: by then the store has taken
     * in the run's result, and with it the identifier that asks it for the next run.
     */
    finished() {
      running = false;
      if (!again) return;
      again = false;
      request();
    },
    close() {
      closed = true;
      if (timer !== undefined) scheduler.cancel(timer);
      if (turn) clearImmediate(turn);
    },
  };
}
