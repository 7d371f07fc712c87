import type { IncomingMessage } from 'node:http';
import type { ServerOptions } from 'graphql-ws';
import type { FetchAPI } from 'graphql-yoga';
import type { WebSocket } from 'ws';
import type { Principal } from './security/access.js';
import { connectionRefusal, type CredentialCheck } from './security/auth-failures.js';
import { clientAddressOf } from './security/client-address.js';

/** What graphql-ws keeps of each connection: its socket and its upgrade request. */
export type Extra = { socket: WebSocket; request: IncomingMessage };

export type ConnectionParams = Record<string, unknown>;

const header = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * A connection authenticates once, at connection_init, from `connectionParams` (`authorization`
 * or `x-api-key`) or else its upgrade request's headers; a refusal closes the socket with its code.
 */
export function createConnectionAuth(checkCredentials: CredentialCheck) {
  const principals = new WeakMap<Extra, Principal>();
  const onConnect: NonNullable<ServerOptions<ConnectionParams, Extra>['onConnect']> = async (ctx) => {
    const params = ctx.connectionParams ?? {};
    const headers = ctx.extra.request.headers;
    const outcome = await checkCredentials(
      {
        authorization: header(params.authorization) ?? header(params.Authorization) ?? header(headers.authorization),
        apiKey: header(params['x-api-key']) ?? header(params.apiKey) ?? header(headers['x-api-key']),
      },
      { address: clientAddressOf(ctx.extra.request), transport: 'websocket' },
    );
    if (outcome.ok) principals.set(ctx.extra, outcome.principal);
    else ctx.extra.socket.close(...connectionRefusal(outcome));
    return outcome.ok;
  };
  return { onConnect, principalOf: (extra: Extra) => principals.get(extra) };
}

/**
 * A fetch Request standing for each connection, for plugins that read `request`: its upgrade
 * request's headers, as a POST (a socket may carry mutations, which yoga refuses on GET).
 */
export function connectionRequests(fetchAPI: FetchAPI, endpoint: string) {
  const requests = new WeakMap<Extra, Request>();
  return function requestOf(extra: Extra): Request {
    let request = requests.get(extra);
    if (!request) {
      const headers = new fetchAPI.Headers();
      for (const [name, value] of Object.entries(extra.request.headers)) {
        try {
          if (typeof value === 'string') headers.set(name, value);
        } catch {
          // A value node:http let through but fetch refuses: left out rather than failing the operation.
        }
      }
      const url = `http://${extra.request.headers.host}${endpoint}`;
      request = new fetchAPI.Request(URL.canParse(url) ? url : `http://localhost${endpoint}`, { method: 'POST', headers });
      requests.set(extra, request);
    }
    return request;
  };
}
