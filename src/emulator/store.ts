import type { Clock } from './clock.js';
import { createApps } from './store/app.js';
import { createBuckets } from './store/bucket.js';
import { createJobs } from './store/job.js';
import { emptyState, type EmulatorState } from './store/records.js';
import { createResources } from './store/resource.js';
import { fromSaved, toSaved, type StoreContext } from './store/state.js';
import { createTokens } from './store/token.js';

export interface StoreOptions {
  clock: Clock;
  /** How long a job stays IN_PROGRESS on the emulator's clock. @default 3000 */
  jobDurationMs?: number;
  /** Lifetime of admin tokens (CreateToken). @default 3600 */
  tokenTtlSeconds?: number;
  /** Region reported in amplify-meta outputs. @default 'us-east-1' */
  region?: string;
}

/** Everything the emulator knows, by domain (see ./store/); the routes call the methods named after them. */
export function createStore(options: StoreOptions, initial: EmulatorState = emptyState()) {
  const { clock } = options;
  // Bumped on every change, so the server knows when the state file needs writing.
  let revision = 0;
  const ctx: StoreContext = {
    state: fromSaved(initial),
    clock,
    changed: () => void revision++,
    iso: (ms = clock.now()) => new Date(ms).toISOString(),
  };
  const jobs = createJobs(ctx, options.jobDurationMs ?? 3000);
  const { dropExpiredTokens, ...tokens } = createTokens(ctx, options.tokenTtlSeconds ?? 3600);

  return {
    get revision() {
      return revision;
    },
    snapshot: (): EmulatorState => toSaved(ctx.state, clock.now()),
    replace(next: EmulatorState) {
      ctx.state = fromSaved(next);
      ctx.changed();
    },
    /** Completes every job whose time has come, oldest first, and drops expired tokens. */
    settle() {
      jobs.finishDueJobs();
      dropExpiredTokens();
    },
    ...createApps(ctx, jobs, options.region ?? 'us-east-1'),
    ...createResources(ctx, jobs),
    getJob: jobs.getJob,
    listJobs: jobs.listJobs,
    updateJob: jobs.updateJob,
    ...tokens,
    ...createBuckets(ctx),
  };
}

export type Store = ReturnType<typeof createStore>;
