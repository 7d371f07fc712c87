import type { Scheduler } from '../jobs/scheduler.js';

/**
 * The minimum interval between two runs of one live query, on the gateway's scheduler (tests drive
 * it by hand). A run asked for too soon waits for the interval's end; one asked for while another
 * waits replaces it, so a burst of changes costs one run. The replaced run answers `superseded` at
 * once: the live query store keeps only the result of the latest run it asked for.
 */
export function createRunGate<T>(scheduler: Scheduler, intervalMs: number, superseded: T) {
  let lastStart = -Infinity;
  let waiting: { handle: unknown; resolve: (result: T | Promise<T>) => void } | undefined;

  function dropWaiting() {
    if (!waiting) return;
    scheduler.cancel(waiting.handle);
    waiting.resolve(superseded);
    waiting = undefined;
  }

  return {
    run(execute: () => T | Promise<T>): T | Promise<T> {
      dropWaiting();
      const wait = lastStart + intervalMs - scheduler.now();
      if (wait <= 0) {
        lastStart = scheduler.now();
        return execute();
      }
      return new Promise<T>((resolve) => {
        const handle = scheduler.schedule(() => {
          waiting = undefined;
          lastStart = scheduler.now();
          resolve(execute());
        }, wait);
        waiting = { handle, resolve };
      });
    },
    /** The live query ended: a waiting run will not be needed. */
    close: dropWaiting,
  };
}
