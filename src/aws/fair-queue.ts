/** Why a call was not let into the queue: its client's own cap, or the queue as a whole. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(
    readonly scope: 'client' | 'all',
    readonly limit: number,
  ) {
    super(scope === 'client' ? `this client already has ${limit} calls waiting` : `${limit} calls are waiting`);
  }
}

export interface FairQueueOptions {
  /** Calls running at once. */
  concurrency: number;
  /** Calls waiting, all clients together. */
  maxWaiting: number;
  /** Calls waiting for one client. */
  maxWaitingPerClient: number;
}

interface Waiting {
  start(): void;
  refuse(error: Error): void;
  /** The clients whose queues hold it; empty once it started or was refused. */
  clients: string[];
  settled: boolean;
}

/**
 * A concurrency limit whose waiting calls are queued per client and served round-robin, one call
 * per client per turn: a client with a thousand calls waiting delays another client's call by
 * at most one of its own, and cannot fill the queue for everybody. When the queue as a whole is
 * full, a newcomer displaces the newest call of the client with the most waiting, so the clients
 * that wait least are the last to be refused.
 *
 * p-limit and p-queue keep one FIFO (p-queue's priorities are not per-client turns), and
 * Bottleneck's groups give each key a limiter of its own rather than fair turns within one
 * limit: hence this small queue.
 */
export function createFairQueue(options: FairQueueOptions) {
  let active = 0;
  let waiting = 0;
  // Clients with calls waiting, in the order of their next turn; a client served goes to the back.
  const queues = new Map<string, Waiting[]>();

  function withdraw(item: Waiting, from: readonly string[] = item.clients) {
    for (const client of from) {
      const queue = queues.get(client);
      if (!queue) continue;
      const at = queue.indexOf(item);
      if (at >= 0) queue.splice(at, 1);
      if (queue.length === 0) queues.delete(client);
    }
    item.clients = item.clients.filter((c) => !from.includes(c));
  }

  function serveNext() {
    while (active < options.concurrency && queues.size > 0) {
      const [client, queue] = queues.entries().next().value as [string, Waiting[]];
      const item = queue[0];
      withdraw(item);
      if (queues.has(client)) {
        queues.delete(client);
        queues.set(client, queue);
      }
      waiting--;
      item.settled = true;
      item.start();
    }
  }

  async function execute<T>(task: () => Promise<T>): Promise<T> {
    active++;
    try {
      return await task();
    } finally {
      active--;
      serveNext();
    }
  }

  function longestQueue(): [string, Waiting[]] | undefined {
    let longest: [string, Waiting[]] | undefined;
    for (const entry of queues) if (!longest || entry[1].length > longest[1].length) longest = entry;
    return longest;
  }

  function enqueue(client: string, item: Waiting) {
    const queue = queues.get(client) ?? [];
    queue.push(item);
    item.clients.push(client);
    if (!queues.has(client)) queues.set(client, queue);
  }

  /** Makes room for one more call of `client`, or says why there is none. */
  function admit(client: string): QueueFullError | undefined {
    const own = queues.get(client)?.length ?? 0;
    if (own >= options.maxWaitingPerClient) return new QueueFullError('client', options.maxWaitingPerClient);
    while (waiting >= options.maxWaiting) {
      const longest = longestQueue();
      if (!longest || longest[1].length <= own) return new QueueFullError('all', options.maxWaiting);
      const [victimClient, victimQueue] = longest;
      const victim = victimQueue[victimQueue.length - 1];
      withdraw(victim, [victimClient]);
      // A call other clients also wait for stays in their queues.
      if (victim.clients.length === 0) {
        waiting--;
        victim.settled = true;
        victim.refuse(new QueueFullError('all', options.maxWaiting));
      }
    }
    return undefined;
  }

  return {
    /**
     * Runs `task` for `client` now if a slot is free, else at the client's turn. `onWaiting` is
     * told, when the call has to wait, how to let another client's turn start it too (a read
     * several clients share): it then waits in both queues and starts at whichever turn is first.
     */
    run<T>(client: string, task: () => Promise<T>, onWaiting?: (alsoFor: (client: string) => void) => void): Promise<T> {
      // Nothing waits while a slot is free: serveNext fills every slot it can.
      if (active < options.concurrency) return execute(task);
      return new Promise<T>((resolve, reject) => {
        const refusal = admit(client);
        if (refusal) return reject(refusal);
        const item: Waiting = {
          start: () => void execute(task).then(resolve, reject),
          refuse: reject,
          clients: [],
          settled: false,
        };
        enqueue(client, item);
        waiting++;
        onWaiting?.((other) => {
          if (item.settled || item.clients.includes(other)) return;
          // Over its own cap, the other client still gets the answer; it only does not add a turn.
          if ((queues.get(other)?.length ?? 0) >= options.maxWaitingPerClient) return;
          enqueue(other, item);
        });
      });
    },
    active: () => active,
    waiting: () => waiting,
    /** Calls waiting per client (a call shared by several counts for each). */
    waitingByClient: () => new Map([...queues].map(([client, queue]) => [client, queue.length])),
  };
}

export type FairQueue = ReturnType<typeof createFairQueue>;
