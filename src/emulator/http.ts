import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ServiceError } from './errors.js';
import { isObject } from './validate.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * Deeper bodies are refused before anything walks them. No modelled body is deeper than 7 levels;
 * 100,000 levels fit in 1 MiB, and cloning or serializing those overflows the stack.
 */
export const MAX_JSON_DEPTH = 64;

export type Handler = (req: IncomingMessage, res: ServerResponse, requestId: string) => Promise<void>;

/** Listens until `close`, answering every request through `handle` and every failure as the service would. */
export async function serveHttp(handle: Handler, port: number, host: string) {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const requestId = randomUUID();
    handle(req, res, requestId).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      if (error instanceof ServiceError) return sendError(res, requestId, error);
      // Anything else is a bug in the emulator: answer as the service would, never crash.
      console.error('emulator: unexpected error', error);
      sendError(res, requestId, new ServiceError('InternalServiceException', 500, 'Internal error in the emulator'));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  // CreateToken and the other body-less POSTs send nothing at all, with no content-type.
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ServiceError('BadRequestException', 400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw new ServiceError('BadRequestException', 400, 'Request body must be a JSON object');
  if (nestedDeeperThan(parsed, MAX_JSON_DEPTH)) {
    throw new ServiceError('BadRequestException', 400, `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return parsed;
}

// Iterative, so the check itself cannot overflow the stack it protects.
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [next, depth] = pending.pop()!;
    if (typeof next !== 'object' || next === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(next)) pending.push([child, depth + 1]);
  }
  return false;
}

const tooLarge = () =>
  new ServiceError('RequestEntityTooLargeException', 413, `Request body is larger than ${MAX_BODY_BYTES} bytes`);

export function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string) {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-RequestId': requestId,
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, requestId: string, error: ServiceError) {
  res.setHeader('x-amzn-ErrorType', error.errorType);
  // After a 413 the rest of an oversized body is not read; closing is the only clean way out.
  if (error.status === 413) res.setHeader('connection', 'close');
  sendJson(res, error.status, error.body(), requestId);
}
