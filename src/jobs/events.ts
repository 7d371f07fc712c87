import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JobKey } from '../keys.js';
import type { RedisOutage } from '../redis.js';
import type { WatchedJob } from './lifecycle.js';

/** What travels between pollers and subscribers, in one process or across instances over Redis. */
export type JobEvent =
  /** A job of the environment is new or changed (or newly stuck: see jobVersion). */
  | { kind: 'job'; job: WatchedJob }
  /** The whole current state a poller (`watch`) knows, for watchers that joined late. */
  | { kind: 'snapshot'; watch: string; jobs: WatchedJob[] }
  /** The job a poller (`watch`) watches does not exist. */
  | { kind: 'notFound'; watch: string; message: string }
  /** Polling (`watch`) failed for long enough that subscribers should know. */
  | { kind: 'error'; watch: string; code: string; message: string }
  /** Something changed jobs of the environment (a mutation through a gateway): poll soon. */
  | { kind: 'kick'; jobId?: string }
  /** A watcher without the lease needs the current state (`watch`): its holder sends a snapshot. */
  | { kind: 'sync'; watch: string }
  /**
   * A write through a gateway changed what live queries read of `appId` (src/live/resources.ts),
   * and changes it again when `job`, the job it started, ends.
   */
  | { kind: 'invalidate'; appId: string; resources: string[]; job?: JobKey };

export interface EventBus {
  publish(envKey: string, event: JobEvent): void;
  /** Calls `listener` for every event of the environment; returns the function that stops it. */
  listen(envKey: string, listener: (event: JobEvent) => void): () => void;
}

/**
 * Job events per environment. Every event reaches this instance's listeners at once, in memory;
 * with Redis it also goes out over pub/sub, so every instance's subscribers get every event
 * whichever instance polled it.
 *
 * Not @graphql-yoga/redis-event-target: it publishes and subscribes without handling the command's
 * promise (a Redis outage ends the process with an unhandled rejection) and delivers an instance's
 * own events only after a Redis round trip (none while Redis is away). Here an instance's own
 * events come back from Redis marked with its id and are dropped, not delivered twice; while Redis
 * is away nothing is sent, and the channels are subscribed again once it is back.
 */
export function createEventBus(options: {
  redis?: { publish: Redis; subscribe: Redis; outage: RedisOutage };
  prefix: string;
}): EventBus {
  const listeners = new Map<string, Set<(event: JobEvent) => void>>();
  const topic = (envKey: string) => `${options.prefix}job:${envKey}`;
  const redis = options.redis && overRedis(options.redis, listeners);

  function deliver(channel: string, event: JobEvent) {
    const set = listeners.get(channel);
    if (set) for (const listener of [...set]) listener(event);
  }

  return {
    publish(envKey, event) {
      deliver(topic(envKey), event);
      redis?.publish(topic(envKey), event);
    },
    listen(envKey, listener) {
      const channel = topic(envKey);
      let set = listeners.get(channel);
      if (!set) {
        listeners.set(channel, (set = new Set()));
        redis?.subscribe([channel]);
      }
      set.add(listener);
      return () => {
        if (!set.delete(listener) || set.size > 0 || listeners.get(channel) !== set) return;
        listeners.delete(channel);
        redis?.unsubscribe(channel);
      };
    },
  };

  /** The Redis half: other instances' events in, this instance's out; no command's failure unhandled. */
  function overRedis(clients: NonNullable<typeof options.redis>, channels: Map<string, unknown>) {
    const { publish, subscribe, outage } = clients;
    const origin = randomUUID();
    subscribe.on('message', (channel: string, message: string) => {
      let parsed: { origin?: unknown; event?: JobEvent } | null;
      try {
        parsed = JSON.parse(message);
      } catch {
        return; // Not ours: another program on the same channel.
      }
      if (parsed?.origin === origin || typeof parsed?.event?.kind !== 'string') return;
      deliver(channel, parsed.event);
    });
    const subscribeTo = (names: string[]) => {
      if (names.length > 0 && subscribe.status === 'ready') subscribe.subscribe(...names).catch(outage.failed);
    };
    // A reconnected client has no subscriptions: ours are made again, with their failures handled.
    subscribe.on('ready', () => subscribeTo([...channels.keys()]));
    return {
      subscribe: subscribeTo,
      unsubscribe(channel: string) {
        if (subscribe.status === 'ready') subscribe.unsubscribe(channel).catch(outage.failed);
      },
      publish(channel: string, event: JobEvent) {
        // While Redis is away, nothing is sent: other instances poll for themselves meanwhile, and
        // events held back until it answers again would reach them late, after newer ones.
        if (publish.status !== 'ready' || outage.down) return;
        publish.publish(channel, JSON.stringify({ origin, event })).then(outage.succeeded, outage.failed);
      },
    };
  }
}
