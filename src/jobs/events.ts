import { setMaxListeners } from 'node:events';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import type { Redis } from 'ioredis';
import type { Job } from '../loaders.js';

/** What travels between pollers and subscribers, in one process or across instances over Redis. */
export type JobEvent =
  /** A job of the environment is new or changed. */
  | { kind: 'job'; job: Job }
  /** The whole current state a poller (`watch`) knows, for watchers that joined late. */
  | { kind: 'snapshot'; watch: string; jobs: Job[] }
  /** The job a poller (`watch`) watches does not exist. */
  | { kind: 'notFound'; watch: string; message: string }
  /** Polling (`watch`) failed for long enough that subscribers should know. */
  | { kind: 'error'; watch: string; code: string; message: string }
  /** Something changed jobs of the environment (a mutation through a gateway): poll soon. */
  | { kind: 'kick'; jobId?: string }
  /** A watcher without the lease needs the current state (`watch`): its holder sends a snapshot. */
  | { kind: 'sync'; watch: string };

export interface EventBus {
  publish(envKey: string, event: JobEvent): void;
  /** Calls `listener` for every event of the environment; returns the function that stops it. */
  listen(envKey: string, listener: (event: JobEvent) => void): () => void;
}

/**
 * Job events per environment. In memory, a plain EventTarget; with Redis, the same interface over
 * Redis pub/sub (@graphql-yoga/redis-event-target), so every instance's subscribers get every
 * event whichever instance polled it.
 */
export function createEventBus(options: { redis?: { publish: Redis; subscribe: Redis }; prefix: string }): EventBus {
  const target: EventTarget = options.redis
    ? (createRedisEventTarget({
        publishClient: options.redis.publish,
        subscribeClient: options.redis.subscribe,
      }) as unknown as EventTarget)
    : new EventTarget();
  // One listener per watched environment and instance, however many subscribers: no leak warning.
  if (!options.redis) setMaxListeners(Infinity, target);
  const topic = (envKey: string) => `${options.prefix}job:${envKey}`;

  return {
    publish(envKey, event) {
      target.dispatchEvent(new CustomEvent(topic(envKey), { detail: event }));
    },
    listen(envKey, listener) {
      const handler = (event: Event) => listener((event as CustomEvent<JobEvent>).detail);
      target.addEventListener(topic(envKey), handler);
      return () => target.removeEventListener(topic(envKey), handler);
    },
  };
}
