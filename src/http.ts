import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { errorBody } from './errors.js';
import { bearerToken, secretMatcher } from './security/access.js';
import { clientAddressOf } from './security/client-address.js';
import type { ExamplePages } from './example-pages.js';
import type { Readiness } from './readiness.js';
import type { RequestMeta } from './security/plugin.js';

export interface HttpOptions {
  /** The GraphQL server (yoga) for everything that is not an operational endpoint. */
  graphql: (req: IncomingMessage, res: ServerResponse) => unknown;
  logger: Logger;
  registry: Registry;
  /** Checks what the gateway needs to serve; `not ready` answers 503. */
  readiness: () => Promise<Readiness>;
  /** When set, /metrics answers only `Authorization: Bearer <metricsToken>`. */
  metricsToken?: string;
  /** The example pages under /examples/, when EXAMPLES=true. */
  examples?: ExamplePages;
}

const validRequestId = /^[\w.:-]{1,128}$/;

/**
 * The node:http layer in front of yoga: a request id on every request and response, `/health`,
 * `/ready` and `/metrics`, one JSON log line per request, and a count of requests in flight so a
 * shutdown can wait for them.
 */
export function createHttpHandler(options: HttpOptions) {
  let inFlight = 0;
  let idle: (() => void) | undefined;
  // The request each piece of work belongs to, for the log lines of failures nobody caught.
  const current = new AsyncLocalStorage<RequestMeta>();

  const send = (res: ServerResponse, status: number, body: string, type = 'application/json', headers = {}) => {
    res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  // Compared like API keys: by hash, in constant time.
  const isMetricsToken = options.metricsToken === undefined ? undefined : secretMatcher(options.metricsToken);
  const mayReadMetrics = (authorization: string | undefined) => {
    if (!isMetricsToken) return true;
    const token = bearerToken(authorization);
    return token !== undefined && isMetricsToken(token);
  };

  async function handle(req: IncomingMessage & { meta?: RequestMeta }, res: ServerResponse) {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && validRequestId.test(given) ? given : randomUUID();
    req.meta = { requestId };
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0];

    if (req.method === 'GET' && path === '/health') return send(res, 200, '{"status":"ok"}');
    if (req.method === 'GET' && path === '/ready') {
      const { status, checks } = await options.readiness();
      return send(res, status === 'not ready' ? 503 : 200, JSON.stringify({ status, checks }));
    }
    if (req.method === 'GET' && path === '/metrics') {
      if (!mayReadMetrics(req.headers.authorization)) {
        const body = '{"errors":[{"message":"/metrics needs Authorization: Bearer <METRICS_TOKEN>","extensions":{"code":"UNAUTHENTICATED"}}]}';
        return send(res, 401, body, 'application/json', { 'www-authenticate': 'Bearer' });
      }
      return send(res, 200, await options.registry.metrics(), options.registry.contentType);
    }
    // Yoga's server adapter makes the request's URL from Host: one that is no host made it answer
    // 500 with a stack trace in plain text.
    const host = req.headers.host;
    if (host !== undefined && !URL.canParse(`http://${host}/`)) {
      return send(res, 400, errorBody(`The Host header ${JSON.stringify(host.slice(0, 100))} is not a host`, 'BAD_REQUEST'));
    }
    const example = req.method === 'GET' && path.startsWith('/examples/') ? options.examples?.answer(req.url ?? path) : undefined;
    if (example) return send(res, example.status, example.body, example.type, example.headers);

    const started = performance.now();
    inFlight++;
    res.once('close', () => {
      inFlight--;
      // Built only when it is written (LOG_LEVEL=warn writes none).
      // The query string is left out: a GET operation carries its variables there.
      if (options.logger.isLevelEnabled('info')) options.logger.info(
        {
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          durationMs: Math.round(performance.now() - started),
          principal: req.meta?.principal,
          address: clientAddressOf(req),
          operationName: req.meta?.operationName,
        },
        'request',
      );
      if (inFlight === 0) idle?.();
    });
    return current.run(req.meta, () => options.graphql(req, res));
  }

  return {
    handler: (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res).catch((error: unknown) => {
        options.logger.error({ err: error }, 'request failed');
        if (!res.headersSent) send(res, 500, '{"errors":[{"message":"Unexpected error."}]}');
        else res.destroy();
      });
    },
    /** The id of the request the calling code runs for, if any. */
    currentRequestId: () => current.getStore()?.requestId,
    get inFlight() {
      return inFlight;
    },
    /** Resolves when no request is in flight, or after `timeoutMs`. */
    drained(timeoutMs: number): Promise<void> {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/**
 * What node:http answers itself, before any handler, to a request it cannot parse (a URL or
 * headers past its 16 KB limit, a body it cannot frame): by default a bare status line with no
 * body. The same answer with a JSON body that says what is wrong, like every other refusal.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex) {
  if (error.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'The request line and headers are too large (the URL included): send a long query or variables in a POST body']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'The request did not arrive in time']
        : [400, `Malformed HTTP request (${error.code ?? 'unparsable'}): check the request line, headers and body framing`];
  const body = errorBody(message, 'BAD_REQUEST');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
