import { badRequest } from './errors.js';
import { operations, type Operation } from './wire-model.js';
import { segmentProblem } from './validate.js';

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

/** The path of a request target as sent: no dot-segment resolution, no decoding, no query. */
export function rawPath(target: string): string {
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/**
 * Finds the operation for a method and a raw path, as the service's router does: segment by
 * segment as sent. Nothing resolves `.` or `..` (WHATWG URL parsing would, also for `%2e%2e` and
 * `\`), so `/backend/a/job/../remove` is UpdateBackendJob with the environment `..`, which is then
 * refused, and never RemoveAllBackends. Literal segments match only as sent; labels are
 * percent-decoded as UTF-8.
 */
export function matchRoute(method: string, path: string): Match {
  // An absolute-form target (`http://host/...`) or `*` names no operation.
  if (!path.startsWith('/')) return { kind: 'none' };
  const parts = path.split('/').slice(1);
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
  // Keys are label names from the model, never the client's strings.
  const labels: Record<string, string> = {};
  route.segments.forEach((s, i) => {
    if (s.label === undefined) return;
    labels[s.label] = decodeLabel(s.label, parts[i]);
  });
  return { kind: 'operation', operation: route.operation, labels };
}

function decodeLabel(name: string, raw: string): string {
  let value: string;
  try {
    // Node's parser lets only printable ASCII into a request target, so this is all the decoding there is.
    value = decodeURIComponent(raw);
  } catch {
    throw badRequest(`Path member ${name} is not valid percent-encoded UTF-8`);
  }
  if (value === '') throw badRequest(`Missing required member ${name}`);
  const problem = segmentProblem(value);
  if (problem) throw badRequest(`Path member ${name} ${problem}`);
  return value;
}
