/** When pollers run. Real timers in production; tests drive a manual one, so no test waits on time. */
export interface Scheduler {
  now(): number;
  schedule(task: () => unknown, delayMs: number): unknown;
  cancel(handle: unknown): void;
}

// Node runs a timer of more than 2^31 - 1 ms at once (TimeoutOverflowWarning): a delay a client
// can ask for (`@live(throttle:)`) would then skip the wait it was meant to lengthen.
const longestTimerMs = 2 ** 31 - 1;

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  schedule: (task, delayMs) => setTimeout(task, Math.min(delayMs, longestTimerMs)),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};
