import { randomUUID } from 'node:crypto';
import { notFound, pendingJob, ServiceError } from '../errors.js';
import { applyEffect } from './job-effect.js';
import { JOB_COMPLETED, JOB_FAILED, JOB_IN_PROGRESS, type Effect, type JobFailureHook, type JobRecord } from './records.js';
import { findApp, findEnvironment, type StoreContext } from './state.js';

export type Jobs = ReturnType<typeof createJobs>;

/** Jobs start IN_PROGRESS and complete `jobDurationMs` later on the emulator's clock, applying their effect then. */
export function createJobs(ctx: StoreContext, jobDurationMs: number) {
  const jobsOf = (appId: string, environmentName: string) =>
    [...ctx.state.jobs.values()].filter((j) => j.appId === appId && j.environmentNames.includes(environmentName));

  function assertNoPendingJob(appId: string, environmentNames: string[]) {
    const busy = [...ctx.state.jobs.values()].some(
      (j) => j.appId === appId && j.status === JOB_IN_PROGRESS && j.environmentNames.some((e) => environmentNames.includes(e)),
    );
    if (busy) throw pendingJob();
  }

  function startJob(appId: string, environmentNames: string[], operation: string, effect: Effect | undefined, fail?: JobFailureHook) {
    assertNoPendingJob(appId, environmentNames);
    const now = ctx.clock.now();
    const failWith = fail?.({ operation, appId, environmentNames, effect });
    const job: JobRecord = {
      jobId: randomUUID(),
      appId,
      environmentNames,
      operation,
      status: JOB_IN_PROGRESS,
      createTime: ctx.iso(now),
      updateTime: ctx.iso(now),
      completesAt: now + jobDurationMs,
      ...(failWith ? { failWith } : {}),
      effect,
    };
    ctx.state.jobs.set(job.jobId, job);
    ctx.changed();
    return job;
  }

  function finishJob(job: JobRecord, at: number, status: string) {
    job.updateTime = ctx.iso(at);
    if (status === JOB_COMPLETED && job.failWith) {
      job.status = JOB_FAILED;
      job.error = job.failWith;
    } else if (status === JOB_COMPLETED && job.effect) {
      try {
        applyEffect(ctx, job.effect, at);
        job.status = JOB_COMPLETED;
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        job.status = JOB_FAILED;
        job.error = error.message;
      }
    } else {
      job.status = status;
    }
    delete job.effect;
    delete job.failWith;
    ctx.changed();
  }

  return {
    assertNoPendingJob,
    startJob,

    /** Completes every job whose time has come, oldest first. */
    finishDueJobs() {
      const now = ctx.clock.now();
      const due = [...ctx.state.jobs.values()]
        .filter((j) => j.status === JOB_IN_PROGRESS && j.completesAt <= now)
        .sort((a, b) => a.completesAt - b.completesAt);
      for (const job of due) finishJob(job, job.completesAt, JOB_COMPLETED);
    },

    getJob(appId: string, environmentName: string, jobId: string) {
      const job = ctx.state.jobs.get(jobId);
      if (!job || job.appId !== appId || !job.environmentNames.includes(environmentName)) {
        // From the outside in, as every other operation answers: an unknown app is named first.
        findApp(ctx, appId);
        throw notFound('job', `Job ${jobId} not found in app ${appId}, environment ${environmentName}`);
      }
      return job;
    },

    /** Jobs of an environment, newest first. */
    listJobs(appId: string, environmentName: string) {
      const jobs = jobsOf(appId, environmentName);
      // An environment that never existed and never had a job is unknown; a deleted one keeps its history.
      if (jobs.length === 0) findEnvironment(ctx, appId, environmentName);
      return jobs.reverse();
    },

    updateJob(job: JobRecord, changes: { operation?: string; status?: string }) {
      if (changes.operation !== undefined) job.operation = changes.operation;
      if (changes.status !== undefined && changes.status !== job.status) {
        if (job.status === JOB_IN_PROGRESS) {
          finishJob(job, ctx.clock.now(), changes.status);
        } else {
          job.status = changes.status;
          if (changes.status === JOB_IN_PROGRESS) job.completesAt = ctx.clock.now() + jobDurationMs;
        }
      }
      job.updateTime = ctx.iso();
      ctx.changed();
      return job;
    },
  };
}
