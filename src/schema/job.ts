import type { ArgBuilder, InputFieldMap, InputShapeFromFields } from '@pothos/core';
import type { Context } from '../context.js';
import {
  backendJob,
  subscribeBackendJobs,
  subscribeBackendJob,
  resolveJobUpdate,
  jobField,
  runningForSeconds,
  stuck,
  updateBackendJob,
  type JobUpdate,
} from '../resolvers/job.js';
import { isTerminalState, jobState } from '../jobs/lifecycle.js';
import { environmentOf } from '../keys.js';
import { builder, type Types } from './builder.js';
import { environmentKeyArgs, jobKeyArgs, jobKeyFields } from './key-fields.js';
import { lookupQueryField } from './lookup.js';
import { mutationWithInput } from './mutation.js';
import { keyId, parseKeyId } from './node-id.js';
import { BackendEnvironment, BackendJob } from './refs.js';
import { nonEmpty } from './validation.js';

export const JobStateEnum = builder.enumType('JobState', {
  description: "A job's status, normalised: the service's own status is a free string.",
  values: {
    IN_PROGRESS: { description: 'Still running.' },
    COMPLETED: { description: 'Finished and applied.' },
    FAILED: { description: 'Finished without applying; see `error`.' },
    CANCELLED: { description: 'Ended by a cancellation (status CANCELLED or CANCELED) before it finished.' },
    UNKNOWN: { description: 'A status this gateway does not recognise; see `status`.' },
  } as const,
});

builder.node(BackendJob, {
  description: 'An asynchronous job started by a write operation.',
  id: { resolve: (j) => keyId(j.appId, j.environmentName, j.jobId) },
  loadOne: (id, ctx) => backendJob(parseKeyId(id, ['appId', 'environmentName', 'jobId'] as const), ctx),
  fields: (t) => ({
    appId: t.exposeID('appId'),
    environmentName: t.exposeString('environmentName'),
    jobId: t.exposeID('jobId'),
    operation: t.string({ nullable: true, resolve: (j, _a, ctx) => jobField(j, 'operation', ctx) }),
    status: t.string({
      nullable: true,
      description: 'The status exactly as the service reports it.',
      resolve: (j, _a, ctx) => jobField(j, 'status', ctx),
    }),
    state: t.field({
      type: JobStateEnum,
      resolve: async (j, _a, ctx) => jobState(await jobField(j, 'status', ctx)),
    }),
    isDone: t.boolean({
      description: 'True once the job has COMPLETED, FAILED or been CANCELLED: it changes no more.',
      resolve: async (j, _a, ctx) => isTerminalState(jobState(await jobField(j, 'status', ctx))),
    }),
    createTime: t.string({ nullable: true, resolve: (j, _a, ctx) => jobField(j, 'createTime', ctx) }),
    runningForSeconds: t.int({
      nullable: true,
      description:
        "Whole seconds since createTime, by the gateway's clock when the field is resolved (in a subscription: as " +
        'of the event); null once the job is done.',
      resolve: (j, _a, ctx) => runningForSeconds(j, ctx),
    }),
    stuck: t.boolean({
      description:
        "True while the job has run longer than the gateway's JOB_STUCK_AFTER_SECONDS (default 1800); false once it " +
        'is done. End a stuck job with `updateBackendJob`, setting its status.',
      resolve: (j, _a, ctx) => stuck(j, ctx),
    }),
    updateTime: t.string({ nullable: true, resolve: (j, _a, ctx) => jobField(j, 'updateTime', ctx) }),
    error: t.string({ nullable: true, resolve: (j, _a, ctx) => jobField(j, 'error', ctx) }),
    environment: t.field({ type: BackendEnvironment, resolve: (j) => environmentOf(j) }),
  }),
});

export const BackendJobConnection = builder.connectionObject({ type: BackendJob, name: 'BackendJobConnection' });

lookupQueryField('backendJob', {
  type: BackendJob,
  description: 'A job by its key (GetBackendJob); null when the service does not know it.',
  args: jobKeyArgs,
  resolve: backendJob,
});

mutationWithInput('updateBackendJob', {
  description: "Sets a job's operation or status (UpdateBackendJob).",
  inputFields: (f) => ({
    ...jobKeyFields(f),
    operation: f.string({ validate: nonEmpty }),
    status: f.string({ validate: nonEmpty }),
  }),
  resolve: (input, ctx) => updateBackendJob(input, ctx),
  payload: (p) => ({
    job: p.expose('job', { type: BackendJob }),
    environment: p.expose('environment', { type: BackendEnvironment }),
  }),
});

interface JobSubscriptionOptions<Args extends InputFieldMap> {
  description: string;
  args: (arg: ArgBuilder<Types>) => Args;
  subscribe: (args: InputShapeFromFields<Args>, ctx: Context) => AsyncIterable<JobUpdate>;
}

/** A subscription answering jobs: each update `subscribe` yields is the job as it is now. */
function jobSubscription<Args extends InputFieldMap>(name: string, { description, args, subscribe }: JobSubscriptionOptions<Args>) {
  // As in mutationWithInput: Pothos cannot resolve its conditional types for generic arguments.
  const erasedSubscribe = subscribe as (args: unknown, ctx: Context) => AsyncIterable<JobUpdate>;
  builder.subscriptionField(name, (t) =>
    t.field({
      type: BackendJob,
      description,
      args: args(t.arg),
      subscribe: (_root, keyArgs, ctx) => erasedSubscribe(keyArgs, ctx),
      resolve: (update, _args, ctx) => resolveJobUpdate(update, ctx),
    }),
  );
}

jobSubscription('backendJob', {
  description:
    'A job at once, then on every change of status, operation or updateTime; completes once it is done. ' +
    'Upstream has no push: one shared poller per job, whatever the number of subscribers.',
  args: jobKeyArgs,
  subscribe: subscribeBackendJob,
});

jobSubscription('backendJobs', {
  description:
    'Every new job and every change of a job in an environment, including jobs started outside the gateway; ' +
    'jobs still running are sent at once.',
  args: environmentKeyArgs,
  subscribe: subscribeBackendJobs,
});
