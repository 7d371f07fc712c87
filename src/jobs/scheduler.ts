/** When pollers run. Real timers in production; tests drive a manual one, so no test waits on time. */
export interface Scheduler {
  now(): number;
  schedule(task: () => unknown, delayMs: number): unknown;
  cancel(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule: (task, delayMs) => setTimeout(task, delayMs),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
