import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { handleErrorFromRequestHandler, sendNodeResponse } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import { createGraphQLError, type GraphQLParams } from 'graphql-yoga';
import type { GraphQLServer } from './graphql-server.js';

/**
 * The common request, `POST /graphql` with a JSON body holding one operation, served beside yoga's
 * fetch layer rather than through it: the body is read into one buffer and parsed once, no
 * AbortController, stream adapter or request-parser chain is built, and the operation goes through
 * yoga's own params pipeline (`getResultForParams`: its onParams hooks, then parse, validate,
 * context and execute on yoga's envelop instance) and its own result processing (the
 * onResultProcess hooks: accept negotiation, the status from the errors). Every plugin's onRequest
 * and onResponse hooks run as yoga's server adapter runs them (access control, rate limits, the
 * HTTP span, CORS), and the answer is sent by the adapter's own `sendNodeResponse`.
 *
 * What is skipped is yoga's parseRequest: its onRequestParse hooks. Each of the gateway's stack
 * does nothing for a request this path takes, which is why it takes only those:
 * - yoga's request parsers pick the JSON parser (`content-type: application/json`);
 * - useUnsupportedMediaType answers only when no parser matched; useQueryStringErrors and
 *   usePreventMutationViaGET act on GET only, useCheckMethodForGraphQL on methods other than GET
 *   and POST;
 * - useBodySizeLimit acts on a Content-Length that is not digits or over the limit, or on a body
 *   without one: those go to yoga;
 * - useNonEmptyBatch, yoga's batching limit and the live queries' batch marker act on batches
 *   (a JSON array): those go to yoga.
 * Anything else goes to yoga as before, its body replayed: a body that is not one JSON object of
 * `query`, `variables` and `operationName` (persisted operations, `extensions`, batches, invalid
 * JSON), a document that may hold a subscription, `@defer`, `@stream` or `@live` (any of those
 * words anywhere in it), an Origin header (CORS), an accept header that names a stream, and
 * requests with a query string. test/fast-path.test.ts checks, request by request over real
 * HTTP, that both ways answer alike; test/fast-path-hooks.test.ts lists the plugins' yoga-level
 * hooks, so that a new one is looked at here.
 */
export function createFastPath(yoga: GraphQLServer, options: { maxBodyBytes: number; endpoint: string }) {
  // yoga's plugin list, in its order: the one its server adapter and its handle take hooks from.
  const plugins = ((yoga as unknown as { plugins: (YogaLevelHooks | false | undefined)[] }).plugins ?? []).filter(
    (p): p is YogaLevelHooks => Boolean(p),
  );
  const onRequestHooks = plugins.flatMap((p) => (p.onRequest ? [p.onRequest.bind(p)] : []));
  const onResponseHooks = plugins.flatMap((p) => (p.onResponse ? [p.onResponse.bind(p)] : []));
  const onResultProcessHooks = plugins.flatMap((p) => (p.onResultProcess ? [p.onResultProcess.bind(p)] : []));
  // Instrumentation wraps yoga's steps (request, parse, operation, result) in ways this path cannot
  // reproduce: with any, every request goes to yoga.
  const usable = !plugins.some((p) => p.instrumentation);
  const errorsOf = yogaErrors(yoga);
  const processResult = resultProcessing(yoga, onResultProcessHooks);

  async function serve(req: IncomingMessage, res: ServerResponse, params: GraphQLParams) {
    const serverContext: ServerContextOf = { req, res, waitUntil: yoga.waitUntil };
    // Without its body: the params are parsed already, and no hook reads it again.
    let request = new yoga.fetchAPI.Request(`http://${req.headers.host}${req.url}`, {
      method: 'POST',
      headers: req.headers as Record<string, string>,
    });
    let response: Response | undefined;
    // What throws is answered as yoga's server adapter answers it (a 500 of its own).
    try {
      const early = await requestHooks(onRequestHooks, { request, serverContext, fetchAPI: yoga.fetchAPI });
      request = early.request;
      response = early.response ?? (await operate(request, params, serverContext));
      for (const onResponse of onResponseHooks) {
        await onResponse({
          request,
          response,
          serverContext,
          setResponse: (next: Response) => void (response = next),
          fetchAPI: yoga.fetchAPI,
        });
      }
    } catch (error) {
      response = handleErrorFromRequestHandler(error, yoga.fetchAPI.Response);
    }
    await sendNodeResponse(response, res, req, true);
  }

  /** What yoga's `handle` does after parsing: the operation, then its result as a response. */
  async function operate(request: Request, params: GraphQLParams, serverContext: ServerContextOf): Promise<Response> {
    let result;
    try {
      result = await yoga.getResultForParams({ params, request }, serverContext);
    } catch (error) {
      // An onParams hook refused the params (their shape, the variables' size), as yoga's handle
      // catches it.
      result = { errors: errorsOf(error) };
    }
    try {
      return await processResult(request, result, serverContext);
    } catch (error) {
      // As yoga's handle catches a result that cannot be processed (serialized).
      return processResult(request, { errors: errorsOf(error) }, serverContext);
    }
  }

  /**
   * Serves `req` when it is the common request; otherwise hands it to yoga (with its body, when
   * this path read it first).
   */
  async function handleRequest(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    if (!usable || !eligible(req, options)) return toYoga(req, res);
    const body = await readBody(req);
    if (!body) return undefined; // the client went away mid-body
    const params = operationOf(body);
    if (!params) {
      // Replayed: a stream yoga reads as the request's body (whatwg-node takes `req.body` as one).
      (req as IncomingMessage & { body?: unknown }).body = Readable.from([body]);
      return toYoga(req, res);
    }
    served.fast++;
    return serve(req, res, params);
  }

  const served = { fast: 0, yoga: 0 };
  const toYoga = (req: IncomingMessage, res: ServerResponse) => {
    served.yoga++;
    return yoga(req, res);
  };

  return {
    handle: handleRequest,
    /** False when a plugin's instrumentation sends every request to yoga. */
    usable,
    /** Requests served here and by yoga since the start. */
    served: () => ({ ...served }),
  };
}

export type FastPath = ReturnType<typeof createFastPath>;

/**
 * The onRequest hooks in order, as whatwg-node's server adapter runs them: one may replace the
 * request, or answer it (the access check's 401 and 429), which ends the round.
 */
async function requestHooks(
  hooks: Hook[],
  payload: { request: Request; serverContext: ServerContextOf; fetchAPI: GraphQLServer['fetchAPI'] },
): Promise<{ request: Request; response?: Response }> {
  let { request } = payload;
  let response: Response | undefined;
  let url: URL | undefined;
  for (const onRequest of hooks) {
    await onRequest({
      ...payload,
      request,
      setRequest: (next: Request) => void (request = next),
      get url() {
        return (url ??= new payload.fetchAPI.URL(request.url, 'http://localhost'));
      },
      endResponse: (next?: Response) => void (response = next),
    });
    if (response) break;
  }
  return { request, response };
}

/**
 * The errors yoga's handle answers for what is thrown at it (handleError in graphql-yoga's
 * error.ts): masked with yoga's own masking, which logs what it masks.
 */
function yogaErrors(yoga: GraphQLServer) {
  const masking = (yoga as unknown as { maskedErrorsOpts: MaskedErrorsOptions | null }).maskedErrorsOpts;
  return function errorsOf(error: unknown): GraphQLError[] {
    if (error !== null && typeof error === 'object' && 'errors' in error && Array.isArray(error.errors)) {
      return [...new Set(error.errors.flatMap(errorsOf))];
    }
    if (isAbortError(error)) return [];
    if (!masking) return [error instanceof GraphQLError ? error : createGraphQLError(String(error))];
    const masked = masking.maskError(error, masking.errorMessage, masking.isDev);
    if (masked !== error) yoga.logger.error(error);
    return [masked instanceof GraphQLError ? masked : createGraphQLError(masked.message, { originalError: masked })];
  };
}

/** yoga's processResult (process-request.ts): the onResultProcess hooks pick a processor, which makes the response. */
function resultProcessing(yoga: GraphQLServer, onResultProcessHooks: Hook[]) {
  return async function processResult(request: Request, result: unknown, serverContext: ServerContextOf): Promise<Response> {
    let processor: ResultProcessor | undefined;
    let mediaType = '*/*';
    const acceptableMediaTypes: string[] = [];
    for (const hook of onResultProcessHooks) {
      await hook({
        request,
        acceptableMediaTypes,
        result,
        setResult: (next: unknown) => void (result = next),
        resultProcessor: processor,
        setResultProcessor(next: ResultProcessor, type: string) {
          processor = next;
          mediaType = type;
        },
        serverContext,
      });
    }
    if (!processor) {
      return new yoga.fetchAPI.Response(null, {
        status: 406,
        statusText: 'Not Acceptable',
        headers: { accept: acceptableMediaTypes.join('; charset=utf-8, ') },
      });
    }
    return processor(result, yoga.fetchAPI, mediaType);
  };
}

interface MaskedErrorsOptions {
  maskError: (error: unknown, message: string, isDev?: boolean) => Error;
  errorMessage: string;
  isDev?: boolean;
}

const isAbortError = (error: unknown) =>
  typeof error === 'object' &&
  error?.constructor?.name === 'DOMException' &&
  ((error as Error).name === 'AbortError' || (error as Error).name === 'TimeoutError');

type ServerContextOf = { req: IncomingMessage; res: ServerResponse; waitUntil: GraphQLServer['waitUntil'] };
type ResultProcessor = (result: unknown, fetchAPI: unknown, mediaType: string) => Response | Promise<Response>;
type Hook = (payload: any) => unknown;
interface YogaLevelHooks {
  onRequest?: Hook;
  onResponse?: Hook;
  onResultProcess?: Hook;
  instrumentation?: unknown;
}

// As yoga's JSON parser matches it (case and all), with no charset but UTF-8's.
const isJsonType = (type: string) => type === 'application/json' || /^application\/json;\s*charset=utf-8$/i.test(type);

/** Whether the request's line and headers are those of the common request this path serves. */
function eligible(req: IncomingMessage, options: { maxBodyBytes: number; endpoint: string }): boolean {
  if (req.method !== 'POST' || req.url !== options.endpoint) return false;
  const h = req.headers;
  // A Host that makes no URL never gets here: the HTTP handler in front (src/http.ts) refuses it.
  if (h.origin !== undefined || h['transfer-encoding'] !== undefined || h.host === undefined) return false;
  const type = h['content-type'];
  if (type === undefined || !isJsonType(type)) return false;
  const length = h['content-length'];
  if (length === undefined || !/^\d{1,15}$/.test(length)) return false;
  const bytes = Number(length);
  if (bytes === 0 || bytes > options.maxBodyBytes) return false;
  const accept = h.accept;
  return accept === undefined || !/event-stream|multipart/i.test(accept);
}

/** The body as one buffer; undefined when the request ends before all of it came. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once('close', () => {
      if (!req.complete) resolve(undefined);
    });
    req.once('error', () => resolve(undefined));
  });
}

const paramNames = new Set(['query', 'variables', 'operationName']);
// A document with any of these words may hold a subscription, @defer, @stream or @live: served by
// yoga. As whole words (GraphQL names are \w+): `deliveryMethod` holds no live query.
const streamedWords = /\b(?:subscription|defer|stream|live)\b/;

/** The body's one operation, when it is the plain kind this path serves. */
function operationOf(body: Buffer): GraphQLParams | undefined {
  const text = body.toString('utf8');
  // A byte that is not UTF-8, or a byte-order mark, decodes as yoga decodes it only through yoga.
  if (text.includes('\uFFFD') || text.charCodeAt(0) === 0xfeff) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  for (const key in parsed) if (!paramNames.has(key)) return undefined;
  const { query } = parsed as { query?: unknown };
  if (typeof query !== 'string' || streamedWords.test(query)) return undefined;
  return parsed as GraphQLParams;
}
