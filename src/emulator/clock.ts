/**
 * The emulator's notion of time. Jobs complete and tokens expire against it, so tests move time
 * forward with `advance` instead of sleeping; a standalone emulator runs on the wall clock, and
 * `advance` there adds an offset.
 */
export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/**
 * The latest time the clock may show. Past it an ISO date is no longer `YYYY-MM-DD...` (and past
 * 8.64e15 ms there is no Date at all): every call that stamps a time would then fail.
 */
export const LATEST_TIME = Date.parse('9999-12-31T23:59:59.999Z');

/** Why the clock cannot move from `now` by `ms`, or undefined when it can. */
export function advanceProblem(now: number, ms: number): string | undefined {
  if (!Number.isSafeInteger(ms) || ms < 0) return `must be a whole number of milliseconds >= 0, got ${ms}`;
  if (now + ms > LATEST_TIME) return `would move the clock past ${new Date(LATEST_TIME).toISOString()}`;
  return undefined;
}

function checkAdvance(now: number, ms: number) {
  const problem = advanceProblem(now, ms);
  if (problem) throw new RangeError(`cannot advance the clock by ${ms} ms: it ${problem}`);
}

/** A clock that only moves when told to. @default start 2026-01-01T00:00:00Z */
export function createManualClock(start = Date.parse('2026-01-01T00:00:00.000Z')): Clock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      checkAdvance(now, ms);
      now += ms;
    },
  };
}

export function createSystemClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      checkAdvance(Date.now() + offset, ms);
      offset += ms;
    },
  };
}
