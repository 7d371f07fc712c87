import { AmplifyBackendServiceException, type AmplifyBackendClient } from '@aws-sdk/client-amplifybackend';

export type UpstreamErrorCode =
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  /** A write refused because a job of its app or environment is still running: a BAD_USER_INPUT of its own kind. */
  | 'JOB_PENDING'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_ERROR'
  /** The circuit breaker is open: the gateway is not calling AmplifyBackend for a while. */
  | 'UPSTREAM_UNAVAILABLE';

const codes: Record<string, UpstreamErrorCode> = {
  NotFoundException: 'NOT_FOUND',
  BadRequestException: 'BAD_USER_INPUT',
  // Not modelled; the service answers a second pending job with it (see pendingJobRefusal).
  ValidationException: 'BAD_USER_INPUT',
  TooManyRequestsException: 'RATE_LIMITED',
  GatewayTimeoutException: 'UPSTREAM_TIMEOUT',
};

// "There is already a pending job for the requested appId": the refusal names no job.
const pendingJobRefusal = (name: string, message: string | undefined) =>
  name === 'ValidationException' && /\bpending job\b/i.test(message ?? '');

/** An AmplifyBackend failure, stripped of the SDK: what went wrong, in terms the graph can map. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly code: UpstreamErrorCode,
    readonly operation: string,
    readonly awsErrorName: string,
    readonly requestId: string | undefined,
    readonly httpStatus: number | undefined,
    readonly attempts: number,
    readonly resourceType?: string,
    /**
     * Whether AmplifyBackend itself failed (5xx, throttling after retries, timeouts, dropped
     * connections), as opposed to a request it refused (any other 4xx), one that was never sent
     * (its input could not be serialized), or one its caller gave up on. Only these count toward
     * the circuit breaker: a client's mistake must not stop the gateway for everyone.
     */
    readonly upstreamFault = false,
  ) {
    super(message);
  }

  /**
   * How long a client should wait before trying again (RATE_LIMITED, UPSTREAM_UNAVAILABLE), in
   * whole seconds, when the gateway knows or can bound it.
   */
  retryAfterSeconds?: number;

  /** This error, telling the client to wait `ms` (at least 1 s) before trying again. */
  retryAfter(ms: number): this {
    this.retryAfterSeconds = Math.max(1, Math.ceil(ms / 1000));
    return this;
  }
}

/**
 * What AmplifyBackend's throttling asks a client to wait: its Retry-After header in seconds when it
 * sends one, else a second (the SDK has already retried with backoff before giving up).
 */
function throttleWaitMs(error: unknown): number {
  const header = (error as { $response?: { headers?: Record<string, string | undefined> } })?.$response?.headers?.['retry-after'];
  const seconds = header !== undefined && /^\d{1,5}$/.test(header) ? Number(header) : 1;
  return seconds * 1000;
}

/** The job that keeps a write from starting, as a frontend needs it to show it and to subscribe to it. */
export interface BlockingJob {
  jobId: string;
  /** Where to find the job (`backendJob(appId, environmentName, jobId)`): an app-wide job is filed under each environment. */
  environmentName: string;
  operation: string | null;
  status: string | null;
  createTime: string | null;
}

/** A JOB_PENDING refusal, with the job that blocks the write when it could be found. */
export class JobPendingError extends UpstreamError {
  constructor(
    refusal: UpstreamError,
    readonly blockingJob: BlockingJob | undefined,
  ) {
    super(
      refusal.message,
      'JOB_PENDING',
      refusal.operation,
      refusal.awsErrorName,
      refusal.requestId,
      refusal.httpStatus,
      refusal.attempts,
      refusal.resourceType,
      refusal.upstreamFault,
    );
  }
}

// Where an SDK error was thrown, marked on the error by the innermost of the middlewares below
// that it passes on its way out: the client's own stages tell whether a request ever left, better
// than guessing from a message.
const stage = Symbol('failureStage');
type Stage = 'serializing' | 'serialized' | 'transport';

function marker(at: Stage) {
  return (next: (args: any) => Promise<any>) => async (args: any) => {
    try {
      return await next(args);
    } catch (error) {
      if (error !== null && typeof error === 'object' && !Object.hasOwn(error, stage)) {
        try {
          Object.defineProperty(error, stage, { value: at });
        } catch {
          // A frozen error stays unmarked: a failure of the gateway's own, not counted.
        }
      }
      throw error;
    }
  };
}

/**
 * Marks the errors an AmplifyBackend client throws with how far the request got: into the
 * serializer (credentials and the endpoint are resolved before it), past it (the input became an
 * HTTP request), and into the HTTP handler (innermost in the deserialize step, it sees only what
 * the socket throws: timeouts, resets, refused connections, aborts; an HTTP answer fails in the
 * deserializer, outside it). `toUpstreamError` reads the marks.
 */
export const markFailureStage: Parameters<AmplifyBackendClient['middlewareStack']['use']>[0] = {
  applyToStack(stack) {
    stack.add(marker('transport'), { step: 'deserialize', priority: 'low', name: 'gatewayFailureStageTransport' });
    stack.add(marker('serialized'), { step: 'build', priority: 'high', name: 'gatewayFailureStageSerialized' });
    // Right before the serializer: after the endpoint and credentials are resolved.
    stack.addRelativeTo(marker('serializing'), {
      relation: 'after',
      toMiddleware: 'endpointV2Middleware',
      name: 'gatewayFailureStageSerializing',
    });
  },
};

/**
 * What an HTTP status says, for errors the model does not name. A 4xx is the request's: a path
 * that is no operation (404 UnknownOperationException, not the NOT_FOUND of an app), a method
 * not allowed, a conflict, a body too large; 401 and 403 are the gateway's credentials, which
 * the client cannot fix either. A status under 400 on a failed call is an answer the SDK could
 * not read: AmplifyBackend broke its own contract.
 */
function byStatus(status: number): { code: UpstreamErrorCode; upstreamFault: boolean } {
  if (status === 429) return { code: 'RATE_LIMITED', upstreamFault: true };
  if (status === 408 || status === 504) return { code: 'UPSTREAM_TIMEOUT', upstreamFault: true };
  if (status === 401 || status === 403) return { code: 'UPSTREAM_ERROR', upstreamFault: false };
  if (status >= 400 && status < 500) return { code: 'BAD_USER_INPUT', upstreamFault: false };
  return { code: 'UPSTREAM_ERROR', upstreamFault: true };
}

export function toUpstreamError(operation: string, error: unknown): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const e = error as {
    name?: string;
    message?: string;
    code?: string;
    resourceType?: string;
    $metadata?: { requestId?: string; httpStatusCode?: number; attempts?: number };
  };
  const metadata = e?.$metadata ?? {};
  const status = metadata.httpStatusCode;
  if (status !== undefined || error instanceof AmplifyBackendServiceException) {
    const name = e.name || 'Error';
    const byCode = codes[name];
    const classified = status === undefined ? { code: 'UPSTREAM_ERROR' as const, upstreamFault: true } : byStatus(status);
    // Still the client's to wait for, never the upstream's fault: only its code is its own.
    const code = pendingJobRefusal(name, e.message) ? 'JOB_PENDING' : (byCode ?? classified.code);
    // An error the model does not name says what it is by its status.
    const refused = !byCode && status !== undefined && status >= 400 && status < 500;
    const message = refused
      ? `AmplifyBackend refused the request (HTTP ${status} ${name})${e.message ? `: ${e.message}` : ''}`
      : e.message || name;
    const upstream = new UpstreamError(
      message || 'AmplifyBackend error',
      code,
      operation,
      name,
      metadata.requestId,
      status,
      metadata.attempts ?? 1,
      e.resourceType,
      classified.upstreamFault,
    );
    return code === 'RATE_LIMITED' ? upstream.retryAfter(throttleWaitMs(error)) : upstream;
  }
  const at = error !== null && typeof error === 'object' ? (error as { [stage]?: Stage })[stage] : undefined;
  if (at === 'serializing') {
    // The serializer refused the input (a lone surrogate is no URI, a label is missing): nothing
    // was sent, and the input is to blame.
    return new UpstreamError(
      `The input cannot be sent to AmplifyBackend (${operation}): ${e?.message ?? String(error)}`,
      'BAD_USER_INPUT', operation, e?.name ?? 'Error', undefined, undefined, 0,
    );
  }
  if (at !== 'transport') {
    // The gateway's own steps around the request (credentials, endpoint, signing) failed:
    // not AmplifyBackend's failure, and not the client's to fix.
    return new UpstreamError(
      `The gateway could not call AmplifyBackend (${operation}): ${e?.message ?? String(error)}`,
      'UPSTREAM_ERROR', operation, e?.name ?? 'Error', undefined, undefined, metadata.attempts ?? 0,
    );
  }
  // Transport failures: timeouts, resets, refused connections, aborted requests.
  // The SDK names a reset connection TimeoutError too (to retry it); it is not one.
  const reset = e?.code === 'ECONNRESET' || e?.code === 'EPIPE';
  const name = reset ? e.code! : (e?.name ?? 'Error');
  const timedOut = !reset && (name === 'TimeoutError' || e?.code === 'ETIMEDOUT' || /timed? ?out/i.test(e?.message ?? ''));
  return new UpstreamError(
    timedOut ? `AmplifyBackend did not answer in time (${operation})` : `AmplifyBackend could not be reached (${operation}): ${e?.message ?? name}`,
    timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_ERROR',
    operation,
    name,
    metadata.requestId,
    status,
    metadata.attempts ?? 1,
    undefined,
    // A caller that gave up (its own AbortSignal) is no failure of AmplifyBackend.
    name !== 'AbortError',
  );
}
