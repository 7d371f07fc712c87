import { afterEach, describe, expect, it, vi } from 'vitest';
import { realScheduler } from '../src/jobs/scheduler.js';

afterEach(() => vi.restoreAllMocks());

describe('the real scheduler', () => {
  it.each([3e9, 1e12, Number.MAX_SAFE_INTEGER])('waits the longest a timer can for %d ms, never runs it at once', (delay) => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const handle = realScheduler.schedule(() => undefined, delay);
    realScheduler.cancel(handle);
    expect(setTimeoutSpy).toHaveBeenCalledWith(expect.any(Function), 2 ** 31 - 1);
  });
});
