import { badRequest } from './errors.js';
import { operations, type Operation } from './model.js';

interface Route {
  operation: Operation;
  segments: { literal?: string; label?: string }[];
}

export type Match =
  | { kind: 'operation'; operation: Operation; labels: Record<string, string> }
  | { kind: 'wrongMethod'; allowed: string[] }
  | { kind: 'none' };

const routes: Route[] = operations.map((operation) => ({
  operation,
  segments: operation.uri
    .split('/')
    .slice(1)
    .map((s) => (s.startsWith('{') ? { label: s.slice(1, -1) } : { literal: s })),
}));

/** Finds the operation for a method and path; labels are URI-decoded. */
export function matchRoute(method: string, pathname: string): Match {
  const parts = pathname.split('/').slice(1);
  const candidates = routes.filter(
    (r) => r.segments.length === parts.length && r.segments.every((s, i) => s.label !== undefined || s.literal === parts[i]),
  );
  // A literal segment beats a label, so `/config/update` is never read as an environment name.
  const score = (r: Route) => r.segments.filter((s) => s.literal !== undefined).length;
  candidates.sort((a, b) => score(b) - score(a));
  const route = candidates.find((r) => r.operation.method === method);
  if (!route) {
    return candidates.length > 0
      ? { kind: 'wrongMethod', allowed: [...new Set(candidates.map((r) => r.operation.method))] }
      : { kind: 'none' };
  }
  const labels: Record<string, string> = {};
  route.segments.forEach((s, i) => {
    if (s.label === undefined) return;
    try {
      labels[s.label] = decodeURIComponent(parts[i]);
    } catch {
      throw badRequest(`Path member ${s.label} is not valid URI encoding`);
    }
    if (labels[s.label] === '') throw badRequest(`Missing required member ${s.label}`);
  });
  return { kind: 'operation', operation: route.operation, labels };
}
