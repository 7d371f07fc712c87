import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AmplifyBackend } from '../src/aws/client.js';
import { UpstreamError } from '../src/aws/errors.js';
import { createEventBus, type JobEvent } from '../src/jobs/events.js';
import { createFanOut, type WatchEvent } from '../src/jobs/fan-out.js';
import { createMemoryLeases, type Leases } from '../src/jobs/lease.js';
import { createLeaseLoop } from '../src/jobs/lease-loop.js';
import { createPoller, diffJobs } from '../src/jobs/poll.js';
import { createJobWatcher } from '../src/jobs/watcher.js';
import { EventQueue } from '../src/jobs/queue.js';
import { environmentKey, watchKey } from '../src/jobs/watch-key.js';
import type { Job } from '../src/loaders.js';
import { createManualScheduler, until } from './helpers.js';

const env = { appId: 'app1', environmentName: 'dev' };
const job = (jobId: string, status = 'IN_PROGRESS', updateTime = 't0'): Job => ({ jobId, status, operation: 'Op', updateTime });

/** Drains what a queue holds now, without waiting. */
async function drain<T>(queue: EventQueue<T>): Promise<T[]> {
  const out: T[] = [];
  queue.push('__end__' as T);
  for (;;) {
    const { value } = await queue.next();
    if (value === '__end__') return out;
    out.push(value as T);
  }
}

describe('watch keys', () => {
  it('name a job watch and an environment watch apart, and the same target the same way', () => {
    expect(watchKey(env)).toBe('env:["app1","dev"]');
    expect(watchKey({ ...env, jobId: 'j1' })).toBe('job:["app1","dev","j1"]');
    expect(environmentKey({ ...env, jobId: 'j1' } as typeof env)).toBe(environmentKey(env));
  });

  it('never give two different targets one key', () => {
    const part = fc.string({ maxLength: 8 });
    fc.assert(
      fc.property(part, part, fc.option(part, { nil: undefined }), part, part, fc.option(part, { nil: undefined }), (a1, e1, j1, a2, e2, j2) => {
        const one = { appId: a1, environmentName: e1, jobId: j1 || undefined };
        const two = { appId: a2, environmentName: e2, jobId: j2 || undefined };
        const same = a1 === a2 && e1 === e2 && one.jobId === two.jobId;
        expect(watchKey(one) === watchKey(two)).toBe(same);
      }),
      { seed: 13, numRuns: 500 },
    );
  });
});

describe('diffJobs', () => {
  it('finds new and changed jobs, skips the same version and jobs without an id, keeps first-seen order', () => {
    const first = diffJobs(undefined, [job('a'), job('b'), { status: 'IN_PROGRESS' }]);
    expect([...first.known.keys()]).toEqual(['a', 'b']);
    expect(first.changed.map((j) => j.jobId)).toEqual(['a', 'b']);

    const second = diffJobs(first.known, [job('c'), job('b', 'COMPLETED', 't1'), job('a')]);
    expect([...second.known.keys()]).toEqual(['a', 'b', 'c']);
    expect(second.changed.map((j) => [j.jobId, j.status])).toEqual([
      ['c', 'IN_PROGRESS'],
      ['b', 'COMPLETED'],
    ]);
    // The last poll is not changed in place.
    expect(first.known.get('b')?.status).toBe('IN_PROGRESS');
  });
});

describe('the fan-out', () => {
  function setup(target: { appId: string; environmentName: string; jobId?: string } = env) {
    const fanOut = createFanOut({ key: watchKey(target), target });
    return { fanOut, key: watchKey(target) };
  }

  it('sends the snapshot once, then changes only, and the current state to who joins late', async () => {
    const { fanOut, key } = setup();
    const early = new EventQueue<WatchEvent>();
    fanOut.join(early);
    fanOut.receive({ kind: 'snapshot', watch: key, jobs: [job('a')] });
    fanOut.receive({ kind: 'snapshot', watch: key, jobs: [job('other')] });
    fanOut.receive({ kind: 'job', job: job('a') });
    fanOut.receive({ kind: 'job', job: job('a', 'COMPLETED', 't1') });
    fanOut.receive({ kind: 'snapshot', watch: 'env:["someone","else"]', jobs: [] });
    expect(await drain(early)).toEqual([
      { kind: 'snapshot', watch: key, jobs: [job('a')] },
      { kind: 'job', job: job('a', 'COMPLETED', 't1') },
    ]);

    const late = new EventQueue<WatchEvent>();
    fanOut.join(late);
    expect(await drain(late)).toEqual([{ kind: 'snapshot', watch: key, jobs: [job('a', 'COMPLETED', 't1')] }]);
  });

  it("keeps a job watch to its job, and gives NOT_FOUND to who joins after it", async () => {
    const target = { ...env, jobId: 'j1' };
    const { fanOut, key } = setup(target);
    const queue = new EventQueue<WatchEvent>();
    fanOut.join(queue);
    fanOut.receive({ kind: 'snapshot', watch: key, jobs: [job('j1'), job('j2')] });
    fanOut.receive({ kind: 'job', job: job('j2', 'COMPLETED', 't1') });
    fanOut.receive({ kind: 'notFound', watch: key, message: 'gone' });
    expect(await drain(queue)).toEqual([
      { kind: 'snapshot', watch: key, jobs: [job('j1')] },
      { kind: 'notFound', watch: key, message: 'gone' },
    ]);
    const late = new EventQueue<WatchEvent>();
    fanOut.join(late);
    expect(await drain(late)).toEqual([{ kind: 'notFound', watch: key, message: 'gone' }]);
    expect(fanOut.leave(queue)).toBe(false);
    expect(fanOut.leave(late)).toBe(true);
  });
});

describe('the poller', () => {
  const polling = { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 2 };

  function setup(target: { appId: string; environmentName: string; jobId?: string }, answers: (() => Job[] | Job | Promise<Job>)[]) {
    const scheduler = createManualScheduler();
    const bus = createEventBus({ prefix: '' });
    const events: JobEvent[] = [];
    bus.listen(environmentKey(target), (event) => events.push(event));
    // Each end as told, with the events published before it: it must come before the job's event.
    const finished: { appId: string; eventsBefore: number }[] = [];
    const calls: string[] = [];
    const aws = {
      call: async (operation: string) => {
        calls.push(operation);
        const answer = answers.shift();
        if (!answer) throw new Error('no more answers');
        const out = await answer();
        return Array.isArray(out) ? { jobs: out } : out;
      },
    } as unknown as AmplifyBackend;
    const poller = createPoller({
      aws,
      bus,
      key: watchKey(target),
      envKey: environmentKey(target),
      target,
      polling,
      scheduler,
      known: () => undefined,
      recentlyStarted: () => false,
      onJobFinished: (appId) => finished.push({ appId, eventsBefore: events.length }),
    });
    return { poller, events, calls, scheduler, finished };
  }

  it('does not poll before it is due', async () => {
    const { poller, calls } = setup(env, [() => [job('a')], () => [job('a')]]);
    expect(await poller.turn(false)).toBe(1000);
    expect(await poller.turn(false)).toBe(1000);
    expect(calls).toHaveLength(1);
  });

  it('polls when due, paced 1000, 1500, 2250, then 1000 again after a change', async () => {
    const { poller, events, scheduler } = setup(env, [() => [job('a')], () => [job('a')], () => [job('a')], () => [job('a', 'COMPLETED', 't1'), job('b')]]);
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const wait = await poller.turn(false);
      waits.push(wait);
      await scheduler.advance(wait);
    }
    expect(waits).toEqual([1000, 1500, 2250, 1000]);
    expect(events).toEqual([
      { kind: 'snapshot', watch: 'env:["app1","dev"]', jobs: [job('a')] },
      { kind: 'job', job: job('a', 'COMPLETED', 't1') },
      { kind: 'job', job: job('b') },
    ]);
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELLED', 'CANCELED', 'ERROR'])('has nothing more to do once its job ends %s', async (status) => {
    const target = { ...env, jobId: 'j1' };
    const { poller, calls, scheduler } = setup(target, [() => job('j1'), () => job('j1', status, 't1')]);
    await scheduler.advance(await poller.turn(false));
    expect(await poller.turn(false)).toBe(1000);
    await scheduler.advance(1000);
    expect(await poller.turn(false)).toBe(Infinity);
    await scheduler.advance(60_000);
    expect(await poller.turn(false)).toBe(Infinity);
    expect(calls).toEqual(['GetBackendJob', 'GetBackendJob']);
  });

  it.each(['COMPLETED', 'FAILED', 'CANCELLED', 'CANCELED', 'SUCCEEDED'])(
    'tells the read cache when a job ends %s, before publishing it, and not while it runs or when first seen done',
    async (status) => {
      const { poller, events, scheduler, finished } = setup(env, [
        () => [job('old', status)],
        () => [job('old', status), job('a', 'RUNNING')],
        () => [job('old', status), job('a', status, 't1')],
      ]);
      for (let i = 0; i < 3; i++) await scheduler.advance(await poller.turn(false));
      expect(finished).toEqual([{ appId: 'app1', eventsBefore: 2 }]);
      expect(events.slice(2)).toEqual([{ kind: 'job', job: job('a', status, 't1') }]);
    },
  );

  it('polls at once when hurried, also when hurried during a poll', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow = async () => {
      await gate;
      return job('j1');
    };
    const { poller, calls } = setup({ ...env, jobId: 'j1' }, [() => job('j1'), () => job('j1'), slow, () => job('j1')]);
    expect(await poller.turn(false)).toBe(1000);
    poller.hurry();
    // Polled at once; nothing changed, so the shortest interval backs off once.
    expect(await poller.turn(false)).toBe(1500);
    expect(calls).toHaveLength(2);

    // Hurried while the read is on its way: what it reads may predate the change, so it is due again at once.
    poller.hurry();
    const during = poller.turn(false);
    poller.hurry();
    release();
    expect(await during).toBeLessThanOrEqual(0);
    expect(calls).toHaveLength(3);
    await poller.turn(false);
    expect(calls).toHaveLength(4);
  });

  it('reports an outage once, after outageAfter failed polls, backing off by 2', async () => {
    const fail = () => {
      throw new UpstreamError('throttled', 'THROTTLED' as never, 'ListBackendJobs', 'ThrottlingException', undefined, 429, 1);
    };
    const { poller, events, scheduler } = setup(env, [fail, fail, fail]);
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const wait = await poller.turn(false);
      waits.push(wait);
      await scheduler.advance(wait);
    }
    expect(waits).toEqual([2000, 4000, 8000]);
    expect(events).toEqual([
      { kind: 'error', watch: 'env:["app1","dev"]', code: 'THROTTLED', message: 'Job status is unavailable: throttled; still retrying' },
    ]);
  });

  it('publishes NOT_FOUND for a job the service does not know, and then nothing more', async () => {
    const notFound = () => {
      throw new UpstreamError('Job j1 not found', 'NOT_FOUND', 'GetBackendJob', 'NotFoundException', undefined, 404, 1);
    };
    const target = { ...env, jobId: 'j1' };
    const { poller, events } = setup(target, [notFound]);
    await poller.turn(false);
    expect(events).toEqual([{ kind: 'notFound', watch: watchKey(target), message: 'Job j1 not found' }]);
    expect(await poller.turn(true)).toBe(Infinity);
  });
});

describe('the lease loop', () => {
  function setup(leases: Leases, renewEveryMs = Infinity) {
    const scheduler = createManualScheduler();
    const turns: string[] = [];
    let untilNext = 1000;
    const loop = createLeaseLoop({
      key: 'job:x',
      leases,
      scheduler,
      renewEveryMs,
      alive: () => true,
      hold: async () => {
        turns.push(`hold@${scheduler.now()}`);
        return untilNext;
      },
      follow: () => turns.push(`follow@${scheduler.now()}`),
    });
    return { loop, scheduler, turns, setUntilNext: (ms: number) => (untilNext = ms) };
  }

  it('works as the holder when it gets the lease, again when its work is due', async () => {
    const { loop, scheduler, turns } = setup(createMemoryLeases(30_000));
    loop.soon();
    await scheduler.advance(2500);
    expect(turns).toEqual(['hold@0', 'hold@1000', 'hold@2000']);
    expect(loop.holdsLease).toBe(true);
  });

  it('renews the lease at least every renewEveryMs, and stops when there is no more work', async () => {
    const { loop, scheduler, turns, setUntilNext } = setup(createMemoryLeases(3000), 1000);
    setUntilNext(Infinity);
    loop.soon();
    await scheduler.advance(2500);
    expect(turns).toEqual(['hold@0', 'hold@1000', 'hold@2000']);

    const alone = setup(createMemoryLeases(3000));
    alone.setUntilNext(Infinity);
    alone.loop.soon();
    await alone.scheduler.advance(60_000);
    expect(alone.turns).toEqual(['hold@0']);
    expect(alone.scheduler.pending()).toBe(0);
  });

  it('follows while another instance holds the lease, trying again every quarter lease, and takes over', async () => {
    let held = true;
    const releases: string[] = [];
    const leases: Leases = {
      ttlMs: 4000,
      acquire: async () => !held,
      release: async (key) => void releases.push(key),
    };
    const { loop, scheduler, turns } = setup(leases);
    loop.soon();
    await scheduler.advance(2500);
    expect(turns).toEqual(['follow@0', 'follow@1000', 'follow@2000']);
    held = false;
    await scheduler.advance(1000);
    expect(turns.at(-1)).toBe('hold@3000');
    await loop.stop({ abandon: true });
    expect(releases).toEqual([]);
    await scheduler.advance(10_000);
    expect(turns.at(-1)).toBe('hold@3000');
  });

  it('runs a turn asked for during a turn right after it, never two at once', async () => {
    let grant: () => void = () => undefined;
    let acquires = 0;
    const leases: Leases = {
      ttlMs: 4000,
      acquire: () => (++acquires === 1 ? new Promise<boolean>((resolve) => (grant = () => resolve(true))) : Promise.resolve(true)),
      release: async () => undefined,
    };
    const { loop, scheduler, turns } = setup(leases);
    loop.soon();
    const first = scheduler.advance(0);
    loop.soon();
    loop.soon();
    expect(acquires).toBe(1);
    grant();
    await first;
    expect(turns).toEqual(['hold@0', 'hold@0']);
    expect(acquires).toBe(2);
  });

  it('releases its lease on stop', async () => {
    const releases: string[] = [];
    const leases: Leases = { ttlMs: 4000, acquire: async () => true, release: async (key) => void releases.push(key) };
    const { loop, scheduler } = setup(leases);
    loop.soon();
    await scheduler.advance(0);
    await loop.stop();
    expect(releases).toEqual(['job:x']);
    expect(loop.holdsLease).toBe(false);
    expect(scheduler.pending()).toBe(0);
  });
});

describe('the watcher', () => {
  async function watching() {
    const scheduler = createManualScheduler();
    const releases: string[] = [];
    const leases: Leases = { ttlMs: 4000, acquire: async () => true, release: async (key) => void releases.push(key) };
    const aws = { call: async () => ({ jobId: 'j1', status: 'IN_PROGRESS' }) } as unknown as AmplifyBackend;
    const watcher = createJobWatcher({
      aws,
      bus: createEventBus({ prefix: '' }),
      leases,
      polling: { minIntervalMs: 1000, maxIntervalMs: 8000, outageAfter: 2 },
      renewEveryMs: 1000,
      scheduler,
    });
    const queue = watcher.subscribeJob({ ...env, jobId: 'j1' });
    await scheduler.advance(0);
    expect(watcher.stats()).toMatchObject({ watches: 1, pollers: 1, subscribers: 1 });
    return { watcher, queue, releases, scheduler };
  }

  it('leaves its leases to expire when stopped with abandon, as a crashed instance would', async () => {
    const { watcher, queue, releases, scheduler } = await watching();
    await watcher.stop({ abandon: true });
    expect(queue.isEnded).toBe(true);
    expect(releases).toEqual([]);
    expect(scheduler.pending()).toBe(0);
  });

  it('releases its leases on a clean stop, and when the last subscriber leaves', async () => {
    const clean = await watching();
    await clean.watcher.stop();
    expect(clean.releases).toEqual(['job:["app1","dev","j1"]']);

    const left = await watching();
    left.queue.end();
    await until(() => left.releases.length === 1, 'the lease to be released');
    expect(left.watcher.stats()).toMatchObject({ watches: 0, pollers: 0 });
    expect(left.scheduler.pending()).toBe(0);
  });
});
