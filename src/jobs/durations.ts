/**
 * How long jobs of each operation typically run, learned from jobs seen to finish, so pollers can
 * poll right after a job's expected end instead of backing off past it. A real deployment does not
 * know how long the service takes (the emulator's EMULATOR_JOB_SECONDS is the emulator's secret).
 * Operation names and job ids come from upstream: everything here is bounded whatever it is fed.
 */
export interface DurationBounds {
  /** Operations remembered; the one least recently seen to finish is forgotten first. */
  maxOperations: number;
  /** Latest durations kept per operation (one per job). */
  samplesPerOperation: number;
  /** Durations are clamped to [minMs, maxMs]: a clock skew or a job days old teaches nothing absurd. */
  minMs: number;
  maxMs: number;
}

export const defaultDurationBounds: DurationBounds = Object.freeze({
  maxOperations: 64,
  samplesPerOperation: 9,
  minMs: 100,
  maxMs: 6 * 3600_000,
});

// Longer names are not operations the service sends: not worth a slot.
const MAX_NAME_LENGTH = 128;
const usable = (name: unknown): name is string => typeof name === 'string' && name.length > 0 && name.length <= MAX_NAME_LENGTH;

export function createJobDurations(bounds: DurationBounds = defaultDurationBounds) {
  /** Per operation, its jobs' durations, oldest first; operations least recently updated first. */
  const byOperation = new Map<string, Map<string, number>>();
  const clamp = (ms: number) => Math.min(bounds.maxMs, Math.max(bounds.minMs, ms));

  return {
    /** A job of `operation` was seen to finish `ms` after it was created. A job counts once (its latest). */
    record(operation: string | undefined, jobId: string | undefined, ms: number) {
      if (!usable(operation) || !usable(jobId) || Number.isNaN(ms)) return;
      const samples = byOperation.get(operation) ?? new Map<string, number>();
      byOperation.delete(operation);
      byOperation.set(operation, samples);
      samples.delete(jobId);
      samples.set(jobId, clamp(ms));
      while (samples.size > bounds.samplesPerOperation) samples.delete(samples.keys().next().value!);
      while (byOperation.size > bounds.maxOperations) byOperation.delete(byOperation.keys().next().value!);
    },
    /**
     * The typical duration of a job of `operation` (the median of what was seen; the median so one
     * job stuck for hours does not move it), or undefined when none was seen to finish.
     */
    expected(operation: string | undefined): number | undefined {
      const samples = usable(operation) ? byOperation.get(operation) : undefined;
      if (!samples?.size) return undefined;
      const sorted = [...samples.values()].sort((a, b) => a - b);
      return sorted[Math.floor(sorted.length / 2)];
    },
    /** How many operations and samples are held: what the bounds bound. */
    size: () => ({
      operations: byOperation.size,
      samples: [...byOperation.values()].reduce((n, s) => n + s.size, 0),
    }),
  };
}

export type JobDurations = ReturnType<typeof createJobDurations>;
