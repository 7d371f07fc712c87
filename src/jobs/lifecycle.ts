import type { Job } from '../loaders.js';

/**
 * The one place that says what a job's status means. The service's status is a free string; the
 * graph's `state` and `isDone`, the pollers deciding to stop, the subscriptions deciding to
 * complete and the read cache forgetting an app all ask here, so they cannot disagree.
 */
export type JobState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'UNKNOWN';

/** Every status the service is known to send, and the state each one means. */
export const knownStatuses: Readonly<Record<string, JobState>> = Object.freeze({
  IN_PROGRESS: 'IN_PROGRESS',
  PENDING: 'IN_PROGRESS',
  STARTED: 'IN_PROGRESS',
  RUNNING: 'IN_PROGRESS',
  COMPLETED: 'COMPLETED',
  COMPLETE: 'COMPLETED',
  SUCCEEDED: 'COMPLETED',
  SUCCESS: 'COMPLETED',
  FAILED: 'FAILED',
  FAILURE: 'FAILED',
  ERROR: 'FAILED',
  CANCELLED: 'CANCELLED',
  CANCELED: 'CANCELLED',
});

const terminalStates: ReadonlySet<JobState> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** A status as sent, in any case, to its state; UNKNOWN for one this gateway does not recognise. */
export function jobState(status: string | undefined | null): JobState {
  const key = typeof status === 'string' ? status.toUpperCase() : undefined;
  return key !== undefined && Object.hasOwn(knownStatuses, key) ? knownStatuses[key] : 'UNKNOWN';
}

/**
 * Whether a job in this state will change no more. UNKNOWN is not terminal: a status this gateway
 * does not know may still move on, so its pollers keep watching.
 */
export const isTerminalState = (state: JobState) => terminalStates.has(state);

export const isTerminalStatus = (status: string | undefined | null) => isTerminalState(jobState(status));

/**
 * A job as the pollers publish it. `stuck` is the lease holder's poller's judgement (it knows the
 * time and JOB_STUCK_AFTER_SECONDS; see markStuck in stuck.ts), carried with the job in its events
 * so that every instance, and every stage after the poll, sees the same answer.
 */
export type WatchedJob = Job & { stuck?: true };

/**
 * Two reads of a job with the same version show the same job: what change detection compares, in
 * the poll diff, the fan-out and the subscriptions alike. The stuck mark is part of it: a job that
 * turns stuck is a change, sent once more to its subscribers.
 */
export const jobVersion = (job: WatchedJob) =>
  [job.status, job.operation, job.updateTime, job.error, job.stuck ? 'stuck' : ''].join('\u0000');
