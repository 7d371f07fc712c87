import { AmplifyBackendServiceException } from '@aws-sdk/client-amplifybackend';

export type UpstreamErrorCode =
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'UPSTREAM_TIMEOUT'
  | 'UPSTREAM_ERROR'
  /** The circuit breaker is open: the gateway is not calling AmplifyBackend for a while. */
  | 'UPSTREAM_UNAVAILABLE';

const codes: Record<string, UpstreamErrorCode> = {
  NotFoundException: 'NOT_FOUND',
  BadRequestException: 'BAD_USER_INPUT',
  // Not modelled, but what the service answers for a second pending job.
  ValidationException: 'BAD_USER_INPUT',
  TooManyRequestsException: 'RATE_LIMITED',
  GatewayTimeoutException: 'UPSTREAM_TIMEOUT',
};

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
  ) {
    super(message);
  }
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
  if (error instanceof AmplifyBackendServiceException) {
    return new UpstreamError(
      e.message || e.name || 'AmplifyBackend error',
      codes[error.name] ?? 'UPSTREAM_ERROR',
      operation,
      error.name,
      metadata.requestId,
      metadata.httpStatusCode,
      metadata.attempts ?? 1,
      e.resourceType,
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
    metadata.httpStatusCode,
    metadata.attempts ?? 1,
  );
}
