// File paths made from upstream resource names. A name may be anything (`..`, `a/b`, empty, a lone
// surrogate): the path segment keeps letters, digits, `_` and `-` only, so every path stays under
// `amplify/`, and names that collide after that are told apart by a counter.

const MAX_SEGMENT = 64;

export function pathSegment(name: string, fallback: string): string {
  const kept = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_SEGMENT);
  return /[A-Za-z0-9]/.test(kept) ? kept : fallback;
}

/** One distinct path segment per name, in order. */
export function pathSegments(names: readonly string[], fallback: string): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    const base = pathSegment(name, fallback);
    let segment = base;
    for (let n = 2; used.has(segment.toLowerCase()); n++) segment = `${base}-${n}`;
    // Case-insensitive: the files may be written to a case-insensitive disk.
    used.add(segment.toLowerCase());
    return segment;
  });
}
