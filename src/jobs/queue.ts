/**
 * An unbounded push queue read as an async iterator: pollers push, one subscriber reads. Ending it
 * (from either side) finishes the iteration, which is how a subscription completes.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;
  private finishing = false;
  private onEnd: (() => void) | undefined;

  constructor(onEnd?: () => void) {
    this.onEnd = onEnd;
  }

  push(item: T) {
    if (this.ended || this.finishing) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  end() {
    if (this.ended) return;
    this.ended = true;
    this.items.length = 0;
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
  }

  /** No more items: the reader gets what is queued, then the end. */
  finish() {
    if (this.ended) return;
    if (this.items.length === 0) this.end();
    else this.finishing = true;
  }

  get isEnded() {
    return this.ended;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      if (this.finishing && this.items.length === 0) this.end();
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
