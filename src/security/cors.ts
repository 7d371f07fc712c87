import type { CORSOptions } from 'graphql-yoga';

/** Response headers a page's script may read: the id to quote in a report, and how long to wait after a 429. */
export const exposedHeaders = ['x-request-id', 'retry-after'];

/**
 * What is wrong with a CORS_ORIGINS entry, or its normalized form: an origin as browsers send it
 * (`https://app.example.com`, `http://localhost:5173`), a pattern for every subdomain of a host
 * (`https://*.example.com`), or `*` for any origin.
 */
function parseEntry(entry: string): { ok: true; value: string } | { ok: false; problem: string } {
  if (entry === '*') return { ok: true, value: entry };
  const example = 'write scheme://host[:port] as a browser sends it in Origin, e.g. https://app.example.com, or https://*.example.com for its subdomains';
  if (!/^https?:\/\//i.test(entry) || !URL.canParse(entry)) return { ok: false, problem: `"${entry}" is not an http(s) origin: ${example}` };
  const url = new URL(entry);
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    return { ok: false, problem: `"${entry}" is not an origin (it has a path, query or user): ${example}` };
  }
  const host = url.hostname;
  if (host.slice(host.startsWith('*.') ? 2 : 0).includes('*') || host === '*.') {
    return { ok: false, problem: `"${entry}": a * may only stand for the subdomains of a host, as in https://*.example.com` };
  }
  return { ok: true, value: url.origin };
}

/** CORS_ORIGINS's text: a comma-separated list of origins and patterns, normalized as browsers write origins. */
export function parseCorsOrigins(text: string): { ok: true; value: string[] } | { ok: false; problems: string[] } {
  const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 0) return { ok: false, problems: ['CORS_ORIGINS lists no origin: leave it unset, or list origins like https://app.example.com'] };
  const value: string[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const parsed = parseEntry(entry);
    if (parsed.ok) value.push(parsed.value);
    else problems.push(`CORS_ORIGINS entry ${parsed.problem}`);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: [...new Set(value)] };
}

/** Whether an Origin header's value matches one normalized entry. */
function matcher(entry: string): (origin: URL) => boolean {
  if (entry === '*') return () => true;
  const pattern = new URL(entry);
  if (!pattern.hostname.startsWith('*.')) return (origin) => origin.origin === entry;
  const suffix = pattern.hostname.slice(1);
  return (origin) =>
    origin.protocol === pattern.protocol &&
    origin.port === pattern.port &&
    origin.hostname.endsWith(suffix) &&
    origin.hostname.length > suffix.length;
}

/**
 * Which browser origins may call the gateway, over HTTP (yoga's CORS headers) and graphql-ws (the
 * upgrade's Origin): those of `origins` when given; else any origin on an open gateway (nothing to
 * steal), and none on one that asks for a credential.
 */
export function createOriginPolicy(options: { origins?: readonly string[]; open: boolean }) {
  const matchers = options.origins?.map(matcher);
  const allows = (origin: string) => {
    if (!matchers) return options.open;
    // `null` (a sandboxed frame, a file) and anything else that is no origin matches no entry.
    const url = URL.canParse(origin) ? new URL(origin) : undefined;
    return url !== undefined && url.origin === origin.toLowerCase() && matchers.some((matches) => matches(url));
  };
  return {
    allows,
    /**
     * yoga's `cors` option: an allowed origin is reflected (with `Vary: Origin`) as yoga does by
     * default; any other gets no CORS header at all, so its browser refuses the preflight.
     */
    cors(request: Request): CORSOptions {
      const origin = request.headers.get('origin');
      if (origin === null || !allows(origin)) return false;
      // Browsers keep a passed preflight this long (Chromium at most 2 h) instead of sending one per request.
      return { exposedHeaders, maxAge: 600 };
    },
    /** Whether a WebSocket upgrade may go on: a browser always sends Origin, other clients need not. */
    allowsUpgrade: (origin: string | undefined) => origin === undefined || allows(origin),
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;

/** The start banner's line on browsers: which origins may call, and how to allow one where none may. */
export function describeOrigins(options: { origins?: readonly string[]; open: boolean }): string {
  if (options.origins) return `  browsers: pages from ${options.origins.join(', ')} may call (CORS_ORIGINS)`;
  if (options.open) return '  browsers: pages from any origin may call (open gateway; CORS_ORIGINS restricts them)';
  return '  browsers: no page of another origin may call; set CORS_ORIGINS=https://app.example.com (comma-separated, https://*.example.com for subdomains) to allow one';
}
