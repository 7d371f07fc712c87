import type { Job } from '../loaders.js';
// The one import of "is this status terminal" in the stuck-job code.
import { isTerminalState, isTerminalStatus, jobState, type WatchedJob } from './lifecycle.js';

/** What "stuck" is measured against: the gateway's now, and the threshold (JOB_STUCK_AFTER_SECONDS). */
export interface JobTiming {
  /** Milliseconds since the epoch, on the same clock the service stamps createTime with. */
  now: () => number;
  stuckAfterSeconds: number;
}

const MAX_INT = 2 ** 31 - 1;

type Timed = { [K in 'status' | 'createTime']?: Job[K] | null };

/**
 * Whole seconds from the job's createTime to now; null once the job is done, or when its
 * createTime is missing or no date. A createTime ahead of now (clock skew) counts as 0.
 */
export function runningForSeconds(job: Timed, now: number): number | null {
  if (isTerminalState(jobState(job.status))) return null;
  const created = job.createTime ? parseTime(job.createTime) : NaN;
  if (Number.isNaN(created)) return null;
  // Clamped to GraphQL's Int: a createTime decades old is a stuck job, not an error.
  return Math.min(MAX_INT, Math.max(0, Math.floor((now - created) / 1000)));
}

/**
 * The service documents createTime only as "the time when the job was created", a string: an ISO
 * date as the emulator sends, or epoch seconds or milliseconds in digits, are all read.
 */
export function parseTime(text: string): number {
  if (!/^\d{1,16}$/.test(text)) return Date.parse(text);
  const n = Number(text);
  return text.length <= 11 ? n * 1000 : n;
}

/** Running for longer than the threshold; never true of a done job. */
export function isStuck(job: Timed, timing: JobTiming): boolean {
  const running = runningForSeconds(job, timing.now());
  return running !== null && running > timing.stuckAfterSeconds;
}

export const countStuck = (jobs: Iterable<Timed>, timing: JobTiming) =>
  [...jobs].filter((job) => isStuck(job, timing)).length;

/**
 * The job as a poller publishes it: marked `stuck` when it is, unmarked otherwise. A running job
 * its last poll marked stays marked, so that another instance taking the lease over with a clock a
 * little behind does not send it back as unstuck.
 */
export function markStuck(job: Job, timing: JobTiming, before?: WatchedJob): WatchedJob {
  const { stuck: _, ...read } = job as WatchedJob;
  const stuck = isStuck(read, timing) || (before?.stuck === true && !isTerminalStatus(read.status));
  return stuck ? { ...read, stuck: true } : read;
}
