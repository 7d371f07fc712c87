import { setTimeout as delay } from 'node:timers/promises';
import { control, type Controlled } from './control.js';
import { gatewayTimeout, ServiceError, tooManyRequests } from './errors.js';
import { jobFailureMessage } from './faults.js';
import { readJsonBody, sendError, sendJson, type Handler } from './http.js';
import { matchRoute, rawPath } from './router.js';
import { routes } from './routes.js';
import { validateMembers } from './validate.js';
import type { OperationName } from './wire-model.js';

/**
 * Every request to the emulator: a control endpoint (/_emulator/), or an AmplifyBackend operation
 * answered as the service would, after the fault injected for it if any.
 */
export function createRequestHandler(
  emulator: Controlled & { s3PageSize: number; countRequest(operation: OperationName): void },
): Handler {
  const { store, faults, persist, s3PageSize } = emulator;
  return async (req, res, requestId) => {
    // The path as sent: `new URL` would resolve `..` (also `%2e%2e` and `\`) into another operation's path.
    const path = rawPath(req.url ?? '/');
    if (path.startsWith('/_emulator/')) return control(req, res, path, requestId, emulator);

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

    const fault = faults.takeRequestFault(operation.name);
    if (fault?.type === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.type === 'latency') await delay(fault.delayMs ?? 1000);
    if (fault?.type === 'throttle') return sendError(res, requestId, tooManyRequests());
    if (fault?.type === 'timeout') return sendError(res, requestId, gatewayTimeout());
    if (fault?.type === 'internal') {
      return sendError(res, requestId, new ServiceError('InternalServiceException', 500, 'Internal service error (injected)'));
    }

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
}
