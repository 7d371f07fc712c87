import type { Job } from '../loaders.js';
import type { JobDurations } from './durations.js';
import { isTerminalStatus, jobState, type WatchedJob } from './lifecycle.js';
import type { Scheduler } from './scheduler.js';
import { parseTime } from './stuck.js';

export interface PollingOptions {
  /** Poll interval right after a change or a mutation. @default 1000 */
  minIntervalMs: number;
  /** Poll interval reached by backing off while nothing changes or polls fail. @default 15000 */
  maxIntervalMs: number;
  /** Consecutive failed polls before subscribers get an error event. @default 5 */
  outageAfter: number;
}

// Polled this long after a job's expected end: the service's clock and this gateway's need not
// agree to the millisecond, and a poll a moment early costs a whole backoff interval.
export const END_MARGIN_MS = 100;

/**
 * When to poll next, in ms from now. With jobs running whose expected end (from a learned duration)
 * is still ahead, right after the first of those ends: never sooner than the minimum interval,
 * never later than the maximum (a job may end early), nor later than the backoff while another
 * running job has no expected end to wait for. Without one (nothing learned, or every expected end
 * passed with the job still running), the backoff.
 */
export function pacedDelay(options: {
  backoffMs: number;
  polling: Pick<PollingOptions, 'minIntervalMs' | 'maxIntervalMs'>;
  now: number;
  /** Expected ends (service clock, ms) of the jobs still running; undefined for one with none known. */
  ends: readonly (number | undefined)[];
}): number {
  const { backoffMs, polling, now, ends } = options;
  const ahead = ends.filter((end): end is number => end !== undefined && end > now);
  if (ahead.length === 0) return backoffMs;
  const planned = Math.max(polling.minIntervalMs, Math.min(...ahead) - now) + END_MARGIN_MS;
  const unplanned = ends.some((end) => end === undefined);
  return Math.min(planned, polling.maxIntervalMs, unplanned ? backoffMs : Infinity);
}

const createdAt = (job: Job) => (job.createTime ? parseTime(job.createTime) : NaN);

/**
 * Jobs a poller saw running and now sees finished teach their operation's duration: createTime
 * to updateTime when the service gives it, else to this poll. Jobs first seen finished (a
 * snapshot of old jobs) teach nothing: when they ended is not known.
 */
function learnDurations(durations: JobDurations, before: ReadonlyMap<string, Job>, changed: readonly Job[], now: number) {
  for (const job of changed) {
    const previous = before.get(job.jobId!);
    if (!previous || isTerminalStatus(previous.status) || jobState(job.status) !== 'COMPLETED') continue;
    const created = createdAt(job);
    const updated = job.updateTime ? parseTime(job.updateTime) : NaN;
    const ended = updated >= created && updated <= now ? updated : now;
    if (!Number.isNaN(created)) durations.record(job.operation, job.jobId, ended - created);
  }
}

/** The expected end of each running job (service clock), undefined for one whose duration is not learned. */
function expectedEnds(durations: JobDurations, jobs: Iterable<WatchedJob>): (number | undefined)[] {
  const ends: (number | undefined)[] = [];
  for (const job of jobs) {
    if (isTerminalStatus(job.status)) continue;
    const expected = durations.expected(job.operation);
    const created = createdAt(job);
    ends.push(expected === undefined || Number.isNaN(created) ? undefined : created + expected);
  }
  return ends;
}

/**
 * When one poller polls next: sooner after a change, backing off while nothing changes (×1.5) or
 * polls fail (×2), and, with `durations`, right after the first expected end of a running job.
 * It also teaches `durations` what the poller sees finish.
 */
export function createPacing(options: {
  polling: PollingOptions;
  scheduler: Scheduler;
  /** The service's clock, the one createTime and updateTime are stamped by. */
  serviceNow: () => number;
  durations?: JobDurations;
}) {
  const { polling, scheduler, durations } = options;
  /** The backoff: the wait after a poll unless a job's expected end comes sooner. */
  let interval = polling.minIntervalMs;
  let dueAt = 0;
  let inFlight = false;
  /** Hurried while a poll was in flight: what it read may be older than the change. */
  let hurriedInFlight = false;

  return {
    isDue: () => scheduler.now() >= dueAt,
    untilDue: () => dueAt - scheduler.now(),
    /** A poll starts; answers the wait after it should it end with neither success nor failure. */
    pollStarted(): number {
      inFlight = true;
      return interval;
    },
    /**
     * A good poll against the one `before` it (none for the first): answers the wait until the
     * next, the backoff or until just after the first expected end of a job still running.
     */
    polled(before: ReadonlyMap<string, Job> | undefined, changed: readonly Job[], polled: ReadonlyMap<string, WatchedJob>): number {
      interval = changed.length > 0 || !before ? polling.minIntervalMs : Math.min(interval * 1.5, polling.maxIntervalMs);
      if (!durations) return interval;
      if (before) learnDurations(durations, before, changed, options.serviceNow());
      return pacedDelay({ backoffMs: interval, polling, now: options.serviceNow(), ends: expectedEnds(durations, polled.values()) });
    },
    /** A failed poll: answers the wait until the next, backed off when `backOff`. */
    failed(backOff: boolean): number {
      if (backOff) interval = Math.min(interval * 2, polling.maxIntervalMs);
      return interval;
    },
    /** The poll started has ended: the next is due `waitMs` from now, or at once when hurried meanwhile. */
    pollEnded(waitMs: number) {
      inFlight = false;
      dueAt = scheduler.now() + waitMs;
      if (hurriedInFlight) {
        hurriedInFlight = false;
        interval = polling.minIntervalMs;
        dueAt = 0;
      }
    },
    /** Something changed: the next poll is due at once, at the shortest interval. */
    hurry() {
      interval = polling.minIntervalMs;
      if (inFlight) hurriedInFlight = true;
      else dueAt = 0;
    },
  };
}

export type Pacing = ReturnType<typeof createPacing>;
