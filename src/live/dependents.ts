/** Which live queries depend on which resources (resources.ts), as their latest runs read them. */
export function createDependents<Q>() {
  const byResource = new Map<string, Set<Q>>();
  const ofQuery = new Map<Q, ReadonlySet<string>>();

  return {
    /** `query` now depends on `resources`, and on nothing else (an empty set: it ended). */
    track(query: Q, resources: ReadonlySet<string>) {
      for (const resource of ofQuery.get(query) ?? []) {
        if (resources.has(resource)) continue;
        const set = byResource.get(resource);
        set?.delete(query);
        if (set?.size === 0) byResource.delete(resource);
      }
      for (const resource of resources) {
        let set = byResource.get(resource);
        if (!set) byResource.set(resource, (set = new Set()));
        set.add(query);
      }
      if (resources.size > 0) ofQuery.set(query, resources);
      else ofQuery.delete(query);
    },
    /** Every live query that depends on one of `resources`, once. */
    of(resources: readonly string[]): Set<Q> {
      const found = new Set<Q>();
      for (const resource of resources) for (const query of byResource.get(resource) ?? []) found.add(query);
      return found;
    },
  };
}
