import type { EnvironmentKey } from '../keys.js';

/** What a watch follows: every job of an environment, or one job of it. */
export type WatchTarget = EnvironmentKey & { jobId?: string };

/** An environment's name on the event bus: every watch of it, of its jobs too, hears its events. */
export const environmentKey = (k: EnvironmentKey) => JSON.stringify([k.appId, k.environmentName]);

/**
 * A watch's name: one watch per name and instance, one lease per name cluster-wide. It travels
 * between instances (bus events, Redis lease keys), so every instance must write it the same way.
 */
export const watchKey = (t: WatchTarget) =>
  t.jobId ? `job:${JSON.stringify([t.appId, t.environmentName, t.jobId])}` : `env:${environmentKey(t)}`;
