import { getDocumentString } from '@envelop/core';
import { getOperationAST, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { createGraphQLError, isAsyncIterable, type Plugin } from 'graphql-yoga';
import { EventQueue } from './jobs/queue.js';

type SubscribeResult = AsyncIterableIterator<ExecutionResult> | ExecutionResult;

interface SharedStream {
  key: string;
  subscribers: Set<EventQueue<ExecutionResult>>;
  /** The latest result with data: the current state, sent first to who joins late. */
  latest: ExecutionResult | undefined;
  /** The very last result, sent to who joins as the stream ends (its final state or NOT_FOUND). */
  last: ExecutionResult | undefined;
  source: Promise<SubscribeResult>;
  /** Subscribers waiting for the source: the stream must not stop under them. */
  joining: number;
  ended: boolean;
}

/**
 * Identical subscriptions share one execution. Subscriptions to the same state stream with the
 * same document and variables get the same results, so the first subscriber's stream runs once
 * and each result goes to every subscriber; one who joins later is sent the latest result first,
 * which is the current state. Per subscriber there is a queue and a socket write; resolvers,
 * upstream reads and execution run once per event however many listen (as Apollo Router's
 * subscription deduplication does).
 *
 * Only fields whose every event replaces the previous one (`stateFields`) can be shared: a late
 * subscriber of a stream of deltas would miss the ones before it. Scopes are decided per subscriber
 * before this plugin runs (it goes after the access check), but which apps a subscriber may see is
 * decided by the resolver, which a joiner does not run: `partition` names what, beyond the
 * operation, the results depend on, and only subscribers alike in it share a stream.
 */
export function useSharedSubscriptions(options: {
  stateFields: ReadonlySet<string>;
  partition: (args: ExecutionArgs) => string;
}) {
  const streams = new Map<string, SharedStream>();

  function open(key: string, subscribe: () => SubscribeResult | Promise<SubscribeResult>): SharedStream {
    // `subscribe` and what follows run on later ticks, by when `stream` is set.
    const source = Promise.resolve()
      .then(subscribe)
      .then((result) => {
        if (isAsyncIterable(result)) void pump(stream, result);
        // Refused or failed before a stream existed: who waits gets the same answer, and the next
        // subscriber tries again.
        else close(stream);
        return result;
      })
      .catch((error: unknown) => {
        close(stream);
        throw error;
      });
    const stream: SharedStream = { key, subscribers: new Set(), latest: undefined, last: undefined, source, joining: 0, ended: false };
    return stream;
  }

  async function pump(stream: SharedStream, source: AsyncIterableIterator<ExecutionResult>) {
    try {
      for await (const result of source) {
        stream.last = result;
        if (result.data) stream.latest = result;
        for (const queue of stream.subscribers) queue.push(result);
        if (stream.ended) break;
      }
    } catch (error) {
      // A stream that breaks is reported to each subscriber, as a failed event would be.
      const failure = { errors: [createGraphQLError('The subscription stream failed', { originalError: error as Error })] };
      stream.last = failure;
      for (const queue of stream.subscribers) queue.push(failure);
    } finally {
      close(stream);
      for (const queue of [...stream.subscribers]) queue.finish();
    }
  }

  function close(stream: SharedStream) {
    stream.ended = true;
    if (streams.get(stream.key) === stream) streams.delete(stream.key);
  }

  async function join(stream: SharedStream): Promise<SubscribeResult> {
    stream.joining++;
    let source: SubscribeResult;
    try {
      source = await stream.source;
    } finally {
      stream.joining--;
    }
    if (!isAsyncIterable(source)) return source;
    const queue = new EventQueue<ExecutionResult>(() => {
      stream.subscribers.delete(queue);
      // The last one out stops the shared stream, and with it the poller behind it; so an ended
      // stream is one whose source finished, and who joins it gets its last result.
      if (stream.subscribers.size === 0 && stream.joining === 0 && !stream.ended) {
        close(stream);
        void source.return?.();
      }
    });
    if (stream.ended) {
      if (stream.last) queue.push(stream.last);
      queue.finish();
      return queue;
    }
    if (stream.latest) queue.push(stream.latest);
    stream.subscribers.add(queue);
    return queue;
  }

  const plugin: Plugin = {
    onSubscribe({ args, subscribeFn, setSubscribeFn }) {
      const key = shareKey(args, options);
      if (key === undefined) return;
      setSubscribeFn((subscribeArgs) => {
        let stream = streams.get(key);
        if (!stream) {
          stream = open(key, () => subscribeFn(subscribeArgs) as SubscribeResult | Promise<SubscribeResult>);
          streams.set(key, stream);
        }
        return join(stream);
      });
    },
  };

  return {
    plugin,
    stats: () => ({
      streams: streams.size,
      subscribers: [...streams.values()].reduce((n, s) => n + s.subscribers.size, 0),
    }),
  };
}

/** What identical subscriptions to a state stream have in common; undefined for any other operation. */
function shareKey(
  args: ExecutionArgs,
  { stateFields, partition }: { stateFields: ReadonlySet<string>; partition: (args: ExecutionArgs) => string },
): string | undefined {
  const operation = getOperationAST(args.document, args.operationName);
  if (operation?.operation !== 'subscription') return undefined;
  const [root, ...more] = operation.selectionSet.selections;
  if (more.length > 0 || root?.kind !== 'Field' || !stateFields.has(root.name.value)) return undefined;
  // The text as parsed (envelop keeps it), so a parse-cache miss still shares.
  const text = getDocumentString(args.document, print);
  return JSON.stringify([partition(args), text, args.operationName ?? null, args.variableValues ?? null]);
}
