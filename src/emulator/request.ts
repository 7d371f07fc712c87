import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { control, type Controlled } from './control.js';
import { gatewayTimeout, ServiceError, tooManyRequests } from './errors.js';
import { jobFailureMessage } from './faults.js';
import { readJsonBody, sendError, sendJson, type Handler } from './http.js';
import { matchRoute, rawPath } from './router.js';
import { routes } from './routes.js';
import { validateMembers } from './validate.js';
import { matchConsoleRoute, type ServedOperationName } from './console.js';

/**
 * Every request to the emulator: a control endpoint (/_emulator/), or an AmplifyBackend operation
 * answered as the service would, after the fault injected for it if any.
 */
export function createRequestHandler(
  emulator: Controlled & { s3PageSize: number; countRequest(operation: ServedOperationName): void },
): Handler {
  const { store, faults, persist, s3PageSize } = emulator;
  return async (req, res, requestId) => {
    // The path as sent: `new URL` would resolve `..` (also `%2e%2e` and `\`) into another operation's path.
    const path = rawPath(req.url ?? '/');
    if (path.startsWith('/_emulator/')) return control(req, res, path, requestId, emulator);

    const consoleMatch = matchConsoleRoute(req.method ?? 'GET', req.url ?? '/', () => res.setHeader('allow', 'GET'));
    if (consoleMatch) {
      emulator.countRequest(consoleMatch.operation);
      if (await injectFault(consoleMatch.operation, req, res, requestId)) return;
      store.settle();
      const output =
        consoleMatch.operation === 'ListApps' ? store.listApps(consoleMatch.query) : store.getApp(consoleMatch.appId);
      return sendJson(res, 200, output, requestId);
    }

    const match = matchRoute(req.method ?? 'GET', path);
    if (match.kind === 'none') {
      return sendError(res, requestId, new ServiceError('UnknownOperationException', 404,
        `No AmplifyBackend operation matches ${req.method} ${path}`));
    }
    if (match.kind === 'wrongMethod') {
      res.setHeader('allow', match.allowed.join(', '));
      return sendError(res, requestId, new ServiceError('MethodNotAllowedException', 405,
        `Method ${req.method} is not allowed on ${path}; use ${match.allowed.join(' or ')}`));
    }
    const { operation, labels } = match;
    emulator.countRequest(operation.name);

    if (await injectFault(operation.name, req, res, requestId)) return;

    const body = validateMembers(await readJsonBody(req), operation.body);
    store.settle();
    const output = routes[operation.name]({
      store,
      input: { ...body, ...labels },
      jobFailure: (job) => (faults.takeJobFault(operation.name) ? jobFailureMessage(job) : undefined),
      s3PageSize,
    });
    await persist();
    sendJson(res, 200, output, requestId);
  };

  /** Plays the fault armed for the operation, if any; true when it answered (or dropped) the request. */
  async function injectFault(operation: ServedOperationName, req: IncomingMessage, res: ServerResponse, requestId: string) {
    const fault = faults.takeRequestFault(operation);
    if (fault?.type === 'drop') {
      req.socket.destroy();
      return true;
    }
    if (fault?.type === 'latency') await delay(fault.delayMs ?? 1000);
    if (fault?.type === 'throttle') sendError(res, requestId, tooManyRequests());
    else if (fault?.type === 'timeout') sendError(res, requestId, gatewayTimeout());
    else if (fault?.type === 'internal') {
      sendError(res, requestId, new ServiceError('InternalServiceException', 500, 'Internal service error (injected)'));
    } else return false;
    return true;
  }
}
