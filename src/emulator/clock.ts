/**
 * The emulator's notion of time. Jobs complete and tokens expire against it, so tests move time
 * forward with `advance` instead of sleeping; a standalone emulator runs on the wall clock, and
 * `advance` there adds an offset.
 */
export interface Clock {
  now(): number;
  advance(ms: number): void;
}

/** A clock that only moves when told to. @default start 2026-01-01T00:00:00Z */
export function createManualClock(start = Date.parse('2026-01-01T00:00:00.000Z')): Clock {
  let now = start;
  return {
    now: () => now,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      now += ms;
    },
  };
}

export function createSystemClock(): Clock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      if (!(ms >= 0)) throw new RangeError(`cannot advance the clock by ${ms} ms`);
      offset += ms;
    },
  };
}
