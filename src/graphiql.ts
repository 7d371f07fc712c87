import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';
import { rateLimitedResponse } from './errors.js';
import { clientAddressOf } from './security/client-address.js';
import { clientAddress, createRateLimiter, retryAfterSeconds } from './security/rate-limit.js';
import type { ServerContext } from './security/plugin.js';

export type Encoding = 'br' | 'gzip' | 'identity';

const compressors: Record<Exclude<Encoding, 'identity'>, (page: Buffer) => Promise<Buffer>> = {
  // Quality 6 of 11: 9 MB to about 1.9 MB in a quarter of a second; 11 saves another 10 % for 40
  // times the time, paid by the first visitor after every start.
  br: (page) =>
    promisify(brotliCompress)(page, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 6,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: page.length,
      },
    }),
  gzip: (page) => promisify(gzip)(page),
};

/**
 * The encoding to send for an Accept-Encoding header (RFC 9110 12.5.3): br if acceptable, else
 * gzip, else identity; `q=0` refuses one, `*` stands for any not named. Written here because
 * these few lines are all of content negotiation the gateway needs.
 */
export function negotiateEncoding(header: string | null | undefined): Encoding {
  const weights = new Map<string, number>();
  for (const part of (header ?? '').split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    // A q that is not a number refuses rather than accepts.
    const q = params.map((p) => /^\s*q\s*=(.*)$/.exec(p)?.[1]).find((v) => v !== undefined);
    const weight = q === undefined ? 1 : Number(q.trim() || 'x');
    weights.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (encoding: string) => weights.get(encoding) ?? weights.get('*') ?? 0;
  if (weightOf('br') > 0 && weightOf('br') >= weightOf('gzip')) return 'br';
  if (weightOf('gzip') > 0) return 'gzip';
  return 'identity';
}

// As yoga's own GraphiQL plugin matches, on the endpoint's path only.
const wantsPage = (request: Request, url: URL, endpoint: string) =>
  request.method === 'GET' &&
  (request.headers.get('accept') ?? '').includes('text/html') &&
  (url.pathname === endpoint || url.pathname === `${endpoint}/`);

/**
 * GraphiQL's page (9 MB with its assets bundled) on GET `endpoint` asking for HTML, without a
 * credential: rendered once, compressed once per encoding (br or gzip by Accept-Encoding) and kept,
 * and rate-limited per client address, so that neither its size nor its price can be turned into
 * a flood. In place of yoga's own GraphiQL plugin, which can neither compress nor refuse.
 */
export function useGraphiQLPage(options: {
  endpoint: string;
  render: () => Promise<string>;
  /** Page views per client address and minute; 0: no limit. */
  perMinute: number;
}): Plugin<{}, ServerContext> {
  const limiter = createRateLimiter({ perMinute: options.perMinute, burst: Math.max(1, options.perMinute) });
  let page: Promise<Buffer> | undefined;
  const encoded = new Map<Exclude<Encoding, 'identity'>, Promise<Buffer>>();
  // A failure is not kept: the next view tries again.
  const bodyOf = (encoding: Encoding): Promise<Buffer> => {
    page ??= options.render().then(
      (html) => Buffer.from(html),
      (error: unknown) => {
        page = undefined;
        throw error;
      },
    );
    if (encoding === 'identity') return page;
    let body = encoded.get(encoding);
    if (!body) {
      body = page.then(compressors[encoding]).catch((error: unknown) => {
        encoded.delete(encoding);
        throw error;
      });
      encoded.set(encoding, body);
    }
    return body;
  };

  return {
    async onRequest({ request, url, serverContext, endResponse }) {
      if (!wantsPage(request, url, options.endpoint)) return;
      const address = clientAddress(clientAddressOf((serverContext as Partial<ServerContext> | undefined)?.req));
      const allowed = address ? limiter.takeNow(`ip:${address}`) : { ok: true as const };
      if (!allowed.ok) {
        const seconds = retryAfterSeconds(allowed.retryAfterMs);
        const message = `Too many GraphiQL page views from this address: retry in ${seconds} s`;
        return endResponse(rateLimitedResponse(message, seconds));
      }
      const encoding = negotiateEncoding(request.headers.get('accept-encoding'));
      const body = await bodyOf(encoding);
      const headers: Record<string, string> = {
        'content-type': 'text/html; charset=utf-8',
        'content-length': String(body.length),
        vary: 'accept-encoding',
      };
      if (encoding !== 'identity') headers['content-encoding'] = encoding;
      endResponse(new Response(body as unknown as BodyInit, { status: 200, headers }));
    },
  };
}
