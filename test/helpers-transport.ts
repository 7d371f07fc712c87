import { createClient, validateMessage, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';
import type { Gateway } from '../src/server.js';
import { readEvents, scoped, type GraphQLResponse } from './helpers.js';

/** The transports an operation can take to the gateway. */
export const transports = ['http', 'sse', 'ws'] as const;
export type Transport = (typeof transports)[number];

/**
 * The transports that carry a result in parts (@defer, @stream): HTTP as `multipart/mixed` over a
 * real socket, SSE, graphql-ws (one `next` message a part).
 */
export const incrementalTransports = ['multipart', 'sse', 'ws'] as const;
export type IncrementalTransport = (typeof incrementalTransports)[number];

/**
 * One operation's params as a client sends them. Deliberately loose: tests send what a client may
 * get wrong (no query, variables that are no object, an empty operationName).
 */
export interface Operation {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/**
 * A persisted operation's params: its sha256 hash, as Apollo's automatic persisted queries send it.
 * Over graphql-ws, whose protocol wants a `query` string, clients send `query: ''` beside it.
 */
export const persistedQuery = (sha256Hash: string, rest: Operation = {}): Operation => ({
  ...rest,
  extensions: { persistedQuery: { version: 1, sha256Hash } },
});

export interface TransportOptions {
  /** HTTP headers (HTTP and SSE), and for graphql-ws the upgrade request's. */
  headers?: Record<string, string>;
  /** graphql-ws `connection_init` payload. */
  connectionParams?: Record<string, unknown>;
  /** Stop after this many results (a subscription that goes on); by default, read to the end. */
  take?: number;
  /** Called with each result as it arrives, before the next is read. */
  onResult?: (result: GraphQLResponse) => void;
}

export interface TransportAnswer {
  /** HTTP status; 200 for graphql-ws once its socket is open. */
  status: number;
  /** Every result, in order; a graphql-ws `error` message becomes `{ errors }`. */
  results: GraphQLResponse[];
  /** How a graphql-ws socket was closed by the server, if it was. */
  closed?: { code: number; reason: string };
}

/**
 * Runs one operation over `transport` against a started gateway: HTTP in-process through
 * `yoga.fetch` (a JSON body, or a JSON batch when `operation` is an array), SSE over a real socket
 * (`accept: text/event-stream`), graphql-ws over a real socket with graphql-ws's client, multipart
 * over a real socket (`accept: multipart/mixed`).
 */
export async function runOver(
  transport: Transport | 'multipart',
  gateway: Gateway,
  operation: Operation | Operation[],
  options: TransportOptions = {},
): Promise<TransportAnswer> {
  if (Array.isArray(operation) && transport !== 'http') throw new Error(`a batch goes over HTTP only, not ${transport}`);
  switch (transport) {
    case 'http':
      return overHttp(gateway, operation, options);
    case 'sse':
      return overSse(started(gateway), operation as Operation, options);
    case 'multipart':
      return overMultipart(started(gateway), operation as Operation, options);
    case 'ws':
      return overWs(started(gateway).replace(/^http/, 'ws'), operation as Operation, options);
  }
}

/** The first result of `runOver`, for the common case of one result or one refusal. */
export async function firstOver(
  transport: Transport,
  gateway: Gateway,
  operation: Operation,
  options: TransportOptions = {},
): Promise<GraphQLResponse> {
  const answer = await runOver(transport, gateway, operation, { take: 1, ...options });
  if (answer.results.length === 0) throw new Error(`no result over ${transport}: ${JSON.stringify(answer)}`);
  return answer.results[0];
}

function started(gateway: Gateway) {
  if (!gateway.url) throw new Error('start the gateway (gateway.start(0)) before running operations over a socket');
  return gateway.url;
}

async function parsed(res: Response): Promise<GraphQLResponse[]> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as GraphQLResponse | GraphQLResponse[];
    return Array.isArray(body) ? body : [body];
  } catch {
    throw new Error(`not JSON (${res.status}): ${text.slice(0, 200)}`);
  }
}

async function overHttp(gateway: Gateway, operation: Operation | Operation[], options: TransportOptions) {
  const res = await gateway.yoga.fetch('http://yoga/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...options.headers },
    body: JSON.stringify(operation),
  });
  const results = await parsed(res);
  results.forEach((result) => options.onResult?.(result));
  // A batch answers one array: kept whole as the one result.
  return { status: res.status, results: Array.isArray(operation) ? [results as GraphQLResponse] : results };
}

const overSse = (url: string, operation: Operation, options: TransportOptions) =>
  overStream(url, operation, options, { accept: 'text/event-stream', read: readEvents });

const overMultipart = (url: string, operation: Operation, options: TransportOptions) =>
  overStream(url, operation, options, { accept: 'multipart/mixed', read: readParts });

/** A POST over a real socket whose answer is a stream of results, read with `read` as they come. */
async function overStream(
  url: string,
  operation: Operation,
  options: TransportOptions,
  format: { accept: string; read: (res: Response) => AsyncGenerator<GraphQLResponse> },
): Promise<TransportAnswer> {
  const abort = new AbortController();
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: format.accept, ...options.headers },
    body: JSON.stringify(operation),
    signal: abort.signal,
  });
  // A refusal before any stream starts (401, 413, 415, 429) comes as JSON.
  if (!(res.headers.get('content-type') ?? '').includes(format.accept)) {
    return { status: res.status, results: await parsed(res) };
  }
  const results: GraphQLResponse[] = [];
  // However the reading ends, the stream is let go.
  await using _aborted = scoped(abort, (a) => a.abort());
  for await (const result of format.read(res)) {
    results.push(result);
    options.onResult?.(result);
    if (options.take !== undefined && results.length >= options.take) break;
  }
  return { status: res.status, results };
}

/**
 * The JSON parts of a `multipart/mixed` response, each as soon as the boundary after it has
 * arrived, until the closing boundary.
 */
export async function* readParts(res: Response): AsyncGenerator<GraphQLResponse> {
  const boundary = /boundary="?([^";]+)"?/.exec(res.headers.get('content-type') ?? '')?.[1];
  if (!boundary) throw new Error(`no multipart boundary in ${res.headers.get('content-type')}`);
  const delimiter = `\r\n--${boundary}`;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let start: number;
    let end: number;
    while ((start = buffer.indexOf(delimiter)) >= 0 && (end = buffer.indexOf(delimiter, start + delimiter.length)) >= 0) {
      const part = buffer.slice(start + delimiter.length, end);
      buffer = buffer.slice(end);
      const blank = part.indexOf('\r\n\r\n');
      if (blank < 0) throw new Error(`a multipart part without headers: ${part.slice(0, 200)}`);
      yield JSON.parse(part.slice(blank + 4)) as GraphQLResponse;
    }
    if (buffer.startsWith(`${delimiter}--`)) return;
  }
}

/** Whether graphql-ws's client will send these params (it checks them as the protocol does). */
function clientSends(payload: unknown) {
  try {
    validateMessage({ id: '1', type: 'subscribe', payload });
    return true;
  } catch {
    return false;
  }
}

async function overWs(url: string, operation: Operation, options: TransportOptions): Promise<TransportAnswer> {
  // graphql-ws's client sends only what the protocol allows (a `query` string, `variables` an object, ...).
  const payload = operation;
  if (!clientSends(payload)) return overRawWs(url, operation, options);
  class WithHeaders extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers: options.headers });
    }
  }
  let closed: TransportAnswer['closed'];
  const results: GraphQLResponse[] = [];
  // Disposed (its socket closed) before `closed` is read.
  {
    await using client = scoped(createClient({
      url,
      webSocketImpl: options.headers ? WithHeaders : WebSocket,
      connectionParams: options.connectionParams,
      retryAttempts: 0,
      lazy: true,
      on: {
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          // 1000 is the client's own goodbye after the last operation completes.
          if (code !== 1000) closed = { code, reason };
        },
      },
    }), (c) => c.dispose());
    await new Promise<void>((resolve) => {
      const unsubscribe = client.subscribe(payload as SubscribePayload, {
        next: (result) => {
          results.push(result as GraphQLResponse);
          options.onResult?.(result as GraphQLResponse);
          if (options.take !== undefined && results.length >= options.take) {
            unsubscribe();
            resolve();
          }
        },
        error: (error) => {
          // An `error` message carries GraphQL errors; anything else is the socket closing.
          if (Array.isArray(error)) results.push({ errors: error });
          resolve();
        },
        complete: resolve,
      });
    });
  }
  return { status: closed ? closed.code : 200, results, ...(closed ? { closed } : {}) };
}

/** Params graphql-ws's client refuses to send, sent by hand on a socket of their own. */
async function overRawWs(url: string, operation: Operation, options: TransportOptions): Promise<TransportAnswer> {
  await using raw = scoped(await rawGraphQLWs(url, options.headers), (r) => r.close());
  await raw.init(options.connectionParams);
  raw.send({ id: '1', type: 'subscribe', payload: operation });
  const messages = await raw.finished('1', options.take);
  const results = messages.flatMap((m): GraphQLResponse[] =>
    m.type === 'next' ? [m.payload] : m.type === 'error' ? [{ errors: m.payload }] : [],
  );
  const closed = raw.socket.readyState === WebSocket.CLOSED ? await raw.closed : undefined;
  return { status: closed ? closed.code : 200, results, ...(closed ? { closed } : {}) };
}

/**
 * A graphql-ws connection spoken by hand, for what graphql-ws's client refuses to send: frames of
 * any size and subscribe payloads of any shape. `init` sends `connection_init` and waits for the
 * ack; `messages(id)` lists what came back for an id.
 */
export async function rawGraphQLWs(url: string, headers?: Record<string, string>) {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', { headers });
  const received: Record<string, any>[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('message', (data) => {
    received.push(JSON.parse(String(data)) as Record<string, any>);
    wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      wake();
    }),
  );
  // The server may close before the socket opens (a refused upgrade): that is an answer too.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('open', resolve);
    socket.once('close', resolve);
  });

  /** Resolves when `condition` holds on what was received, or the socket closes. */
  async function until(condition: () => boolean) {
    while (!condition() && socket.readyState !== WebSocket.CLOSED) await new Promise<void>((w) => waiters.push(w));
  }

  return {
    socket,
    received,
    closed,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async init(payload: Record<string, unknown> = {}) {
      socket.send(JSON.stringify({ type: 'connection_init', payload }));
      await until(() => received.some((m) => m.type === 'connection_ack'));
    },
    messages: (id: string) => received.filter((m) => m.id === id),
    /** Waits for an id's `complete` or `error` (or `take` results), and answers its messages. */
    async finished(id: string, take = Infinity) {
      const mine = () => received.filter((m) => m.id === id);
      await until(
        () =>
          mine().some((m) => m.type === 'complete' || m.type === 'error') ||
          mine().filter((m) => m.type === 'next').length >= take,
      );
      return mine();
    },
    until,
    close: () => socket.close(),
  };
}
