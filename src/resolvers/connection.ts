import { badUserInput } from '../errors.js';

// Upstream pages (ListBackendJobs, ListS3Buckets) resume only from page tokens, so an edge's
// cursor names the page it came from and how far into that page it sits.
interface Position {
  t?: string;
  o: number;
  /** The key of the item the cursor follows, found again if newer items have moved it. */
  k?: string;
}

const encodeCursor = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');

/** A cursor as `forwardConnection` wrote it; BAD_USER_INPUT for anything else. */
export function decodeCursor(cursor: string): Position {
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Position;
    if (
      Number.isInteger(p.o) &&
      p.o >= 0 &&
      (p.t === undefined || typeof p.t === 'string') &&
      (p.k === undefined || typeof p.k === 'string')
    ) {
      return p;
    }
  } catch {
    // fall through
  }
  throw invalidCursor(cursor);
}

/** A cursor this gateway did not make: the error quotes its start, not all of what was sent. */
export const invalidCursor = (cursor: string) =>
  badUserInput(`Invalid cursor ${JSON.stringify(cursor.length > 100 ? `${cursor.slice(0, 100)}…` : cursor)}`, 'after');

export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<N> {
  edges: { cursor: string; node: N }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 10;

/**
 * A forward-only Relay connection over an upstream that pages with tokens. `fetchPage(token, want)`
 * gets the page starting at `token`; `want` is how many items of it are needed (a hint for
 * upstreams that take a page size). With `keyOf`, a cursor also names its item, so that paging goes
 * on after it even when newer items have shifted the upstream page since.
 */
export async function forwardConnection<T, N>(
  args: ConnectionArgs,
  fetchPage: (token: string | undefined, want: number) => Promise<{ items: T[]; nextToken?: string }>,
  toNode: (item: T) => N,
  keyOf?: (item: T) => string | undefined,
): Promise<Connection<N>> {
  const first = args.first ?? DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw badUserInput(`first must be from 0 to ${MAX_PAGE}, got ${first}`, 'first');
  }
  let { t: token, o: offset, k: anchor } = args.after ? decodeCursor(args.after) : { t: undefined, o: 0, k: undefined };
  const edges: Connection<N>['edges'] = [];
  let hasNextPage = false;
  while (edges.length < first) {
    const need = first - edges.length;
    // One more than needed tells whether anything follows without another call.
    // Looking for the cursor's item takes the whole page: it may have moved down since.
    const page = await fetchPage(token, anchor && keyOf ? Number.MAX_SAFE_INTEGER : offset + need + 1);
    if (anchor && keyOf) {
      const at = page.items.findIndex((item) => keyOf(item) === anchor);
      if (at >= 0) offset = at + 1;
      anchor = undefined;
    }
    const taken = page.items.slice(offset, offset + need);
    taken.forEach((item, i) =>
      edges.push({ cursor: encodeCursor({ t: token, o: offset + i + 1, k: keyOf?.(item) || undefined }), node: toNode(item) }),
    );
    if (offset + need < page.items.length) {
      hasNextPage = true;
      break;
    }
    if (!page.nextToken) break;
    token = page.nextToken;
    offset = 0;
    if (edges.length >= first) hasNextPage = true;
  }
  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: Boolean(args.after),
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
