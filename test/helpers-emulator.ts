import { request } from 'node:http';
import type { AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Emulator, EmulatorOptions } from '../src/emulator/server.js';
import type { Member, Operation, Shape } from '../src/emulator/wire-model.js';
import { sdkClient, startTestEmulator } from './helpers.js';

/** A test emulator that stops when its `await using` scope ends. */
export async function usingEmulator(options: EmulatorOptions = {}) {
  const emulator = await startTestEmulator(options);
  return Object.assign(emulator, { [Symbol.asyncDispose]: () => emulator.stop() });
}

/**
 * An emulator and the real SDK client on it, for the enclosing file or describe: started before
 * its tests (`each`: before each test), handed to `assign`, stopped after them.
 */
export function useEmulatorClient(
  assign: (emulator: Emulator, client: AmplifyBackendClient) => void | Promise<void>,
  options: EmulatorOptions & { each?: boolean } = {},
) {
  const { each, ...emulatorOptions } = options;
  let started: { emulator: Emulator; client: AmplifyBackendClient } | undefined;
  (each ? beforeEach : beforeAll)(async () => {
    const emulator = await startTestEmulator(emulatorOptions);
    started = { emulator, client: sdkClient(emulator.url) };
    await assign(started.emulator, started.client);
  });
  (each ? afterEach : afterAll)(async () => {
    started?.client.destroy();
    await started?.emulator.stop();
    started = undefined;
  });
}

/** What a promise rejected with; fails the test if it resolved. */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface RawResponse {
  status: number;
  /** The `x-amzn-ErrorType` header, as the SDKs read it. */
  errorType?: string;
  body: any;
}

/**
 * One request with its path sent exactly as given: fetch and `new URL` would resolve `..`,
 * `%2e%2e` and `\` before anything is sent.
 */
export function rawHttp(base: string, method: string, path: string, body?: string): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: the test sees the text.
          }
          const errorType = res.headers['x-amzn-errortype'];
          resolve({ status: res.statusCode ?? 0, errorType: typeof errorType === 'string' ? errorType : undefined, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** An operation's path with every label set (already encoded as it should go on the wire). */
export const pathOf = (operation: Operation, label: (name: string) => string) =>
  operation.uri.replace(/\{(\w+)\}/g, (_, name: string) => label(name));

export const labelsOf = (operation: Operation) => [...operation.uri.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);

/** The smallest body the model accepts, with every required string member set to `text`. */
export function minimalBody(members: Record<string, Member>, text: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(members)) {
    if (member.required) body[name] = minimalValue(member.shape, text);
  }
  return body;
}

function minimalValue(shape: Shape, text: string): unknown {
  switch (shape.kind) {
    case 'string':
      return text;
    case 'boolean':
      return false;
    case 'double':
      return 8;
    case 'integer':
      return shape.min ?? 1;
    case 'enum':
      return shape.values[0];
    case 'list':
      return [];
    case 'structure':
      return minimalBody(shape.members, text);
  }
}

/** The state as saved, without the clock (which a refused call may read but must not move). */
export function stateOf(emulator: { store: { snapshot(): { clock?: number } } }) {
  const { clock: _clock, ...rest } = emulator.store.snapshot();
  return rest;
}

/** What Object.prototype holds, to show that no request wrote to it. */
export const prototypeKeys = () => Reflect.ownKeys(Object.prototype).map(String).sort();
