import type { StoreContext } from './state.js';

export function bucketNameFor(resourceName: string, appId: string, environmentName: string) {
  const name = `${resourceName}-${appId}-${environmentName}`.toLowerCase().replace(/[^a-z0-9.-]/g, '');
  return name.slice(0, 63);
}

/** Adds a bucket unless one of that name exists; the caller reports the change. */
export function addBucket({ state, iso }: StoreContext, name: string, at: number) {
  if (!state.buckets.has(name)) state.buckets.set(name, { name, creationDate: iso(at) });
}

export function createBuckets(ctx: StoreContext) {
  return {
    bucketNameFor,
    hasBucket: (name: string) => ctx.state.buckets.has(name),
    /** Buckets sorted by name. */
    listBuckets: () => [...ctx.state.buckets.values()].sort((a, b) => a.name.localeCompare(b.name)),
    addBucket(name: string) {
      addBucket(ctx, name, ctx.clock.now());
      ctx.changed();
    },
  };
}
